package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
)

// followMerges resolves a merged customer's id to the customer it was
// merged into (through any chain of merges).
func (r *Resolver) followMerges(ctx context.Context, n ent.Noder) (ent.Noder, error) {
	c, ok := n.(*ent.Customer)
	if !ok {
		return n, nil
	}
	// n holds only the fields the query asked for: PrimaryID reads the link.
	id, err := r.Customers.PrimaryID(ctx, c.ID)
	if err != nil || id == c.ID {
		return n, err
	}
	return r.Client.Customer.Get(ctx, id)
}

// movedConversations are the conversations a merge moved.
func (r *Resolver) movedConversations(ctx context.Context, m *ent.CustomerMerge) ([]*ent.Conversation, error) {
	ids := make([]gid.ID, len(m.Snapshot.Conversations))
	for i, id := range m.Snapshot.Conversations {
		ids[i] = gid.ID(id)
	}
	return r.Client.Conversation.Query().Where(conversation.IDIn(ids...)).All(ctx)
}

// customerChanged streams the workspace's customer changes, merges and
// unmerges.
func (r *Resolver) customerChanged(ctx context.Context, after *string) (<-chan *model.CustomerEvent, error) {
	match := func(ev *events.Event) bool {
		return ev.Type == events.CustomerUpdated || ev.Type == events.CustomerMerged || ev.Type == events.CustomerUnmerged
	}
	return subscribe(r, ctx, after, match, r.loadCustomerEvent)
}

func (r *Resolver) loadCustomerEvent(ctx context.Context, ev *events.Event) (*model.CustomerEvent, error) {
	ctx = context.WithoutCancel(ctx)
	cu, err := memoGet(ev, "agent:customer", func() (*ent.Customer, error) { return r.Client.Customer.Get(ctx, ev.CustomerID) })
	if err != nil {
		return nil, err
	}
	out := &model.CustomerEvent{Event: ev, Type: model.CustomerEventTypeUpdated, Customer: cu}
	switch ev.Type {
	case events.CustomerMerged:
		out.Type = model.CustomerEventTypeMerged
	case events.CustomerUnmerged:
		out.Type = model.CustomerEventTypeUnmerged
	}
	if ev.MergeID != "" {
		if out.Merge, err = memoGet(ev, "agent:merge", func() (*ent.CustomerMerge, error) { return r.Client.CustomerMerge.Get(ctx, ev.MergeID) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}
