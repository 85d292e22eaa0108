package graph

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/viewer"
)

// MaxSubscriptionsPerConnection caps one websocket's live subscriptions.
const MaxSubscriptionsPerConnection = 100

// connection is what a websocket's connection_init establishes.
type connection struct {
	expires time.Time // zero: the credential does not expire
	active  atomic.Int32
	leave   func() // ends the agent's presence through this socket; nil for tokens
}

type connKey struct{}

// websocketInit authenticates a websocket from its connection_init payload
// ({"authorization": "Bearer <token>"}, or "authToken") through the same
// function as HTTP requests. A refusal closes the socket with 4403.
func (r *Resolver) websocketInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	cred := p.Authorization()
	if cred == "" {
		cred = p.GetString("authToken")
	}
	if scheme, rest, ok := strings.Cut(cred, " "); ok && strings.EqualFold(scheme, "Bearer") {
		cred = rest
	}
	actor, exp, err := r.Auth.Authenticate(ctx, cred)
	if err != nil {
		ctx = transport.WithWebsocketCloseCode(ctx, 4403)
		return ctx, nil, errors.New("Forbidden")
	}
	ctx = viewer.NewContext(ctx, actor)
	conn := &connection{expires: exp}
	r.trackPresence(actor, conn)
	return context.WithValue(ctx, connKey{}, conn), nil, nil
}

// subscribe streams the events of the viewer's workspace that match,
// loaded into the values the subscription sends. It ends the subscription
// with an error when the credential expires, when the client fell too far
// behind (it resumes from its last cursor), or on a failure.
func subscribe[T any](r *Resolver, ctx context.Context, after *string,
	match func(*events.Event) bool, load func(context.Context, *events.Event) (T, error),
) (<-chan T, error) {
	a := viewer.FromContext(ctx)
	var pos *int64
	if after != nil {
		n, err := events.ParseCursor(*after)
		if err != nil {
			return nil, err
		}
		pos = &n
	}
	release, err := holdSlot(ctx)
	if err != nil {
		return nil, err
	}
	st, err := r.Events.Stream(ctx, a.WorkspaceID, pos)
	if err != nil {
		release()
		return nil, err
	}
	out := make(chan T)
	go func() {
		defer close(out)
		defer st.Stop()
		defer release()
		expiry, stop := expiryOf(ctx)
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-expiry:
				endWith(ctx, apperr.New(apperr.Unauthenticated, "the token expired; reconnect with a new one"))
				return
			case ev, ok := <-st.C:
				if !ok {
					if err := st.Err(); events.IsSlow(err) {
						endWith(ctx, apperr.New(apperr.RateLimited, "%s", err.Error()))
					} else if err != nil {
						r.Log.ErrorContext(ctx, "subscription failed", "err", err)
						endWith(ctx, apperr.New(apperr.Internal, "internal error"))
					}
					return
				}
				if !match(ev) {
					continue
				}
				v, err := load(ctx, ev)
				if err != nil {
					if apperr.CodeOf(err) == apperr.NotFound {
						continue // gone since, or not visible: nothing to deliver
					}
					r.Log.ErrorContext(ctx, "subscription failed", "err", err)
					endWith(ctx, apperr.New(apperr.Internal, "internal error"))
					return
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

// endWith ends a subscription with an error message carrying its code.
func endWith(ctx context.Context, e *apperr.Error) {
	transport.AddSubscriptionError(ctx, &gqlerror.Error{
		Message:    e.Message,
		Extensions: map[string]any{"code": string(e.Code)},
	})
}

// holdSlot takes one of the websocket connection's subscription slots
// (at most MaxSubscriptionsPerConnection); release gives it back.
func holdSlot(ctx context.Context) (release func(), err error) {
	conn, _ := ctx.Value(connKey{}).(*connection)
	if conn == nil {
		return func() {}, nil
	}
	if conn.active.Add(1) > MaxSubscriptionsPerConnection {
		conn.active.Add(-1)
		return nil, apperr.New(apperr.RateLimited, "at most %d subscriptions per connection", MaxSubscriptionsPerConnection)
	}
	return func() { conn.active.Add(-1) }, nil
}

// expiryOf returns a channel that fires when the connection's credential
// expires (nil: it does not), and a function that stops the timer.
func expiryOf(ctx context.Context) (<-chan time.Time, func()) {
	conn, _ := ctx.Value(connKey{}).(*connection)
	if conn == nil || conn.expires.IsZero() {
		return nil, func() {}
	}
	t := time.NewTimer(time.Until(conn.expires))
	return t.C, func() { t.Stop() }
}
