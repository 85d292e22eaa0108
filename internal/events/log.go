package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/eventsequence"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Log appends events to the database and publishes them after commit.
type Log struct {
	client  *ent.Client
	broker  *Broker[*Event]
	signals *Broker[*Signal]
	now     func() time.Time
	log     *slog.Logger
	fanout  fanout // to other instances; nil on a single instance

	mu       sync.Mutex
	pending  map[*ent.Tx]*txWork
	wake     chan struct{}              // closed and replaced whenever events are published
	handlers map[string][]func(*Signal) // by signal kind (OnSignal)
}

// txWork is what an open transaction owes the log: events to write just
// before it commits, and functions to run once it has committed.
type txWork struct {
	events []*Event
	after  []func()
}

// NewLog returns a Log writing with client; subscribers buffer up to
// buffer events each.
func NewLog(client *ent.Client, buffer int, now func() time.Time, log *slog.Logger) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{
		client: client, broker: NewBroker[*Event](buffer), signals: NewBroker[*Signal](buffer),
		now: now, log: log, pending: map[*ent.Tx]*txWork{}, wake: make(chan struct{}),
		handlers: map[string][]func(*Signal){},
	}
}

// Broker returns the broker of this instance's event subscribers.
func (l *Log) Broker() *Broker[*Event] { return l.broker }

// Signals returns the broker of this instance's signal subscribers.
func (l *Log) Signals() *Broker[*Signal] { return l.signals }

// ErrNoTx is returned by Record outside a transaction.
var ErrNoTx = errors.New("events: record needs a transaction in the context")

// Record adds an event to the transaction of ctx. The event is written
// when the transaction commits, just before the commit, with the next
// position of its workspace, and published to subscribers after it.
// Without a workspace the event takes the actor's.
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
	ev.memo = newMemo()
	l.enqueue(tx, func(w *txWork) { w.events = append(w.events, &ev) })
	return nil
}

// AfterCommit runs fn once the transaction of ctx has committed, after its
// events were published (never if it rolls back), or at once when ctx has
// no transaction. Ephemeral signals about a change use it, so that nobody
// hears of a change that did not happen.
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

func (l *Log) commitHook(tx *ent.Tx) ent.CommitHook {
	return func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, t *ent.Tx) error {
			w := l.take(tx)
			evs := w.events
			if err := l.write(ctx, t, evs); err != nil {
				_ = t.Rollback()
				return err
			}
			if l.fanout != nil {
				if err := l.fanout.announce(ctx, t, evs); err != nil {
					_ = t.Rollback()
					return err
				}
			}
			if err := next.Commit(ctx, t); err != nil {
				return err
			}
			if len(evs) > 0 {
				l.publish(evs)
			}
			for _, fn := range w.after {
				fn()
			}
			return nil
		})
	}
}

// write appends evs (of one or more workspaces) in the transaction. Taking
// the positions is the last thing the transaction does, so the counter
// row's lock is held only for the commit itself.
func (l *Log) write(ctx context.Context, tx *ent.Tx, evs []*Event) error {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	byWorkspace := map[gid.ID][]*Event{}
	var order []gid.ID
	for _, ev := range evs {
		if _, ok := byWorkspace[ev.WorkspaceID]; !ok {
			order = append(order, ev.WorkspaceID)
		}
		byWorkspace[ev.WorkspaceID] = append(byWorkspace[ev.WorkspaceID], ev)
	}
	for _, ws := range order {
		list := byWorkspace[ws]
		n := int64(len(list))
		err := tx.EventSequence.Create().SetID(ws).SetLastSeq(n).
			OnConflictColumns(eventsequence.FieldID).AddLastSeq(n).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("events: take positions: %w", err)
		}
		seq, err := tx.EventSequence.Get(ctx, ws)
		if err != nil {
			return fmt.Errorf("events: read positions: %w", err)
		}
		first := seq.LastSeq - n + 1
		creates := make([]*ent.EventCreate, len(list))
		for i, ev := range list {
			ev.Seq = first + int64(i)
			creates[i] = tx.Event.Create().
				SetWorkspaceID(ws).SetSeq(ev.Seq).SetType(string(ev.Type)).SetChange(string(ev.Change)).
				SetConversationID(ev.ConversationID).SetMessageID(ev.MessageID).SetCustomerID(ev.CustomerID).
				SetAgentID(ev.AgentID).SetPreviousAgentID(ev.PreviousAgentID).SetMergeID(ev.MergeID).SetCreatedAt(ev.CreatedAt)
		}
		if err := tx.Event.CreateBulk(creates...).Exec(ctx); err != nil {
			return fmt.Errorf("events: append: %w", err)
		}
	}
	return nil
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

func (l *Log) publish(evs []*Event) {
	defer l.awaken()
	var batch []*Event
	for i, ev := range evs {
		batch = append(batch, ev)
		if i == len(evs)-1 || evs[i+1].WorkspaceID != ev.WorkspaceID {
			l.broker.Publish(ev.WorkspaceID, batch...)
			batch = nil
		}
	}
}

// nudge tells a workspace's streams to catch up from the database: events
// were committed that this instance did not see (another instance wrote
// them, or a notification was lost).
func (l *Log) nudge(workspace gid.ID) {
	l.broker.Publish(workspace, &Event{WorkspaceID: workspace, hint: true})
}

// Position returns the last position of a workspace's log, and the highest
// pruned one.
func (l *Log) Position(ctx context.Context, workspace gid.ID) (last, pruned int64, err error) {
	s, err := l.client.EventSequence.Get(privacy.DecisionContext(ctx, privacy.Allow), workspace)
	if ent.IsNotFound(err) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("events: position: %w", err)
	}
	return s.LastSeq, s.PrunedThrough, nil
}

// After reads up to limit events of a workspace after position seq.
func (l *Log) After(ctx context.Context, workspace gid.ID, seq int64, limit int) ([]*Event, error) {
	rows, err := l.client.Event.Query().
		Where(event.WorkspaceID(workspace), event.SeqGT(seq)).
		Order(ent.Asc(event.FieldSeq)).
		Limit(limit).
		All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return nil, fmt.Errorf("events: read log: %w", err)
	}
	out := make([]*Event, len(rows))
	for i, r := range rows {
		out[i] = &Event{
			Seq: r.Seq, WorkspaceID: r.WorkspaceID, Type: Type(r.Type), Change: Change(r.Change),
			ConversationID: r.ConversationID, MessageID: r.MessageID, CustomerID: r.CustomerID,
			AgentID: r.AgentID, PreviousAgentID: r.PreviousAgentID, MergeID: r.MergeID, CreatedAt: r.CreatedAt,
			memo: newMemo(),
		}
	}
	return out, nil
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
		if len(consumers) > 0 && handled[r.WorkspaceID] < upTo {
			upTo = handled[r.WorkspaceID]
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
		return c.EventSequence.Update().
			Where(eventsequence.ID(ws), eventsequence.PrunedThroughLT(upTo)).
			SetPrunedThrough(upTo).Exec(ctx)
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
