package graph

import (
	"context"
	"sync"
	"time"

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
	if r.Presence != nil && a.Kind == viewer.KindAgent && a.AgentID != "" {
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
// ends with an error when the credential expires or the client fell
// behind; there is nothing to resume: clients re-query.
func subscribeSignals[T any](r *Resolver, ctx context.Context,
	load func(context.Context, *events.Signal) (v T, ok bool, err error),
) (<-chan T, error) {
	a := viewer.FromContext(ctx)
	release, err := holdSlot(ctx)
	if err != nil {
		return nil, err
	}
	sub := r.Events.Signals().Subscribe(a.WorkspaceID)
	out := make(chan T)
	go func() {
		defer close(out)
		defer sub.Close()
		defer release()
		ended, reason := credentialEnd(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ended:
				endWith(ctx, reason())
				return
			case sig, ok := <-sub.C:
				if !ok {
					if events.IsSlow(sub.Err()) {
						endWith(ctx, apperr.New(apperr.RateLimited, "subscriber fell behind; re-query and subscribe again"))
					}
					return
				}
				v, ok, err := load(ctx, sig)
				if err != nil {
					r.Log.ErrorContext(ctx, "subscription failed", "err", err)
					endWith(ctx, apperr.New(apperr.Internal, "internal error"))
					return
				}
				if !ok {
					continue
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
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
			ev.Customer, err = memoSignal(&r.signalMemo, sig, "customer", func() (*ent.Customer, error) {
				return r.Client.Customer.Get(context.WithoutCancel(ctx), t.CustomerID)
			})
		}
		if err != nil || (ev.Agent == nil && ev.Customer == nil) {
			return nil, false, err
		}
		return ev, true, nil
	}
}

// signalAgent loads the agent a signal names once for all its subscribers
// here; nil when the agent is gone.
func (r *Resolver) signalAgent(ctx context.Context, sig *events.Signal, id gid.ID) (*ent.Agent, error) {
	return memoSignal(&r.signalMemo, sig, "agent", func() (*ent.Agent, error) {
		return r.Client.Agent.Get(context.WithoutCancel(ctx), id)
	})
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

// signalMemo shares what subscribers load for one signal: a signal is
// delivered as one value to every subscriber of its workspace here, and
// agents of a workspace see the same rows. Entries are dropped soon after.
type signalMemo struct {
	mu sync.Mutex
	m  map[signalMemoKey]*memoCell
}

type signalMemoKey struct {
	sig  *events.Signal
	what string
}

type memoCell struct {
	once sync.Once
	v    any
	err  error
}

// signalMemoTTL is how long a signal's loads are kept.
const signalMemoTTL = 10 * time.Second

// memoSignal returns load()'s result for a signal, loading it once; a
// missing row is a nil result.
func memoSignal[T any](m *signalMemo, sig *events.Signal, what string, load func() (*T, error)) (*T, error) {
	k := signalMemoKey{sig, what}
	m.mu.Lock()
	if m.m == nil {
		m.m = map[signalMemoKey]*memoCell{}
	}
	c := m.m[k]
	if c == nil {
		c = &memoCell{}
		m.m[k] = c
		time.AfterFunc(signalMemoTTL, func() {
			m.mu.Lock()
			delete(m.m, k)
			m.mu.Unlock()
		})
	}
	m.mu.Unlock()
	c.once.Do(func() {
		v, err := load()
		if ent.IsNotFound(err) {
			v, err = nil, nil
		}
		c.v, c.err = v, err
	})
	if c.err != nil {
		return nil, c.err
	}
	v, _ := c.v.(*T)
	return v, nil
}
