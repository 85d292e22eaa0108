package automation

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/attributedefinition"
	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/tag"
	"github.com/switchboard/switchboard/ent/team"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/schematype"
)

// Condition fields.
const (
	FieldChannel           = "CHANNEL"
	FieldChannelKind       = "CHANNEL_KIND"
	FieldMessageText       = "MESSAGE_TEXT"
	FieldCustomerAttribute = "CUSTOMER_ATTRIBUTE"
	FieldCustomerTag       = "CUSTOMER_TAG"
	FieldConversationTag   = "CONVERSATION_TAG"
	FieldPriority          = "PRIORITY"
	FieldAssignee          = "ASSIGNEE"
	FieldTeam              = "TEAM"
	FieldVIP               = "VIP"
	FieldWorkingHours      = "WORKING_HOURS"
)

// Condition operators.
const (
	CmpEquals      = "EQUALS"
	CmpNotEquals   = "NOT_EQUALS"
	CmpContains    = "CONTAINS"
	CmpMatches     = "MATCHES"
	CmpGreaterThan = "GREATER_THAN"
	CmpLessThan    = "LESS_THAN"
	CmpIsSet       = "IS_SET"
	CmpIsNotSet    = "IS_NOT_SET"
	CmpIn          = "IN"
	CmpNotIn       = "NOT_IN"
	CmpIsTrue      = "IS_TRUE"
	CmpIsFalse     = "IS_FALSE"
)

// Action types.
const (
	ActAddTag          = "ADD_TAG"
	ActRemoveTag       = "REMOVE_TAG"
	ActSetPriority     = "SET_PRIORITY"
	ActAssignAgent     = "ASSIGN_AGENT"
	ActAssignTeam      = "ASSIGN_TEAM"
	ActSendQuickReply  = "SEND_QUICK_REPLY"
	ActAddNote         = "ADD_NOTE"
	ActSetAttribute    = "SET_CUSTOMER_ATTRIBUTE"
	ActMarkVIP         = "MARK_VIP"
	ActResolve         = "RESOLVE"
	ActSnooze          = "SNOOZE"
	maxDepth           = 3
	maxConditions      = 50
	maxActions         = 20
	maxRegexp          = 512
	maxValues          = 100
	maxIdleMinutes     = 43200
	maxNote            = 4096
	maxAttributeLength = 255
)

// operators each field accepts.
var operators = map[string][]string{
	FieldChannel:           {CmpIn, CmpNotIn},
	FieldChannelKind:       {CmpIn, CmpNotIn},
	FieldMessageText:       {CmpContains, CmpMatches},
	FieldCustomerAttribute: {CmpEquals, CmpNotEquals, CmpContains, CmpGreaterThan, CmpLessThan, CmpIsSet, CmpIsNotSet},
	FieldCustomerTag:       {CmpIn, CmpNotIn},
	FieldConversationTag:   {CmpIn, CmpNotIn},
	FieldPriority:          {CmpIn, CmpNotIn},
	FieldAssignee:          {CmpIn, CmpNotIn, CmpIsSet, CmpIsNotSet},
	FieldTeam:              {CmpIn, CmpNotIn, CmpIsSet, CmpIsNotSet},
	FieldVIP:               {CmpIsTrue, CmpIsFalse},
	FieldWorkingHours:      {CmpIsTrue, CmpIsFalse},
}

// refs are the ids a rule refers to, checked together.
type refs struct {
	channels, tags, agents, teams, quickReplies []gid.ID
	attributes                                  []string
}

