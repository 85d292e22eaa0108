package schematype

import "github.com/switchboard/switchboard/internal/gid"

// RuleConditionGroup is an automation rule's conditions: a tree of groups
// whose conditions and subgroups are combined with AND or OR. Stored as
// JSON on the rule (see internal/automation for the rules of the shape).
type RuleConditionGroup struct {
	Operator   string               `json:"operator"` // AND | OR
	Conditions []RuleCondition      `json:"conditions,omitempty"`
	Groups     []RuleConditionGroup `json:"groups,omitempty"`
}

// RuleCondition is one test of an automation rule: a field of the
// conversation, an operator, and the ids, values or attribute name it
// compares with.
type RuleCondition struct {
	Field     string   `json:"field"`
	Operator  string   `json:"operator"`
	IDs       []gid.ID `json:"ids,omitempty"`
	Values    []string `json:"values,omitempty"`
	Attribute string   `json:"attribute,omitempty"`
}

// RuleAction is one step an automation rule takes when it matches.
type RuleAction struct {
	Type         string   `json:"type"`
	TagIDs       []gid.ID `json:"tagIDs,omitempty"`
	Priority     string   `json:"priority,omitempty"`
	AgentID      *gid.ID  `json:"agentID,omitempty"`
	TeamID       *gid.ID  `json:"teamID,omitempty"`
	QuickReplyID *gid.ID  `json:"quickReplyID,omitempty"`
	Body         string   `json:"body,omitempty"`      // ADD_NOTE: a template (internal/render)
	Attribute    string   `json:"attribute,omitempty"` // SET_CUSTOMER_ATTRIBUTE
	Value        *string  `json:"value,omitempty"`     // SET_CUSTOMER_ATTRIBUTE; null removes it
	Minutes      int      `json:"minutes,omitempty"`   // SNOOZE
}
