package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
)

// Conversation.canReply and replyBlockedReason without N+1: the first
// conversation of a list to resolve either field asks the inbox about the
// whole list (a constant number of statements), and the others read the
// result. Results live for one response, like unreadCount's.

type replyKey struct{}

type replyLoader struct {
	mu    sync.Mutex
	pages map[*graphql.FieldContext]*replyPage
}

type replyPage struct {
	once   sync.Once
	blocks map[gid.ID]inbox.ReplyBlock
	err    error
}

func withReplyLoader(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, replyKey{}, &replyLoader{pages: map[*graphql.FieldContext]*replyPage{}}))
}

func (r *Resolver) replyBlock(ctx context.Context, obj *ent.Conversation) (inbox.ReplyBlock, error) {
	loader, _ := ctx.Value(replyKey{}).(*replyLoader)
	list, convs := conversationObjects(ctx, obj.ID)
	if loader == nil || list == nil {
		blocks, err := r.Inbox.ReplyBlocks(ctx, []*ent.Conversation{obj})
		return blocks[obj.ID], err
	}
	loader.mu.Lock()
	p := loader.pages[list]
	if p == nil {
		p = &replyPage{}
		loader.pages[list] = p
	}
	loader.mu.Unlock()
	p.once.Do(func() { p.blocks, p.err = r.Inbox.ReplyBlocks(ctx, convs) })
	return p.blocks[obj.ID], p.err
}

func (r *Resolver) canReply(ctx context.Context, obj *ent.Conversation) (bool, error) {
	b, err := r.replyBlock(ctx, obj)
	return b == inbox.ReplyAllowed, err
}

func (r *Resolver) replyBlockedReason(ctx context.Context, obj *ent.Conversation) (*model.ReplyBlockedReason, error) {
	b, err := r.replyBlock(ctx, obj)
	if err != nil || b == inbox.ReplyAllowed {
		return nil, err
	}
	reason := model.ReplyBlockedReason(b)
	return &reason, nil
}

// conversationObjects is conversationList with the conversations
// themselves.
func conversationObjects(ctx context.Context, id gid.ID) (*graphql.FieldContext, []*ent.Conversation) {
	list, _ := conversationList(ctx, id)
	if list == nil {
		return nil, nil
	}
	var out []*ent.Conversation
	switch v := list.Result.(type) {
	case []*ent.ConversationEdge:
		for _, e := range v {
			if e != nil && e.Node != nil {
				out = append(out, e.Node)
			}
		}
	case []*ent.Conversation:
		for _, c := range v {
			if c != nil {
				out = append(out, c)
			}
		}
	case []ent.Noder:
		for _, n := range v {
			if c, ok := n.(*ent.Conversation); ok && c != nil {
				out = append(out, c)
			}
		}
	}
	return list, out
}