// checkShape validates conditions and actions without the database and
// returns the ids and names they refer to.
func checkShape(trigger automationrule.Trigger, idle *int, g *schematype.RuleConditionGroup, actions []schematype.RuleAction) (*refs, error) {
	r := &refs{}
	if trigger == automationrule.TriggerCONVERSATION_IDLE {
		if idle == nil || *idle < 1 || *idle > maxIdleMinutes {
			return nil, apperr.Invalid("idleMinutes", "CONVERSATION_IDLE needs idleMinutes from 1 to %d", maxIdleMinutes)
		}
	} else if idle != nil {
		return nil, apperr.Invalid("idleMinutes", "only a CONVERSATION_IDLE rule has idleMinutes")
	}
	n := 0
	if err := checkGroup(g, 1, &n, r, "conditions"); err != nil {
		return nil, err
	}
	if len(actions) < 1 || len(actions) > maxActions {
		return nil, apperr.Invalid("actions", "a rule has 1 to %d actions", maxActions)
	}
	for i := range actions {
		if err := checkAction(&actions[i], r, fmt.Sprintf("actions.%d", i)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func checkGroup(g *schematype.RuleConditionGroup, depth int, n *int, r *refs, path string) error {
	if depth > maxDepth {
		return apperr.Invalid(path, "groups nest at most %d deep", maxDepth)
	}
	if g.Operator != OpAnd && g.Operator != OpOr {
		return apperr.Invalid(path+".operator", "must be AND or OR")
	}
	for i := range g.Conditions {
		if *n++; *n > maxConditions {
			return apperr.Invalid("conditions", "a rule has at most %d conditions", maxConditions)
		}
		if err := checkCondition(&g.Conditions[i], r, fmt.Sprintf("%s.conditions.%d", path, i)); err != nil {
			return err
		}
	}
	for i := range g.Groups {
		if err := checkGroup(&g.Groups[i], depth+1, n, r, fmt.Sprintf("%s.groups.%d", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func checkCondition(c *schematype.RuleCondition, r *refs, path string) error {
	ops, ok := operators[c.Field]
	if !ok {
		return apperr.Invalid(path+".field", "unknown field %q", c.Field)
	}
	if !slices.Contains(ops, c.Operator) {
		return apperr.Invalid(path+".operator", "%s takes %v", c.Field, ops)
	}
	if len(c.IDs) > maxValues || len(c.Values) > maxValues {
		return apperr.Invalid(path, "at most %d ids or values", maxValues)
	}
	needIDs := c.Operator == CmpIn || c.Operator == CmpNotIn
	switch c.Field {
	case FieldChannel, FieldCustomerTag, FieldConversationTag, FieldAssignee, FieldTeam:
		if needIDs && len(c.IDs) == 0 {
			return apperr.Invalid(path+".ids", "%s %s needs ids", c.Field, c.Operator)
		}
	case FieldChannelKind, FieldPriority:
		if len(c.Values) == 0 {
			return apperr.Invalid(path+".values", "%s needs values", c.Field)
		}
	case FieldMessageText:
		if len(c.Values) != 1 || c.Values[0] == "" {
			return apperr.Invalid(path+".values", "MESSAGE_TEXT needs one value")
		}
		if c.Operator == CmpMatches {
			if len(c.Values[0]) > maxRegexp {
				return apperr.Invalid(path+".values", "an expression has at most %d bytes", maxRegexp)
			}
			if _, err := regexp.Compile(c.Values[0]); err != nil {
				return apperr.Invalid(path+".values", "not an RE2 expression: %s", err.Error())
			}
		}
	case FieldCustomerAttribute:
		if c.Attribute == "" || len(c.Attribute) > maxAttributeLength {
			return apperr.Invalid(path+".attribute", "CUSTOMER_ATTRIBUTE needs an attribute name")
		}
		if c.Operator != CmpIsSet && c.Operator != CmpIsNotSet && len(c.Values) != 1 {
			return apperr.Invalid(path+".values", "%s needs one value", c.Operator)
		}
	}
	if c.Field == FieldPriority {
		for _, v := range c.Values {
			if conversation.PriorityValidator(conversation.Priority(v)) != nil {
				return apperr.Invalid(path+".values", "%q is not a priority", v)
			}
		}
	}
	switch c.Field {
	case FieldChannel:
		r.channels = append(r.channels, c.IDs...)
	case FieldCustomerTag, FieldConversationTag:
		r.tags = append(r.tags, c.IDs...)
	case FieldAssignee:
		r.agents = append(r.agents, c.IDs...)
	case FieldTeam:
		r.teams = append(r.teams, c.IDs...)
	}
	return nil
}

func checkAction(a *schematype.RuleAction, r *refs, path string) error {
	switch a.Type {
	case ActAddTag, ActRemoveTag:
		if len(a.TagIDs) == 0 || len(a.TagIDs) > maxValues {
			return apperr.Invalid(path+".tagIDs", "%s needs 1 to %d tagIDs", a.Type, maxValues)
		}
		r.tags = append(r.tags, a.TagIDs...)
	case ActSetPriority:
		if conversation.PriorityValidator(conversation.Priority(a.Priority)) != nil {
			return apperr.Invalid(path+".priority", "SET_PRIORITY needs a priority")
		}
	case ActAssignAgent:
		if a.AgentID == nil {
			return apperr.Invalid(path+".agentID", "ASSIGN_AGENT needs agentID")
		}
		r.agents = append(r.agents, *a.AgentID)
	case ActAssignTeam:
		if a.TeamID == nil {
			return apperr.Invalid(path+".teamID", "ASSIGN_TEAM needs teamID")
		}
		r.teams = append(r.teams, *a.TeamID)
	case ActSendQuickReply:
		if a.QuickReplyID == nil {
			return apperr.Invalid(path+".quickReplyID", "SEND_QUICK_REPLY needs quickReplyID")
		}
		r.quickReplies = append(r.quickReplies, *a.QuickReplyID)
	case ActAddNote:
		if a.Body == "" || len(a.Body) > maxNote {
			return apperr.Invalid(path+".body", "ADD_NOTE needs a body of at most %d bytes", maxNote)
		}
		if err := render.Validate(a.Body, render.Conversation); err != nil {
			return apperr.Invalid(path+".body", "%s", err.Error())
		}
	case ActSetAttribute:
		if a.Attribute == "" || len(a.Attribute) > maxAttributeLength {
			return apperr.Invalid(path+".attribute", "SET_CUSTOMER_ATTRIBUTE needs an attribute name")
		}
		r.attributes = append(r.attributes, a.Attribute)
	case ActMarkVIP, ActResolve:
	case ActSnooze:
		if a.Minutes < 1 || a.Minutes > maxIdleMinutes {
			return apperr.Invalid(path+".minutes", "SNOOZE needs minutes from 1 to %d", maxIdleMinutes)
		}
	default:
		return apperr.Invalid(path+".type", "unknown action %q", a.Type)
	}
	return nil
}

// checkRefs makes sure every id and attribute a rule names exists in the
// caller's workspace (privacy hides the others': NOT_FOUND).
func (s *Service) checkRefs(ctx context.Context, c *ent.Client, r *refs) error {
	check := func(field string, ids []gid.ID, count func([]gid.ID) (int, error)) error {
		ids = dedupe(ids)
		if len(ids) == 0 {
			return nil
		}
		n, err := count(ids)
		if err != nil {
			return fmt.Errorf("automation: check %s: %w", field, err)
		}
		if n != len(ids) {
			return &apperr.Error{Code: apperr.NotFound, Field: field, Message: "not found: " + field}
		}
		return nil
	}
	if err := check("channel", r.channels, func(ids []gid.ID) (int, error) {
		return c.Channel.Query().Where(channel.IDIn(ids...)).Count(ctx)
	}); err != nil {
		return err
	}
	if err := check("tag", r.tags, func(ids []gid.ID) (int, error) { return c.Tag.Query().Where(tag.IDIn(ids...)).Count(ctx) }); err != nil {
		return err
	}
	if err := check("agent", r.agents, func(ids []gid.ID) (int, error) { return c.Agent.Query().Where(agent.IDIn(ids...)).Count(ctx) }); err != nil {
		return err
	}
	if err := check("team", r.teams, func(ids []gid.ID) (int, error) { return c.Team.Query().Where(team.IDIn(ids...)).Count(ctx) }); err != nil {
		return err
	}
	for _, id := range dedupe(r.quickReplies) {
		if err := s.quickReplies.Exists(ctx, id); err != nil {
			return err
		}
	}
	for _, name := range r.attributes {
		ok, err := c.AttributeDefinition.Query().Where(attributedefinition.Name(name)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("automation: check attribute: %w", err)
		}
		if !ok {
			return &apperr.Error{Code: apperr.NotFound, Field: "attribute", Message: fmt.Sprintf("no attribute %q is defined", name)}
		}
	}
	return nil
}

func dedupe(ids []gid.ID) []gid.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
