package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// followMerges resolves a merged customer's id to the customer it was
// merged into (through any chain of merges).
func (r *Resolver) followMerges(ctx context.Context, n ent.Noder) (ent.Noder, error) {
	for i := 0; i < 16; i++ {
		c, ok := n.(*ent.Customer)
		if !ok || c.MergedIntoID == nil {
			return n, nil
		}
		next, err := r.Client.Customer.Get(ctx, *c.MergedIntoID)
		if err != nil {
			return nil, err
		}
		n = next
	}
	return n, nil
}

// movedConversations are the conversations a merge moved.
func (r *Resolver) movedConversations(ctx context.Context, m *ent.CustomerMerge) ([]*ent.Conversation, error) {
	ids := make([]gid.ID, len(m.Snapshot.Conversations))
	for i, id := range m.Snapshot.Conversations {
		ids[i] = gid.ID(id)
	}
	return r.Client.Conversation.Query().Where(conversation.IDIn(ids...)).All(ctx)
}

func (r *Resolver) customerChanged(ctx context.Context, after *string) (<-chan *model.CustomerEvent, error) {
	return nil, apperr.New(apperr.Internal, "being built")
}
