package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/gid"
)

// Per-conversation fields computed for a whole list at once
// (Conversation.unreadCount, canReply, replyBlockedReason), without N+1:
// the first conversation of a list (a connection's edges, nodes(ids:)) to
// resolve such a field computes it for the whole list in a constant
// number of statements, and the others read the result. Results live for
// one response (each event of a subscription is one), keyed by the list's
// field and what was computed.

type listLoadsKey struct{}

type listLoads struct {
	mu    sync.Mutex
	pages map[listPageKey]*listPage
}

type listPageKey struct {
	list *graphql.FieldContext
	what string
}

type listPage struct {
	once   sync.Once
	result any
	err    error
}

// withListLoads gives each response its own results.
func withListLoads(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, listLoadsKey{}, &listLoads{pages: map[listPageKey]*listPage{}}))
}

func (l *listLoads) page(k listPageKey) *listPage {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pages[k]
	if p == nil {
		p = &listPage{}
		l.pages[k] = p
	}
	return p
}

// perList returns obj's value of what, computing load once for the list
// of conversations obj belongs to (or for obj alone when it is in none).
func perList[V any](ctx context.Context, what string, obj *ent.Conversation, load func([]*ent.Conversation) (map[gid.ID]V, error)) (V, error) {
	loads, _ := ctx.Value(listLoadsKey{}).(*listLoads)
	list, convs := conversationList(ctx, obj.ID)
	if loads == nil || list == nil {
		m, err := load([]*ent.Conversation{obj})
		return m[obj.ID], err
	}
	p := loads.page(listPageKey{list, what})
	p.once.Do(func() { p.result, p.err = load(convs) })
	m, _ := p.result.(map[gid.ID]V)
	return m[obj.ID], p.err
}

// conversationList finds the nearest list of conversations the field
// being resolved belongs to, and its conversations; nil when it is in
// none.
func conversationList(ctx context.Context, id gid.ID) (*graphql.FieldContext, []*ent.Conversation) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, nil
	}
	for fc = fc.Parent; fc != nil; fc = fc.Parent {
		var convs []*ent.Conversation
		switch v := fc.Result.(type) {
		case []*ent.ConversationEdge:
			for _, e := range v {
				if e != nil && e.Node != nil {
					convs = append(convs, e.Node)
				}
			}
		case []*ent.Conversation:
			for _, c := range v {
				if c != nil {
					convs = append(convs, c)
				}
			}
		case []ent.Noder:
			for _, n := range v {
				if c, ok := n.(*ent.Conversation); ok && c != nil {
					convs = append(convs, c)
				}
			}
		default:
			continue
		}
		for _, c := range convs {
			if c.ID == id {
				return fc, convs
			}
		}
		return nil, nil
	}
	return nil, nil
}
