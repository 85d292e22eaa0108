package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// unreadCount is Conversation.unreadCount for the viewer, counted for the
// whole list in one grouped statement (see perList).
func (r *Resolver) unreadCount(ctx context.Context, obj *ent.Conversation) (int, error) {
	me := viewer.FromContext(ctx).AgentID
	return perList(ctx, "unreadCount", obj, func(convs []*ent.Conversation) (map[gid.ID]int, error) {
		ids := make([]gid.ID, len(convs))
		for i, c := range convs {
			ids[i] = c.ID
		}
		return r.Inbox.UnreadCounts(ctx, me, ids)
	})
}
