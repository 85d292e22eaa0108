package inbox

import (
	"context"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// recordChannelEvent records something a customer did on the channel
// that is not a message (a follow, an opt-out, a menu click, a call), in
// the transaction ctx carries: as an activity on the timeline of their
// conversation on the channel (the open one, else the latest; a follow or
// a call starts one when there is none), and, for opt-outs and opt-ins,
// on their channel identity, which reply eligibility reads. An event the
// provider redelivers (same provider event id) is recorded once.
func (s *Service) recordChannelEvent(ctx context.Context, ch *ent.Channel, ev channels.Event) error {
	kind := conversationactivity.Kind(ev.Kind)
	if conversationactivity.KindValidator(kind) != nil || ev.Sender.ExternalID == "" {
		return nil // the adapter checked; nothing to record
	}
	c := s.db(ctx)
	ctx = store.Vetted(ctx, ch.ID)
	var dedupe *string
	if ev.ProviderEventID != "" {
		key := string(ch.ID) + ":" + ev.ProviderEventID
		seen, err := c.ConversationActivity.Query().Where(conversationactivity.DedupeKey(key)).Exist(ctx)
		if err != nil || seen {
			return err
		}
		dedupe = &key
	}
	cust, err := s.resolveSender(ctx, ch, ev.Sender)
	if err != nil {
		return err
	}
	ctx = store.Vetted(ctx, cust)
	switch {
	case ev.Kind.OptsOut():
		err = c.CustomerIdentity.Update().
			Where(customeridentity.KindEQ(customeridentity.KindCHANNEL_USER), customeridentity.ChannelID(ch.ID),
				customeridentity.Value(ev.Sender.ExternalID), customeridentity.OptedOutAtIsNil()).
			SetOptedOutAt(s.now()).Exec(ctx)
	case ev.Kind.OptsIn():
		err = c.CustomerIdentity.Update().
			Where(customeridentity.KindEQ(customeridentity.KindCHANNEL_USER), customeridentity.ChannelID(ch.ID),
				customeridentity.Value(ev.Sender.ExternalID), customeridentity.OptedOutAtNotNil()).
			ClearOptedOutAt().Exec(ctx)
	}
	if err != nil {
		return err
	}
	if err := s.lockCustomer(ctx, cust); err != nil {
		return err
	}
	conv, err := c.Conversation.Query().
		Where(conversation.CustomerID(cust), conversation.ChannelID(ch.ID), conversation.StatusNEQ(conversation.StatusRESOLVED)).
		Order(ent.Desc(conversation.FieldCreatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		conv, err = c.Conversation.Query().
			Where(conversation.CustomerID(cust), conversation.ChannelID(ch.ID)).
			Order(ent.Desc(conversation.FieldCreatedAt)).First(ctx)
	}
	created := false
	if ent.IsNotFound(err) {
		if ev.Kind != channels.EventFollowed && ev.Kind != channels.EventCall {
			return nil // no conversation to show it on; the opt-out is kept
		}
		conv, err = c.Conversation.Create().SetCustomerID(cust).SetChannelID(ch.ID).SetNillableTeamID(ch.TeamID).Save(ctx)
		created = err == nil
	}
	if err != nil {
		return err
	}
	ctx = store.Vetted(ctx, conv.ID)
	if created {
		if err := s.RecordActivity(ctx, conv, Activity{Kind: conversationactivity.KindOPENED, TeamID: conv.TeamID}); err != nil {
			return err
		}
		if err := s.events.Record(ctx, events.Event{Type: events.ConversationCreated, ConversationID: conv.ID, CustomerID: cust}); err != nil {
			return err
		}
	}
	if err := s.RecordActivity(ctx, conv, Activity{Kind: kind, Note: ev.Detail, DedupeKey: dedupe}); err != nil {
		return err
	}
	// Clients refresh the conversation: its timeline, and canReply after
	// an opt-out or opt-in.
	return s.events.Record(ctx, events.Event{
		Type: events.ConversationUpdated, Change: events.ChangeOther, ConversationID: conv.ID, CustomerID: cust,
	})
}
