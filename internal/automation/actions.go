package automation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/attributedefinition"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/schematype"
)

// act runs a rule's actions in order, in the transaction ctx carries, and
// says what each changed.
func (s *Service) act(ctx context.Context, r *ent.AutomationRule, snap *Snapshot) ([]string, error) {
	changes := make([]string, 0, len(r.Actions))
	for i := range r.Actions {
		a := &r.Actions[i]
		if err := s.do(ctx, a, snap); err != nil {
			return nil, fmt.Errorf("%s: %w", a.Type, err)
		}
		changes = append(changes, s.describe(ctx, a))
	}
	return changes, nil
}

func (s *Service) do(ctx context.Context, a *schematype.RuleAction, snap *Snapshot) error {
	id := snap.ConversationID
	var err error
	switch a.Type {
	case ActAddTag:
		_, err = s.inbox.AddTags(ctx, id, a.TagIDs)
	case ActRemoveTag:
		_, err = s.inbox.RemoveTags(ctx, id, a.TagIDs)
	case ActSetPriority:
		_, err = s.inbox.SetPriority(ctx, id, conversation.Priority(a.Priority))
	case ActAssignAgent:
		_, err = s.inbox.Assign(ctx, id, a.AgentID)
	case ActAssignTeam:
		_, err = s.inbox.Transfer(ctx, id, nil, a.TeamID, "")
	case ActSendQuickReply:
		_, err = s.quickReplies.Send(ctx, *a.QuickReplyID, id)
	case ActAddNote:
		var vals render.Values
		if vals, err = s.quickReplies.Values(ctx, id); err == nil {
			_, err = s.inbox.Send(ctx, inbox.SendInput{ConversationID: id, Body: render.String(a.Body, vals), Private: true, Automated: true})
		}
	case ActSetAttribute:
		var v any
		if v, err = s.attributeValue(ctx, a); err == nil {
			_, err = s.customers.Update(ctx, snap.CustomerID, ent.UpdateCustomerInput{CustomAttributes: map[string]any{a.Attribute: v}})
		}
	case ActMarkVIP:
		vip := true
		_, err = s.customers.Update(ctx, snap.CustomerID, ent.UpdateCustomerInput{Vip: &vip})
	case ActResolve:
		_, err = s.inbox.SetStatus(ctx, id, conversation.StatusRESOLVED, nil)
	case ActSnooze:
		until := s.o.Now().Add(time.Duration(a.Minutes) * time.Minute)
		_, err = s.inbox.SetStatus(ctx, id, conversation.StatusSNOOZED, &until)
	default:
		err = fmt.Errorf("unknown action %q", a.Type)
	}
	return err
}

// attributeValue converts the rule's text to the attribute's type.
func (s *Service) attributeValue(ctx context.Context, a *schematype.RuleAction) (any, error) {
	if a.Value == nil {
		return nil, nil
	}
	def, err := s.db(ctx).AttributeDefinition.Query().Where(attributedefinition.Name(a.Attribute)).Only(ctx)
	if err != nil {
		return nil, err
	}
	switch def.Type {
	case attributedefinition.TypeNUMBER:
		return strconv.ParseFloat(*a.Value, 64)
	case attributedefinition.TypeBOOLEAN:
		return strconv.ParseBool(*a.Value)
	}
	return *a.Value, nil
}

// describe says what an action does, for people.
func (s *Service) describe(ctx context.Context, a *schematype.RuleAction) string {
	switch a.Type {
	case ActAddTag:
		return "added tag " + s.tagNames(ctx, a.TagIDs)
	case ActRemoveTag:
		return "removed tag " + s.tagNames(ctx, a.TagIDs)
	case ActSetPriority:
		return "set priority " + a.Priority
	case ActAssignAgent:
		return "assigned to " + s.agentName(ctx, *a.AgentID)
	case ActAssignTeam:
		return "transferred to team " + s.teamName(ctx, *a.TeamID)
	case ActSendQuickReply:
		return "sent quick reply " + s.quickReplyTitle(ctx, *a.QuickReplyID)
	case ActAddNote:
		return "added a note"
	case ActSetAttribute:
		if a.Value == nil {
			return "removed customer attribute " + a.Attribute
		}
		return fmt.Sprintf("set customer attribute %s to %q", a.Attribute, *a.Value)
	case ActMarkVIP:
		return "marked the customer VIP"
	case ActResolve:
		return "resolved"
	case ActSnooze:
		return fmt.Sprintf("snoozed for %d minutes", a.Minutes)
	}
	return a.Type
}
