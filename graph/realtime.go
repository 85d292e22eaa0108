package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
)

func messagesOf(typ events.Type, conversationID *gid.ID) func(*events.Event) bool {
	return func(ev *events.Event) bool {
		return ev.Type == typ && (conversationID == nil || ev.ConversationID == *conversationID)
	}
}

func isConversationEvent(ev *events.Event) bool {
	switch ev.Type {
	case events.ConversationCreated, events.ConversationUpdated, events.ConversationAssigned:
		return true
	}
	return false
}

// conversationEventType is the public type of a conversation event.
func conversationEventType(ev *events.Event) model.ConversationEventType {
	switch {
	case ev.Type == events.ConversationCreated:
		return model.ConversationEventTypeCreated
	case ev.Type == events.ConversationAssigned && ev.AgentID != "":
		return model.ConversationEventTypeAssigned
	case ev.Type == events.ConversationAssigned:
		return model.ConversationEventTypeUnassigned
	case ev.Change == events.ChangeStatus:
		return model.ConversationEventTypeStatusChanged
	default:
		return model.ConversationEventTypeUpdated
	}
}

// The objects events name are loaded once per event and shared by the
// workspace's agent subscribers (agents of a workspace see the same rows).

func (r *Resolver) loadMessage(ctx context.Context, ev *events.Event) (*model.MessageEvent, error) {
	m, err := memoGet(ev, "agent:message", func() (*ent.Message, error) { return r.Client.Message.Get(context.WithoutCancel(ctx), ev.MessageID) })
	if err != nil {
		return nil, err
	}
	return &model.MessageEvent{Event: ev, Message: m}, nil
}

func (r *Resolver) loadConversation(ctx context.Context, ev *events.Event) (*model.ConversationEvent, error) {
	c, err := memoGet(ev, "agent:conversation", func() (*ent.Conversation, error) {
		return r.Client.Conversation.Get(context.WithoutCancel(ctx), ev.ConversationID)
	})
	if err != nil {
		return nil, err
	}
	return &model.ConversationEvent{Event: ev, Type: conversationEventType(ev), Conversation: c}, nil
}

// memoGet loads what a published event or signal names once for all its
// subscribers here (see events' memo); a missing row is NOT_FOUND.
func memoGet[T any](item interface {
	Memo(string, func() (any, error)) (any, error)
}, key string, load func() (T, error)) (T, error) {
	v, err := item.Memo(key, func() (any, error) { return load() })
	if ent.IsNotFound(err) {
		err = apperr.NotFoundf("%s", key)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}
