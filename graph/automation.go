package graph

import "github.com/switchboard/switchboard/internal/schematype"

// actionsOf turns the input's actions into the rule's (nil stays nil: an
// update without actions keeps the rule's).
func actionsOf(in []*schematype.RuleAction) []schematype.RuleAction {
	if in == nil {
		return nil
	}
	out := make([]schematype.RuleAction, len(in))
	for i, a := range in {
		out[i] = *a
	}
	return out
}
