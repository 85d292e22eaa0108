package quickreplies

import (
	"context"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/schematype"
)

// SendMessage is sendMessage with a quick reply: the message gets fresh
// copies of the quick reply's files after in's own; the body is the
// caller's (normally Render's), and when it is empty, in has no
// template and the quick reply names one, that template is sent with its
// parameters filled for the conversation.
func (s *Service) SendMessage(ctx context.Context, in inbox.SendInput, quickReplyID gid.ID) (*ent.Message, error) {
	qr, err := s.Get(ctx, quickReplyID)
	if err != nil {
		return nil, withField(err, "quickReplyID")
	}
	if in.Template == nil && in.Body == "" && qr.Template != nil && !in.Private {
		values, err := s.Values(ctx, in.ConversationID)
		if err != nil {
			return nil, err
		}
		in.Template = templateMessage(qr.Template, values)
		return s.inbox.Send(ctx, in)
	}
	if in.Template == nil {
		cps, err := s.copies(ctx, qr.ID)
		if err != nil {
			return nil, err
		}
		in.AttachmentIDs = append(append([]gid.ID(nil), in.AttachmentIDs...), cps...)
	}
	return s.inbox.Send(ctx, in)
}

// Send sends the quick reply on the conversation on the business's behalf
// (an automation rule's action), in the transaction ctx carries: an
// automated message (sender BOT, not a response) with the body rendered
// for the conversation (agent.* with no agent acting: their fallbacks)
// and copies of its files, or, where only templates may be sent and the
// quick reply names one, its template with the parameters rendered.
func (s *Service) Send(ctx context.Context, quickReplyID, conversationID gid.ID) (*ent.Message, error) {
	qr, err := s.Get(ctx, quickReplyID)
	if err != nil {
		return nil, err
	}
	values, err := s.Values(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	in := inbox.SendInput{ConversationID: conversationID, Automated: true}
	useTemplate := qr.Template != nil && qr.Body == ""
	if qr.Template != nil && !useTemplate {
		conv, err := s.db(ctx).Conversation.Get(ctx, conversationID)
		if err != nil {
			return nil, err
		}
		blocks, err := s.inbox.ReplyBlocks(ctx, []*ent.Conversation{conv})
		if err != nil {
			return nil, err
		}
		useTemplate = blocks[conv.ID] == inbox.TemplateRequired
	}
	if useTemplate {
		in.Template = templateMessage(qr.Template, values)
		return s.inbox.Send(ctx, in)
	}
	in.Body = render.String(qr.Body, values)
	if in.AttachmentIDs, err = s.copies(ctx, qr.ID); err != nil {
		return nil, err
	}
	return s.inbox.Send(ctx, in)
}

// templateMessage is the quick reply's template with its parameters
// rendered.
func templateMessage(t *schematype.QuickReplyTemplate, values render.Values) *channels.TemplateMessage {
	params := make(map[string]any, len(t.Params))
	for k, p := range t.Params {
		params[k] = render.String(p, values)
	}
	return &channels.TemplateMessage{ID: t.TemplateID, Language: t.Language, Params: params}
}

func conversationIs(id gid.ID) predicate.Conversation { return conversation.ID(id) }

// withField names the input field a NOT_FOUND came from.
func withField(err error, field string) error {
	if apperr.CodeOf(err) == apperr.NotFound {
		return &apperr.Error{Code: apperr.NotFound, Field: field, Message: "no such quick reply"}
	}
	return err
}
