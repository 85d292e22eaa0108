package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/access"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
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

// The objects events name are loaded once per event, as the whole
// workspace sees them, and shared by the workspace's agent subscribers;
// each subscriber then gets them only when it sees the event's
// conversation (channel members, see internal/access): the shared load is
// never one subscriber's view handed to another.

func (r *Resolver) loadMessage(ctx context.Context, ev *events.Event) (*model.MessageEvent, error) {
	m, err := memoGet(ev, "agent:message", func() (*ent.Message, error) { return r.Client.Message.Get(workspaceView(ctx, ev), ev.MessageID) })
	if err != nil {
		return nil, err
	}
	if err := r.checkAudience(ctx, ev, m.ConversationID); err != nil {
		return nil, err
	}
	return &model.MessageEvent{Event: ev, Message: m}, nil
}

func (r *Resolver) loadConversation(ctx context.Context, ev *events.Event) (*model.ConversationEvent, error) {
	c, err := r.eventConversation(ctx, ev, ev.ConversationID)
	if err != nil {
		return nil, err
	}
	if err := r.checkAudience(ctx, ev, c.ID); err != nil {
		return nil, err
	}
	return &model.ConversationEvent{Event: ev, Type: conversationEventType(ev), Conversation: c}, nil
}

// workspaceView is ctx reading as Switchboard itself in the event's
// workspace: what it loads may be shared by every subscriber there.
func workspaceView(ctx context.Context, ev *events.Event) context.Context {
	return viewer.NewContext(context.WithoutCancel(ctx), viewer.System(ev.WorkspaceID))
}

func (r *Resolver) eventConversation(ctx context.Context, ev *events.Event, id gid.ID) (*ent.Conversation, error) {
	return memoGet(ev, "agent:conversation", func() (*ent.Conversation, error) {
		return r.Client.Conversation.Get(workspaceView(ctx, ev), id)
	})
}

// checkAudience is NOT_FOUND (nothing to deliver) when the subscriber
// does not see the conversation an event is about. Who sees it is read
// once per event.
func (r *Resolver) checkAudience(ctx context.Context, ev *events.Event, conversationID gid.ID) error {
	a := viewer.FromContext(ctx)
	if _, restricted := access.Restricted(a); !restricted {
		return nil
	}
	au, err := memoGet(ev, "agent:audience", func() (access.Audience, error) {
		c, err := r.eventConversation(ctx, ev, conversationID)
		if err != nil {
			return access.Audience{}, err
		}
		return access.AudienceOf(workspaceView(ctx, ev), r.Client, c)
	})
	if err != nil {
		return err
	}
	if !au.Sees(a) {
		return apperr.NotFoundf("conversation")
	}
	return nil
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

// eventCause maps an event's cause; an unknown kind (a newer writer's) is
// SYSTEM.
func eventCause(ev *events.Event) *model.EventCause {
	out := &model.EventCause{Kind: model.EventCauseKind(ev.Cause.Kind)}
	if !out.Kind.IsValid() {
		out.Kind = model.EventCauseKindSystem
	}
	if ev.Cause.ID != "" {
		id := ev.Cause.ID
		out.ID = &id
	}
	return out
}
