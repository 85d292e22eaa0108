package graph

import (
	"context"
	"errors"
	"strings"
	"sync"
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
	actor   *viewer.Actor // as authenticated by connection_init
	expires time.Time     // zero: the credential does not expire
	active  atomic.Int32
	leave   func()        // ends the agent's presence through this socket; nil for tokens
	recheck chan struct{} // asks the watcher to re-authenticate now (buffered, 1)

	ended  chan struct{} // closed when the credential expires or stops working
	reason *apperr.Error
	once   sync.Once

	mu     sync.Mutex
	onEnds map[*func()]struct{} // called once when ended closes (onEnd)
}

// end ends every subscription of the connection with reason.
func (c *connection) end(reason *apperr.Error) {
	c.once.Do(func() {
		c.reason = reason
		close(c.ended)
		c.mu.Lock()
		fns := c.onEnds
		c.onEnds = nil
		c.mu.Unlock()
		for fn := range fns {
			(*fn)()
		}
	})
}

// onEnd calls fn once when the connection's credential ends (at once if
// it has); remove unregisters it. fn must not block.
func (c *connection) onEnd(fn func()) (remove func()) {
	select {
	case <-c.ended:
		fn()
		return func() {}
	default:
	}
	c.mu.Lock()
	if c.onEnds == nil {
		c.onEnds = map[*func()]struct{}{}
	}
	c.onEnds[&fn] = struct{}{}
	c.mu.Unlock()
	// end may have run between the check and the registration.
	select {
	case <-c.ended:
		c.mu.Lock()
		_, pending := c.onEnds[&fn]
		delete(c.onEnds, &fn)
		c.mu.Unlock()
		if pending {
			fn()
		}
	default:
	}
	return func() {
		c.mu.Lock()
		delete(c.onEnds, &fn)
		c.mu.Unlock()
	}
}

// recheckNow asks the connection's watcher to re-authenticate at once;
// it never blocks (one pending request is enough).
func (c *connection) recheckNow() {
	select {
	case c.recheck <- struct{}{}:
	default:
	}
}

// DefaultCredentialRecheck is how often a websocket's credential is
// checked again. It is the backstop: a credentials signal (see Sockets)
// makes every instance re-check the websockets it names at once.
const DefaultCredentialRecheck = 30 * time.Second

// watchCredential ends the connection's subscriptions when its credential
// expires, or when checking it again (every CredentialRecheck, and at once
// when a credentials signal names it) ends it, until the connection
// closes; then it unregisters the connection (remove).
func (r *Resolver) watchCredential(ctx context.Context, conn *connection, cred string, remove func()) {
	defer remove()
	var expiry <-chan time.Time
	if !conn.expires.IsZero() {
		t := time.NewTimer(time.Until(conn.expires))
		defer t.Stop()
		expiry = t.C
	}
	every := r.CredentialRecheck
	if every <= 0 {
		every = DefaultCredentialRecheck
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-expiry:
			conn.end(apperr.New(apperr.Unauthenticated, "the token expired; reconnect with a new one"))
			return
		case <-tick.C:
		case <-conn.recheck:
		}
		if reason := r.reauthenticate(ctx, conn, cred); reason != nil {
			conn.end(reason)
			return
		}
	}
}

// reauthenticate checks the connection's credential again. It returns why
// the connection must end: the credential stopped working (revoked, agent
// deactivated, a visitor's channel disabled or origin no longer allowed),
// or it now grants a lower role than the connection was opened with (a
// demoted agent, or a token whose creator was demoted), so the client
// reconnects with what it may do now. A failure to check ends nothing;
// the next check decides.
func (r *Resolver) reauthenticate(ctx context.Context, conn *connection, cred string) *apperr.Error {
	a, _, err := r.Auth.Authenticate(ctx, cred)
	switch apperr.CodeOf(err) {
	case apperr.Unauthenticated, apperr.Forbidden:
		return apperr.New(apperr.Unauthenticated, "the credential was revoked or its agent deactivated; reconnect with a valid one")
	}
	if err != nil {
		if ctx.Err() == nil {
			r.Log.WarnContext(ctx, "re-checking a websocket's credential", "err", err)
		}
		return nil
	}
	if a.Role.Rank() < conn.actor.Role.Rank() {
		return apperr.New(apperr.Unauthenticated, "the credential's rights changed; reconnect")
	}
	return nil
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
	heard := r.Sockets.heardSoFar()
	actor, exp, err := r.Auth.Authenticate(ctx, cred)
	if err != nil {
		ctx = transport.WithWebsocketCloseCode(ctx, 4403)
		return ctx, nil, errors.New("Forbidden")
	}
	ctx = viewer.NewContext(ctx, actor)
	conn := &connection{actor: actor, expires: exp, ended: make(chan struct{}), recheck: make(chan struct{}, 1)}
	remove := r.Sockets.add(actor, conn)
	if r.Sockets.heardSoFar() != heard {
		conn.recheckNow() // a signal may have passed between authenticating and registering
	}
	go r.watchCredential(ctx, conn, cred, remove)
	r.trackPresence(actor, conn)
	return context.WithValue(ctx, connKey{}, conn), nil, nil
}

