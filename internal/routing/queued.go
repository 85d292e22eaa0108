package routing

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
	"github.com/switchboard/switchboard/internal/workhours"
)

// startsWaiting reports whether an event may put a conversation in the
// queue: it was created, its status changed (reopened), or it was
// unassigned.
func startsWaiting(ev *events.Event) bool {
	switch ev.Type {
	case events.ConversationCreated:
		return true
	case events.ConversationUpdated:
		return ev.Change == events.ChangeStatus
	case events.ConversationAssigned:
		return ev.AgentID == ""
	}
	return false
}

// recordQueued records conversation.queued for the conversations that
// started waiting and that the routing pass left in the queue although
// routing would have assigned them (a routed channel, enabled and within
// its working hours, a customer waiting): nobody was free. It runs once
// per event that started the wait, not on sweeps; a replayed batch may
// record one twice (auto-replies' cooldown absorbs that).
func (r *Router) recordQueued(ctx context.Context, ws gid.ID, ids []gid.ID) error {
	if len(ids) == 0 {
		return nil
	}
	ctx = viewer.NewContext(ctx, viewer.System(ws))
	ctx = events.WithCause(ctx, events.Cause{Kind: events.CauseRouting})
	convs, err := r.client.Conversation.Query().
		Where(conversation.IDIn(ids...), conversation.AssigneeIDIsNil(), conversation.WaitingSinceNotNil(),
			conversation.StatusIn(conversation.StatusOPEN, conversation.StatusPENDING)).
		WithChannel().All(ctx)
	if err != nil || len(convs) == 0 {
		return err
	}
	chIDs := make([]gid.ID, 0, len(convs))
	for _, cv := range convs {
		chIDs = append(chIDs, cv.ChannelID)
	}
	routed, err := r.client.RoutingPolicy.Query().
		Where(routingpolicy.ChannelIDIn(chIDs...), routingpolicy.StrategyNEQ(routingpolicy.StrategyMANUAL)).
		Select(routingpolicy.FieldChannelID).Strings(ctx)
	if err != nil || len(routed) == 0 {
		return err
	}
	isRouted := map[gid.ID]bool{}
	for _, id := range routed {
		isRouted[gid.ID(id)] = true
	}
	now := r.o.Now()
	err = store.InTx(ctx, r.client, func(ctx context.Context) error {
		for _, cv := range convs {
			ch := cv.Edges.Channel
			if !isRouted[cv.ChannelID] || ch == nil || !ch.Enabled || !workhours.Open(ch.WorkingHours, now) {
				continue
			}
			err := r.events.Record(ctx, events.Event{Type: events.ConversationQueued, ConversationID: cv.ID, CustomerID: cv.CustomerID})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("routing: recording queued conversations: %w", err)
	}
	return nil
}
