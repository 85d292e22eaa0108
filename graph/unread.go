package graph

import (
	"context"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Conversation.unreadCount without N+1: the first conversation of a list
// (a connection's edges, nodes(ids:)) to resolve the field counts for the
// whole list in one grouped statement, and the others read the result. The
// results live for one response (withUnreadLoader), keyed by the list's
// field.

type unreadKey struct{}

type unreadLoader struct {
	mu    sync.Mutex
	pages map[*graphql.FieldContext]*unreadPage
}

type unreadPage struct {
	once   sync.Once
	counts map[gid.ID]int
	err    error
}

// withUnreadLoader gives each response (each event of a subscription) its
// own loader.
func withUnreadLoader(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, unreadKey{}, &unreadLoader{pages: map[*graphql.FieldContext]*unreadPage{}}))
}

func (l *unreadLoader) page(fc *graphql.FieldContext) *unreadPage {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pages[fc]
	if p == nil {
		p = &unreadPage{}
		l.pages[fc] = p
	}
	return p
}

// unreadCount is Conversation.unreadCount for the viewer.
func (r *Resolver) unreadCount(ctx context.Context, obj *ent.Conversation) (int, error) {
	me := viewer.FromContext(ctx).AgentID
	loader, _ := ctx.Value(unreadKey{}).(*unreadLoader)
	list, ids := conversationList(ctx, obj.ID)
	if loader == nil || list == nil {
		counts, err := r.Inbox.UnreadCounts(ctx, me, []gid.ID{obj.ID})
		return counts[obj.ID], err
	}
	p := loader.page(list)
	p.once.Do(func() { p.counts, p.err = r.Inbox.UnreadCounts(ctx, me, ids) })
	return p.counts[obj.ID], p.err
}

// conversationList finds the nearest list of conversations the field
// being resolved belongs to, and their ids; nil when it is in none.
func conversationList(ctx context.Context, id gid.ID) (*graphql.FieldContext, []gid.ID) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, nil
	}
	for fc = fc.Parent; fc != nil; fc = fc.Parent {
		var ids []gid.ID
		switch v := fc.Result.(type) {
		case []*ent.ConversationEdge:
			for _, e := range v {
				if e != nil && e.Node != nil {
					ids = append(ids, e.Node.ID)
				}
			}
		case []*ent.Conversation:
			for _, c := range v {
				if c != nil {
					ids = append(ids, c.ID)
				}
			}
		case []ent.Noder:
			for _, n := range v {
				if c, ok := n.(*ent.Conversation); ok && c != nil {
					ids = append(ids, c.ID)
				}
			}
		default:
			continue
		}
		if !slices.Contains(ids, id) {
			return nil, nil
		}
		return fc, ids
	}
	return nil, nil
}
