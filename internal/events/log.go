package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Log appends events to the database and hands them, once committed, to
// this instance's streams (through a tail per workspace) and to the other
// instances (through the fan-out).
type Log struct {
	client  *ent.Client
	pg      bool // positions from transaction ids (see positions.go)
	signals *Broker[*Signal]
	now     func() time.Time
	log     *slog.Logger
	fanout  fanout // to other instances; nil on a single instance

	mu       sync.Mutex
	pending  map[*ent.Tx]*txWork
	wake     chan struct{}              // closed and replaced whenever events commit
	handlers map[string][]func(*Signal) // by signal kind (OnSignal)

	tailsMu sync.Mutex
	tails   map[gid.ID]*tail // workspaces with streams on this instance
	streams int              // open streams
	notify  func(n int)      // called with the stream count after each change (tests)
}

// txWork is what an open transaction owes the log: events to write just
// before it commits, and functions to run once it has committed.
type txWork struct {
	events []*Event
	after  []func()
}

// Options configure a Log.
type Options struct {
	// Postgres: the database is PostgreSQL, where positions come from the
	// writing transaction's id; on SQLite, from a counter row.
	Postgres bool
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger
}

// NewLog returns a Log writing with client.
func NewLog(client *ent.Client, o Options) *Log {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Log{
		client: client, pg: o.Postgres, signals: NewBroker[*Signal](256),
		now: o.Now, log: o.Logger, pending: map[*ent.Tx]*txWork{}, wake: make(chan struct{}),
		handlers: map[string][]func(*Signal){}, tails: map[gid.ID]*tail{},
	}
}

// Signals returns the broker of this instance's signal subscribers.
func (l *Log) Signals() *Broker[*Signal] { return l.signals }

// ErrNoTx is returned by Record outside a transaction.
var ErrNoTx = errors.New("events: record needs a transaction in the context")

// Record adds an event to the transaction of ctx. The event is written
// when the transaction commits, just before the commit, and reaches
// streams and consumers once it has committed. Without a workspace the
// event takes the actor's.
func (l *Log) Record(ctx context.Context, ev Event) error {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return ErrNoTx
	}
	if ev.WorkspaceID == "" {
		a := viewer.FromContext(ctx)
		if a == nil {
			return errors.New("events: an event needs a workspace")
		}
		ev.WorkspaceID = a.WorkspaceID
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = l.now().UTC()
	}
	if ev.Cause.Kind == "" {
		ev.Cause = CauseOf(ctx)
	}
	l.enqueue(tx, func(w *txWork) { w.events = append(w.events, &ev) })
	return nil
}

// AfterCommit runs fn once the transaction of ctx has committed (never if
// it rolls back), or at once when ctx has no transaction. Ephemeral
// signals about a change use it, so that nobody hears of a change that did
// not happen.
func (l *Log) AfterCommit(ctx context.Context, fn func()) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		fn()
		return
	}
	l.enqueue(tx, func(w *txWork) { w.after = append(w.after, fn) })
}

// enqueue adds to the work of tx, registering the transaction's commit
// and rollback hooks the first time.
func (l *Log) enqueue(tx *ent.Tx, add func(*txWork)) {
	l.mu.Lock()
	w, registered := l.pending[tx]
	if !registered {
		w = &txWork{}
		l.pending[tx] = w
	}
	add(w)
	l.mu.Unlock()
	if registered {
		return
	}
	tx.OnCommit(l.commitHook(tx))
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			l.take(tx)
			return next.Rollback(ctx, tx)
		})
	})
}

func (l *Log) take(tx *ent.Tx) *txWork {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.pending[tx]
	delete(l.pending, tx)
	if w == nil {
		w = &txWork{}
	}
	return w
}

// commitHook writes the transaction's events just before it commits (one
// statement on PostgreSQL, two on SQLite; see write) and, once it has
// committed, tells this instance's tails and consumers and, through the
// fan-out, the other instances. Nothing is announced inside the
// transaction: a notification there would serialise every writer's commit
// on PostgreSQL's notification queue lock.
func (l *Log) commitHook(tx *ent.Tx) ent.CommitHook {
	return func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, t *ent.Tx) error {
			w := l.take(tx)
			if err := l.write(ctx, t, w.events); err != nil {
				_ = t.Rollback()
				return err
			}
			if err := next.Commit(ctx, t); err != nil {
				return err
			}
			if len(w.events) > 0 {
				l.committed(w.events)
			}
			for _, fn := range w.after {
				fn()
			}
			return nil
		})
	}
}

// committed announces newly committed events: this instance's tails of
// their workspaces read them, idle workers wake, and the fan-out tells
// the other instances.
func (l *Log) committed(evs []*Event) {
	var seen []gid.ID
	for _, ev := range evs {
		if !slices.Contains(seen, ev.WorkspaceID) {
			seen = append(seen, ev.WorkspaceID)
		}
	}
	for _, ws := range seen {
		l.pokeTail(ws)
	}
	l.awaken()
	if l.fanout != nil {
		l.fanout.announce(seen)
	}
}

// Activity returns a channel closed at the next publication, which wakes
// idle workers (durable consumers, outbound delivery).
func (l *Log) Activity() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake
}

func (l *Log) awaken() {
	l.mu.Lock()
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

// Prune deletes events older than the retention, except those a durable
// consumer has not handled yet, and records per workspace the highest
// position deleted.
func (l *Log) Prune(ctx context.Context, olderThan time.Time) (int, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	var rows []struct {
		WorkspaceID gid.ID `json:"workspace_id"`
		Max         int64  `json:"max"`
	}
	err := l.client.Event.Query().Where(event.CreatedAtLT(olderThan)).
		GroupBy(event.FieldWorkspaceID).Aggregate(ent.Max(event.FieldSeq)).Scan(ctx, &rows)
	if err != nil {
		return 0, fmt.Errorf("events: prune: %w", err)
	}
	handled, consumers, err := l.prunable(ctx, olderThan)
	if err != nil {
		return 0, fmt.Errorf("events: prune: %w", err)
	}
	total := 0
	for _, r := range rows {
		upTo := r.Max
		if consumers && handled < upTo {
			upTo = handled
		}
		if upTo <= 0 {
			continue
		}
		n, err := l.pruneWorkspace(ctx, r.WorkspaceID, upTo)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func (l *Log) pruneWorkspace(ctx context.Context, ws gid.ID, upTo int64) (int, error) {
	var n int
	err := store.InTx(ctx, l.client, func(ctx context.Context) (err error) {
		c := store.Client(ctx, l.client)
		n, err = c.Event.Delete().Where(event.WorkspaceID(ws), event.SeqLTE(upTo)).Exec(ctx)
		if err != nil {
			return err
		}
		greatest := "MAX" // SQLite's two-argument max
		if l.pg {
			greatest = "GREATEST"
		}
		_, err = c.ExecContext(ctx, l.bind(`INSERT INTO event_sequences (id, last_seq, pruned_through) VALUES (?, 0, ?)
			ON CONFLICT (id) DO UPDATE SET pruned_through = `+greatest+`(event_sequences.pruned_through, excluded.pruned_through)`),
			string(ws), upTo)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("events: prune %s: %w", ws, err)
	}
	return n, nil
}

// KeepPruning prunes events older than retention every interval until ctx
// ends. Nothing durable depends on the log: timelines and analytics read
// their own tables.
func (l *Log) KeepPruning(ctx context.Context, retention, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := l.Prune(ctx, l.now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			l.log.ErrorContext(ctx, "pruning the event log", "err", err)
		} else if n > 0 {
			l.log.InfoContext(ctx, "pruned the event log", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
