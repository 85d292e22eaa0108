package graph

import (
	"context"
	"github.com/switchboard/switchboard/channels"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
)

// replyBlock is whether an agent's reply to obj could be sent, asked of
// the inbox for the whole list at once (see perList).
func (r *Resolver) replyBlock(ctx context.Context, obj *ent.Conversation) (inbox.ReplyBlock, error) {
	return perList(ctx, "replyBlock", obj, func(convs []*ent.Conversation) (map[gid.ID]inbox.ReplyBlock, error) {
		return r.Inbox.ReplyBlocks(ctx, convs)
	})
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

// templateMessage is the inbox's form of a TemplateMessageInput.
func templateMessage(in *model.TemplateMessageInput) *channels.TemplateMessage {
	if in == nil {
		return nil
	}
	return &channels.TemplateMessage{ID: in.TemplateID, Language: deref(in.Language), Params: in.Params}
}