// subscribe streams the events of the viewer's workspace that match,
// loaded into the values the subscription sends. It ends the subscription
// with an error when the credential ends, when the client fell too far
// behind (it resumes from its last cursor), or on a failure.
func subscribe[T any](r *Resolver, ctx context.Context, after *string,
	match func(*events.Event) bool, load func(context.Context, *events.Event) (T, error),
) (<-chan T, error) {
	if err := guardSubscription(ctx); err != nil {
		return nil, err
	}
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
	return pumpStream(r, ctx, st, func() { st.Stop(); release() },
		func(ctx context.Context, ev *events.Event) (T, bool, error) {
			var zero T
			if !match(ev) {
				return zero, false, nil
			}
			v, err := load(ctx, ev)
			if apperr.CodeOf(err) == apperr.NotFound {
				return zero, false, nil // gone since, or not visible: nothing to deliver
			}
			return v, err == nil, err
		}), nil
}

// pump turns what src delivers (signals) into a subscription's values until the
// subscription, the source or the credential ends, and then calls stop.
// load may skip an item (ok false). The subscription ends with
// RATE_LIMITED when the source dropped a reader that fell behind (told
// slow, or the source's own reason when slow is ""), UNAUTHENTICATED when
// the credential ended, INTERNAL on a failure.
func pump[S, T any](r *Resolver, ctx context.Context, src <-chan S, srcErr func() error, stop func(), slow string,
	load func(context.Context, S) (T, bool, error),
) <-chan T {
	out := make(chan T)
	go func() {
		defer close(out)
		defer stop()
		ended, reason := credentialEnd(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ended:
				endWith(ctx, reason())
				return
			case item, ok := <-src:
				if !ok {
					if err := srcErr(); events.IsSlow(err) {
						if slow == "" {
							slow = err.Error()
						}
						endWith(ctx, apperr.New(apperr.RateLimited, "%s", slow))
					} else if err != nil {
						r.Log.ErrorContext(ctx, "subscription failed", "err", err)
						endWith(ctx, apperr.New(apperr.Internal, "internal error"))
					}
					return
				}
				v, ok, err := load(ctx, item)
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
	return out
}

// pumpStream turns a stream's events into a subscription's values, like
// pump, but without a goroutine of its own while the subscription is idle: the
// stream's tail wakes it when there are events (WhenMore), and a
// goroutine delivers them and exits. The subscription's context ending and
// its credential ending arrive as callbacks. An idle subscription costs
// gqlgen's goroutine and a few small objects.
func pumpStream[T any](r *Resolver, ctx context.Context, st *events.Stream, stop func(),
	load func(context.Context, *events.Event) (T, bool, error),
) <-chan T {
	d := &drainer[T]{r: r, ctx: ctx, st: st, stop: stop, load: load, out: make(chan T)}
	d.endedCh, d.reason = credentialEnd(ctx)
	d.cancel = context.AfterFunc(ctx, func() { d.end(nil) })
	if conn, _ := ctx.Value(connKey{}).(*connection); conn != nil {
		d.unwatch = conn.onEnd(func() { d.end(conn.reason) })
	}
	d.wake()
	return d.out
}

// drainer is pumpStream's state. At most one goroutine runs drain at a
// time (running); out is closed once, by whoever sees the subscription end
// while no drain runs.
type drainer[T any] struct {
	r       *Resolver
	ctx     context.Context
	st      *events.Stream
	stop    func()
	load    func(context.Context, *events.Event) (T, bool, error)
	out     chan T
	endedCh <-chan struct{}
	reason  func() *apperr.Error
	cancel  func() bool
	unwatch func()

	mu      sync.Mutex
	running bool
	ending  bool
	why     *apperr.Error // the error the subscription ends with, if any
	done    bool
}

// wake starts a drain unless one runs or the subscription ended.
func (d *drainer[T]) wake() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running || d.done {
		return
	}
	d.running = true
	go d.drain()
}

// end ends the subscription with why (nil: the client or server ended
// it): at once when no drain runs, else when the drain sees it.
func (d *drainer[T]) end(why *apperr.Error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ending {
		return
	}
	d.ending, d.why = true, why
	if !d.running {
		d.finish()
	}
}

// finish closes the subscription; d.mu held, no drain running.
func (d *drainer[T]) finish() {
	if d.done {
		return
	}
	d.done = true
	if d.why != nil {
		endWith(d.ctx, d.why)
	}
	d.cancel()
	if d.unwatch != nil {
		d.unwatch()
	}
	d.stop()
	close(d.out)
}

// drain delivers what the stream has now, then registers for more and
// exits.
func (d *drainer[T]) drain() {
	for {
		d.mu.Lock()
		if d.ending {
			d.running = false
			d.finish()
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		ev, err := d.st.TryNext(d.ctx)
		if err != nil {
			if d.ctx.Err() == nil {
				d.r.Log.ErrorContext(d.ctx, "subscription failed", "err", err)
				d.end(apperr.New(apperr.Internal, "internal error"))
			}
			d.end(nil)
			continue
		}
		if ev == nil {
			d.mu.Lock()
			if !d.ending && d.st.WhenMore(d.wake) {
				d.running = false
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
			continue
		}
		v, ok, err := d.load(d.ctx, ev)
		if err != nil {
			d.r.Log.ErrorContext(d.ctx, "subscription failed", "err", err)
			d.end(apperr.New(apperr.Internal, "internal error"))
			continue
		}
		if !ok {
			continue
		}
		select {
		case d.out <- v:
		case <-d.ctx.Done():
			d.end(nil)
		case <-d.endedCh:
			d.end(d.reason())
		}
	}
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

// credentialEnd returns a channel closed when the connection's credential
// ends (nil for a connection that has none), and why.
func credentialEnd(ctx context.Context) (<-chan struct{}, func() *apperr.Error) {
	conn, _ := ctx.Value(connKey{}).(*connection)
	if conn == nil {
		return nil, nil
	}
	return conn.ended, func() *apperr.Error { return conn.reason }
}
