package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/presence"
	"github.com/switchboard/switchboard/internal/viewer"
)

// trackPresence counts an agent's websocket as a live connection until it
// closes (websocketClose). API tokens are integrations, not agents around.
func (r *Resolver) trackPresence(a *viewer.Actor, conn *connection) {
	if a.Kind == viewer.KindAgent && a.AgentID != "" {
		conn.leave = r.Presence.Connect(a.WorkspaceID, a.AgentID)
	}
}

// websocketClose runs once when a websocket closes, with the context its
// connection_init returned.
func (r *Resolver) websocketClose(ctx context.Context, _ int) {
	if conn, _ := ctx.Value(connKey{}).(*connection); conn != nil && conn.leave != nil {
		conn.leave()
	}
}

// subscribeSignals streams the ephemeral signals of the viewer's workspace
// that load turns into a value (ok false skips one). Like subscribe, it
// ends with an error when the credential ends or the client fell behind;
// there is nothing to resume: clients re-query.
func subscribeSignals[T any](r *Resolver, ctx context.Context,
	load func(context.Context, *events.Signal) (v T, ok bool, err error),
) (<-chan T, error) {
	if err := guardSubscription(ctx); err != nil {
		return nil, err
	}
	a := viewer.FromContext(ctx)
	release, err := holdSlot(ctx)
	if err != nil {
		return nil, err
	}
	sub := r.Events.Signals().Subscribe(a.WorkspaceID)
	return pump(r, ctx, sub.C, sub.Err, func() { sub.Close(); release() },
		"subscriber fell behind; re-query and subscribe again", load), nil
}

func (r *Resolver) loadAgentStatus(ctx context.Context, sig *events.Signal) (*model.AgentStatusEvent, bool, error) {
	st, ok := presence.DecodeStatus(sig)
	if !ok {
		return nil, false, nil
	}
	ag, err := r.signalAgent(ctx, sig, st.AgentID)
	if ag == nil || err != nil {
		return nil, false, err
	}
	return &model.AgentStatusEvent{Agent: ag, Status: st.Status}, true, nil
}

func (r *Resolver) typingIn(conversationID gid.ID) func(context.Context, *events.Signal) (*model.TypingEvent, bool, error) {
	return func(ctx context.Context, sig *events.Signal) (*model.TypingEvent, bool, error) {
		t, ok := presence.DecodeTyping(sig)
		if !ok || t.ConversationID != conversationID {
			return nil, false, nil
		}
		ev := &model.TypingEvent{ConversationID: t.ConversationID, Typing: t.Typing}
		var err error
		switch {
		case t.AgentID != "":
			ev.Agent, err = r.signalAgent(ctx, sig, t.AgentID)
		case t.CustomerID != "":
			ev.Customer, err = memoGet(sig, "agent:customer", func() (*ent.Customer, error) {
				return r.Client.Customer.Get(context.WithoutCancel(ctx), t.CustomerID)
			})
		}
		if apperr.CodeOf(err) == apperr.NotFound || (err == nil && ev.Agent == nil && ev.Customer == nil) {
			return nil, false, nil // gone since: nothing to deliver
		}
		if err != nil {
			return nil, false, err
		}
		return ev, true, nil
	}
}

// signalAgent loads the agent a signal names once for all its subscribers
// here; nil when the agent is gone.
func (r *Resolver) signalAgent(ctx context.Context, sig *events.Signal, id gid.ID) (*ent.Agent, error) {
	ag, err := memoGet(sig, "agent:agent", func() (*ent.Agent, error) {
		return r.Client.Agent.Get(context.WithoutCancel(ctx), id)
	})
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return ag, err
}

// checkConversation answers NOT_FOUND for a conversation the viewer
// cannot see.
func (r *Resolver) checkConversation(ctx context.Context, id gid.ID) error {
	ok, err := r.db(ctx).Conversation.Query().Where(conversation.ID(id)).Exist(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.NotFoundf("conversation not found")
	}
	return nil
}
