// Package timers runs jobs due at a time: a table of due timers that
// survives restarts, fired by whichever instance claims one first. Any
// number of instances may run the Runner: a timer is claimed with a
// conditional update (the same idea as the event consumers' leases, per
// timer), its handler runs in one transaction, and the timer is deleted
// only by its claimer, in that transaction. A claimer that dies leaves a
// claim that lapses, and another instance fires the timer: handlers must
// be idempotent (at least once).
package timers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/ent/timer"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Handler does what a timer of its kind is for, in the transaction ctx
// carries, with the timer's workspace as the viewer. Returning an error
// retries later.
type Handler func(ctx context.Context, t *ent.Timer) error

// Options tune the runner.
type Options struct {
	Poll  time.Duration // how often an idle runner looks for due timers; default 1 s
	Claim time.Duration // how long a claim lasts; default 1 min
	Batch int           // timers claimed at once; default 20
	Now   func() time.Time
	Log   *slog.Logger
}

// Timers schedules timers and fires them.
type Timers struct {
	client   *ent.Client
	o        Options
	me       string
	mu       sync.RWMutex
	handlers map[string]Handler
	wake     chan struct{}
}

// New returns Timers over client.
func New(client *ent.Client, o Options) *Timers {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Claim <= 0 {
		o.Claim = time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Timers{client: client, o: o, me: hex.EncodeToString(b), handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a kind; register before Run.
func (t *Timers) Handle(kind string, h Handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handlers[kind] = h
}

// Schedule sets the timer of (kind, subject) to fire at due, in the
// transaction ctx carries: a new one, or the existing one moved (and its
// claim, if any, dropped, so a firing in flight does not delete it).
func (t *Timers) Schedule(ctx context.Context, kind, subject string, workspaceID gid.ID, due time.Time) error {
	c := store.Client(ctx, t.client)
	due = due.UTC()
	n, err := c.Timer.Update().Where(timer.Kind(kind), timer.Subject(subject)).
		SetDueAt(due).SetClaimedBy("").ClearClaimedUntil().SetAttempts(0).SetLastError("").Save(ctx)
	if err != nil {
		return fmt.Errorf("timers: schedule %s: %w", kind, err)
	}
	if n == 0 {
		err = c.Timer.Create().SetKind(kind).SetSubject(subject).SetWorkspaceID(workspaceID).SetDueAt(due).
			SetCreatedAt(t.o.Now().UTC()).Exec(ctx)
		if err != nil {
			return fmt.Errorf("timers: schedule %s: %w", kind, err)
		}
	}
	t.poke()
	return nil
}

// Cancel removes the timer of (kind, subject), if any, in the transaction
// ctx carries.
func (t *Timers) Cancel(ctx context.Context, kind, subject string) error {
	if _, err := store.Client(ctx, t.client).Timer.Delete().Where(timer.Kind(kind), timer.Subject(subject)).Exec(ctx); err != nil {
		return fmt.Errorf("timers: cancel %s: %w", kind, err)
	}
	return nil
}

func (t *Timers) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run fires due timers until ctx ends.
func (t *Timers) Run(ctx context.Context) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	for ctx.Err() == nil {
		n, err := t.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			t.o.Log.ErrorContext(ctx, "timers", "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-t.wake:
		case <-time.After(t.o.Poll):
		}
	}
}

// RunOnce claims the due timers and fires them; it returns how many it
// claimed.
func (t *Timers) RunOnce(ctx context.Context) (int, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	now := t.o.Now().UTC()
	candidates, err := t.client.Timer.Query().Where(t.due(now)).
		Order(ent.Asc(timer.FieldDueAt)).Limit(t.o.Batch).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("timers: due: %w", err)
	}
	claimed := 0
	for _, tm := range candidates {
		// The conditional update: only one instance moves a due,
		// unclaimed (or lapsed) timer to its own claim.
		n, err := t.client.Timer.Update().Where(timer.ID(tm.ID), timer.DueAt(tm.DueAt), t.due(now)).
			SetClaimedBy(t.me).SetClaimedUntil(now.Add(t.o.Claim)).Save(ctx)
		if err != nil {
			return claimed, fmt.Errorf("timers: claim: %w", err)
		}
		if n == 0 {
			continue
		}
		claimed++
		if err := t.fire(ctx, tm); err != nil && ctx.Err() == nil {
			t.o.Log.WarnContext(ctx, "timer failed", "timer_id", tm.ID, "kind", tm.Kind, "subject", tm.Subject,
				"attempt", tm.Attempts+1, "err", err)
			t.retry(ctx, tm, err)
		}
	}
	return claimed, nil
}

// due matches timers whose time has come and that nobody holds (or whose
// claim lapsed).
func (t *Timers) due(now time.Time) predicate.Timer {
	return timer.And(timer.DueAtLTE(now), timer.Or(timer.ClaimedUntilIsNil(), timer.ClaimedUntilLT(now)))
}

// fire runs the handler and deletes the timer in one transaction, if
// this instance still holds the claim on the same due time.
func (t *Timers) fire(ctx context.Context, tm *ent.Timer) error {
	t.mu.RLock()
	h := t.handlers[tm.Kind]
	t.mu.RUnlock()
	if h == nil {
		return fmt.Errorf("no handler for timer kind %q", tm.Kind)
	}
	ctx = viewer.NewContext(ctx, viewer.System(tm.WorkspaceID))
	// Retrying on a conflict is harmless: the handler only writes the
	// database (its events go out after the commit), and the delete finds
	// the timer again only while this instance still holds the claim.
	return store.InTx(ctx, t.client, func(ctx context.Context) error {
		c := store.Client(ctx, t.client)
		n, err := c.Timer.Delete().Where(timer.ID(tm.ID), timer.ClaimedBy(t.me), timer.DueAt(tm.DueAt)).Exec(ctx)
		if err != nil || n != 1 {
			return err
		}
		return h(ctx, tm)
	})
}

// retry releases the claim and moves the timer later, doubling the delay
// up to an hour.
func (t *Timers) retry(ctx context.Context, tm *ent.Timer, cause error) {
	delay := time.Duration(math.Min(float64(time.Hour), float64(time.Second)*math.Pow(2, float64(tm.Attempts))))
	msg := cause.Error()
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	err := t.client.Timer.Update().Where(timer.ID(tm.ID), timer.ClaimedBy(t.me), timer.DueAt(tm.DueAt)).
		SetDueAt(t.o.Now().UTC().Add(delay)).SetClaimedBy("").ClearClaimedUntil().
		AddAttempts(1).SetLastError(msg).Exec(ctx)
	if err != nil && ctx.Err() == nil {
		t.o.Log.ErrorContext(ctx, "timers: retry", "timer_id", tm.ID, "err", err)
	}
}
