package automation

import (
	"regexp"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

func cond(field, op string, values ...string) schematype.RuleCondition {
	return schematype.RuleCondition{Field: field, Operator: op, Values: values}
}

func ids(field, op string, v ...gid.ID) schematype.RuleCondition {
	return schematype.RuleCondition{Field: field, Operator: op, IDs: v}
}

func attr(name, op string, values ...string) schematype.RuleCondition {
	return schematype.RuleCondition{Field: FieldCustomerAttribute, Operator: op, Attribute: name, Values: values}
}

func TestConditions(t *testing.T) {
	agentA := gid.ID("Agent:a")
	// Mondays 09:00-17:00 UTC; the snapshot is on a Monday at 10:00.
	hours := &schematype.WorkingHours{Timezone: "UTC", Weekly: []schematype.WeeklyInterval{{Day: "MONDAY", Start: "09:00", End: "17:00"}}}
	snap := func() *Snapshot {
		return &Snapshot{
			ChannelID: "Channel:1", ChannelKind: "api", Text: "Where is my REFUND for order 12345?",
			Priority: "HIGH", AssigneeID: &agentA, VIP: true, WorkingHours: hours,
			Now:              time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
			Attributes:       map[string]any{"plan": "Gold", "spent": 120.5, "empty": ""},
			CustomerTags:     map[gid.ID]bool{"Tag:c": true},
			ConversationTags: map[gid.ID]bool{"Tag:x": true},
		}
	}
	rx := Regexps{`order \d{5}`: regexp.MustCompile(`order \d{5}`), `^\d+$`: regexp.MustCompile(`^\d+$`)}
	tests := []struct {
		name string
		c    schematype.RuleCondition
		want bool
	}{
		{"channel in", ids(FieldChannel, CmpIn, "Channel:1", "Channel:2"), true},
		{"channel not in", ids(FieldChannel, CmpNotIn, "Channel:1"), false},
		{"kind in", cond(FieldChannelKind, CmpIn, "email", "api"), true},
		{"kind not in", cond(FieldChannelKind, CmpNotIn, "email"), true},
		{"text contains any case", cond(FieldMessageText, CmpContains, "refund"), true},
		{"text contains not", cond(FieldMessageText, CmpContains, "invoice"), false},
		{"text matches", cond(FieldMessageText, CmpMatches, `order \d{5}`), true},
		{"text matches not", cond(FieldMessageText, CmpMatches, `^\d+$`), false},
		{"attr equals any case", attr("plan", CmpEquals, "gold"), true},
		{"attr equals other", attr("plan", CmpEquals, "silver"), false},
		{"attr not equals", attr("plan", CmpNotEquals, "silver"), true},
		{"attr not equals unset", attr("missing", CmpNotEquals, "x"), true},
		{"attr contains", attr("plan", CmpContains, "OL"), true},
		{"attr greater", attr("spent", CmpGreaterThan, "100"), true},
		{"attr greater not", attr("spent", CmpGreaterThan, "200"), false},
		{"attr less", attr("spent", CmpLessThan, "121"), true},
		{"attr less text", attr("plan", CmpLessThan, "5"), false},
		{"attr is set", attr("plan", CmpIsSet), true},
		{"attr empty is not set", attr("empty", CmpIsNotSet), true},
		{"attr missing is set", attr("missing", CmpIsSet), false},
		{"customer tag in", ids(FieldCustomerTag, CmpIn, "Tag:c"), true},
		{"customer tag not in", ids(FieldCustomerTag, CmpNotIn, "Tag:c"), false},
		{"conversation tag in", ids(FieldConversationTag, CmpIn, "Tag:y", "Tag:x"), true},
		{"conversation tag none", ids(FieldConversationTag, CmpNotIn, "Tag:y"), true},
		{"priority in", cond(FieldPriority, CmpIn, "HIGH", "URGENT"), true},
		{"priority not in", cond(FieldPriority, CmpNotIn, "HIGH"), false},
		{"assignee in", ids(FieldAssignee, CmpIn, agentA), true},
		{"assignee not in", ids(FieldAssignee, CmpNotIn, agentA), false},
		{"assigned", cond(FieldAssignee, CmpIsSet), true},
		{"unassigned", cond(FieldAssignee, CmpIsNotSet), false},
		{"no team", cond(FieldTeam, CmpIsNotSet), true},
		{"team in", ids(FieldTeam, CmpIn, "Team:1"), false},
		{"vip", cond(FieldVIP, CmpIsTrue), true},
		{"not vip", cond(FieldVIP, CmpIsFalse), false},
		{"inside hours", cond(FieldWorkingHours, CmpIsTrue), true},
		{"outside hours", cond(FieldWorkingHours, CmpIsFalse), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := schematype.RuleConditionGroup{Operator: OpAnd, Conditions: []schematype.RuleCondition{tc.c}}
			if got := Match(&g, snap(), rx, nil); got != tc.want {
				t.Errorf("%+v: got %v, want %v", tc.c, got, tc.want)
			}
			res := &GroupResult{}
			if got := Match(&g, snap(), rx, res); got != tc.want || res.Matched != tc.want || len(res.Conditions) != 1 || res.Conditions[0].Matched != tc.want {
				t.Errorf("explained %+v: got %v %+v, want %v", tc.c, got, res, tc.want)
			}
		})
	}
}

