package automation

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

// Test is what testAutomationRule answers: whether a rule's conditions
// hold for a conversation, per group and condition, and what it would do.
type Test struct {
	Matched bool
	Root    *GroupResult
	Actions []string
}

// GroupResult is a group's evaluation.
type GroupResult struct {
	Operator   string
	Matched    bool
	Conditions []*ConditionResult
	Groups     []*GroupResult
}

// ConditionResult is a condition's evaluation.
type ConditionResult struct {
	Condition schematype.RuleCondition
	Matched   bool
	Detail    string
}

// TestRule evaluates a rule against a conversation now, without acting.
func (s *Service) TestRule(ctx context.Context, id, conversationID gid.ID) (*Test, error) {
	c := s.db(ctx)
	r, err := c.AutomationRule.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := c.Conversation.Get(ctx, conversationID); err != nil {
		return nil, err
	}
	set := compile([]*ent.AutomationRule{r})
	snap, err := s.snapshot(ctx, conversationID, nil, true)
	if err != nil {
		return nil, err
	}
	res := &GroupResult{}
	t := &Test{Matched: Match(&r.Conditions, snap, set.rx, res), Root: res, Actions: []string{}}
	for i := range r.Actions {
		t.Actions = append(t.Actions, s.describe(ctx, &r.Actions[i]))
	}
	return t, nil
}
