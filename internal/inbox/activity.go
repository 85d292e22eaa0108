package inbox

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Activity is one step of a conversation's life (opened, assigned,
// resolved, reopened, transferred, taken), kept durably for the customer's
// timeline and the assignment history.
type Activity struct {
	Kind conversationactivity.Kind
	// Reason says why an ASSIGNED, TRANSFERRED or TAKEN happened.
	Reason conversationactivity.Reason
	// AgentID is the assignee; TeamID the team it went through.
	AgentID, TeamID *gid.ID
	Note            string
	// DedupeKey records a channel event once (see recordChannelEvent).
	DedupeKey *string
	// RuleID is the automation rule of a RULE_APPLIED step.
	RuleID *gid.ID
}

// RecordActivity stores a step of conv's life in the transaction ctx carries, so it
// commits or rolls back with the change it describes. It is filed under
// the conversation's customer, at the service clock; the actor is the
// agent behind the request (an agent, or an API token's creator), none
// when Switchboard itself acted (ingest, routing).
func (s *Service) RecordActivity(ctx context.Context, conv *ent.Conversation, a Activity) error {
	c := s.db(ctx)
	create := c.ConversationActivity.Create().
		SetConversationID(conv.ID).
		SetCustomerID(conv.CustomerID).
		SetKind(a.Kind).
		SetNillableAgentID(a.AgentID).
		SetNillableTeamID(a.TeamID).
		SetOccurredAt(s.now().UTC())
	if a.Reason != "" {
		create.SetReason(a.Reason)
	}
	if a.Note != "" {
		create.SetNote(a.Note)
	}
	create.SetNillableDedupeKey(a.DedupeKey).SetNillableRuleID(a.RuleID)
	if v := viewer.FromContext(ctx); v != nil && v.AgentID != "" {
		create.SetActorID(v.AgentID)
	}
	if err := create.Exec(ctx); err != nil {
		return fmt.Errorf("inbox: record %s: %w", a.Kind, err)
	}
	return nil
}

// statusActivity is the step a status change makes: RESOLVED when a
// conversation gets resolved, REOPENED when a resolved one goes back to
// OPEN or PENDING, SNOOZED when it is snoozed (again: a new time); other
// changes are not steps (the timer's waking is WOKEN, recorded by Wake).
func statusActivity(from, to conversation.Status) (conversationactivity.Kind, bool) {
	switch {
	case to == conversation.StatusSNOOZED:
		return conversationactivity.KindSNOOZED, true
	case to == conversation.StatusRESOLVED && from != conversation.StatusRESOLVED:
		return conversationactivity.KindRESOLVED, true
	case from == conversation.StatusRESOLVED && (to == conversation.StatusOPEN || to == conversation.StatusPENDING):
		return conversationactivity.KindREOPENED, true
	}
	return "", false
}