func TestGroups(t *testing.T) {
	yes := cond(FieldVIP, CmpIsTrue)
	no := cond(FieldVIP, CmpIsFalse)
	s := &Snapshot{VIP: true}
	tests := []struct {
		name string
		g    schematype.RuleConditionGroup
		want bool
	}{
		{"empty AND", schematype.RuleConditionGroup{Operator: OpAnd}, true},
		{"empty OR", schematype.RuleConditionGroup{Operator: OpOr}, true},
		{"AND all", schematype.RuleConditionGroup{Operator: OpAnd, Conditions: []schematype.RuleCondition{yes, yes}}, true},
		{"AND one fails", schematype.RuleConditionGroup{Operator: OpAnd, Conditions: []schematype.RuleCondition{yes, no}}, false},
		{"OR one holds", schematype.RuleConditionGroup{Operator: OpOr, Conditions: []schematype.RuleCondition{no, yes}}, true},
		{"OR none", schematype.RuleConditionGroup{Operator: OpOr, Conditions: []schematype.RuleCondition{no, no}}, false},
		{"AND with failing subgroup", schematype.RuleConditionGroup{Operator: OpAnd, Conditions: []schematype.RuleCondition{yes},
			Groups: []schematype.RuleConditionGroup{{Operator: OpOr, Conditions: []schematype.RuleCondition{no}}}}, false},
		{"OR through subgroup", schematype.RuleConditionGroup{Operator: OpOr, Conditions: []schematype.RuleCondition{no},
			Groups: []schematype.RuleConditionGroup{{Operator: OpAnd, Conditions: []schematype.RuleCondition{yes, yes}}}}, true},
	}
	for _, tc := range tests {
		res := &GroupResult{}
		if got := Match(&tc.g, s, nil, res); got != tc.want || res.Matched != tc.want {
			t.Errorf("%s: got %v (explained %v), want %v", tc.name, got, res.Matched, tc.want)
		}
		if got := Match(&tc.g, s, nil, nil); got != tc.want {
			t.Errorf("%s fast: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckShape(t *testing.T) {
	note := []schematype.RuleAction{{Type: ActAddNote, Body: "hi {{customer.name | \"there\"}}"}}
	deep := schematype.RuleConditionGroup{Operator: OpAnd, Groups: []schematype.RuleConditionGroup{{Operator: OpAnd,
		Groups: []schematype.RuleConditionGroup{{Operator: OpAnd, Groups: []schematype.RuleConditionGroup{{Operator: OpAnd}}}}}}}
	many := schematype.RuleConditionGroup{Operator: OpAnd}
	for range 51 {
		many.Conditions = append(many.Conditions, cond(FieldVIP, CmpIsTrue))
	}
	idle := 30
	tests := []struct {
		name    string
		trigger automationrule.Trigger
		idle    *int
		g       schematype.RuleConditionGroup
		actions []schematype.RuleAction
		field   string // "" when valid
	}{
		{"valid", automationrule.TriggerMESSAGE_RECEIVED, nil, schematype.RuleConditionGroup{Operator: OpAnd}, note, ""},
		{"too deep", automationrule.TriggerMESSAGE_RECEIVED, nil, deep, note, "conditions.groups.0.groups.0.groups.0"},
		{"too many", automationrule.TriggerMESSAGE_RECEIVED, nil, many, note, "conditions"},
		{"bad regexp", automationrule.TriggerMESSAGE_RECEIVED, nil, schematype.RuleConditionGroup{Operator: OpAnd,
			Conditions: []schematype.RuleCondition{cond(FieldMessageText, CmpMatches, "(")}}, note, "conditions.conditions.0.values"},
		{"wrong operator", automationrule.TriggerMESSAGE_RECEIVED, nil, schematype.RuleConditionGroup{Operator: OpAnd,
			Conditions: []schematype.RuleCondition{cond(FieldVIP, CmpContains, "x")}}, note, "conditions.conditions.0.operator"},
		{"bad priority", automationrule.TriggerMESSAGE_RECEIVED, nil, schematype.RuleConditionGroup{Operator: OpAnd,
			Conditions: []schematype.RuleCondition{cond(FieldPriority, CmpIn, "SOON")}}, note, "conditions.conditions.0.values"},
		{"no actions", automationrule.TriggerMESSAGE_RECEIVED, nil, schematype.RuleConditionGroup{Operator: OpAnd}, nil, "actions"},
		{"bad template", automationrule.TriggerMESSAGE_RECEIVED, nil, schematype.RuleConditionGroup{Operator: OpAnd},
			[]schematype.RuleAction{{Type: ActAddNote, Body: "{{nope}}"}}, "actions.0.body"},
		{"snooze without minutes", automationrule.TriggerMESSAGE_RECEIVED, nil, schematype.RuleConditionGroup{Operator: OpAnd},
			[]schematype.RuleAction{{Type: ActSnooze}}, "actions.0.minutes"},
		{"idle needs minutes", automationrule.TriggerCONVERSATION_IDLE, nil, schematype.RuleConditionGroup{Operator: OpAnd}, note, "idleMinutes"},
		{"idle with minutes", automationrule.TriggerCONVERSATION_IDLE, &idle, schematype.RuleConditionGroup{Operator: OpAnd}, note, ""},
		{"minutes only for idle", automationrule.TriggerMESSAGE_RECEIVED, &idle, schematype.RuleConditionGroup{Operator: OpAnd}, note, "idleMinutes"},
	}
	for _, tc := range tests {
		_, err := checkShape(tc.trigger, tc.idle, &tc.g, tc.actions)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var ae *apperr.Error
		if e, ok := err.(*apperr.Error); ok {
			ae = e
		}
		if ae == nil || ae.Code != apperr.InvalidInput || ae.Field != tc.field {
			t.Errorf("%s: got %v, want INVALID_INPUT on %s", tc.name, err, tc.field)
		}
	}
}
