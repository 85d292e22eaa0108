package events_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

// consumerEnv is a server with some events in its log.
type consumerEnv struct {
	s    *testenv.Server
	tok  string
	conv string
	ws   gid.ID
}

func newConsumerEnv(t *testing.T) *consumerEnv {
	s := testenv.New(t, testenv.NoRouting, testenv.NoAutomation) // the tests run their own consumers; pruning waits for all
	e := &consumerEnv{s: s, tok: s.AdminToken(t)}
	e.conv = s.Conversation(t, e.tok)
	e.ws = s.App.Client.Workspace.Query().FirstIDX(privacy.DecisionContext(context.Background(), privacy.Allow))
	return e
}

func (e *consumerEnv) send(t *testing.T, n int) {
	for i := 0; i < n; i++ {
		e.s.Send(t, e.tok, e.conv, "m")
	}
}

// last is the position of the workspace's last committed event (settled
// or not yet: see positions.go).
func (e *consumerEnv) last(t *testing.T) int64 {
	t.Helper()
	all := e.positions(t, math.MaxInt64)
	if len(all) == 0 {
		t.Fatal("no events")
	}
	return all[len(all)-1]
}

// positions lists the positions of the workspace's committed events up to
// last, in order (positions increase but are not contiguous).
func (e *consumerEnv) positions(t *testing.T, last int64) []int64 {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	seqs, err := e.s.App.Client.Event.Query().
		Where(event.WorkspaceID(e.ws), event.SeqLTE(last)).
		Order(ent.Asc(event.FieldSeq)).Select(event.FieldSeq).Ints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(seqs))
	for i, s := range seqs {
		out[i] = int64(s)
	}
	return out
}

// handled records which positions a handler saw.
type handled struct {
	mu   sync.Mutex
	seen map[int64]int
}

func (h *handled) add(evs []*events.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[int64]int{}
	}
	for _, ev := range evs {
		h.seen[ev.Seq]++
	}
}

// waitAll waits until every event of the workspace up to last was
// handled.
func (h *handled) waitAll(t *testing.T, e *consumerEnv, last int64) {
	t.Helper()
	all := e.positions(t, last)
	testenv.EventuallyErr(t, func() error {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, seq := range all {
			if h.seen[seq] == 0 {
				return fmt.Errorf("position %d (last %d) was never handled", seq, last)
			}
		}
		return nil
	})
}

// TestConsumerResumesAfterCrash: a consumer killed in the middle of a
// batch loses nothing; the next one starts again from the checkpoint.
func TestConsumerResumesAfterCrash(t *testing.T) {
	e := newConsumerEnv(t)
	e.send(t, 30)
	last := e.last(t)

	var h handled
	ctx, kill := context.WithCancel(context.Background())
	batches := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.s.App.Events.RunConsumer(ctx, events.Consumer{Name: "test", Batch: 10, Lease: 200 * time.Millisecond, Poll: 10 * time.Millisecond,
			Handle: func(ctx context.Context, evs []*events.Event) error {
				batches++
				if batches == 2 {
					h.add(evs[:5]) // half the batch is done when the process dies
					kill()
					return ctx.Err()
				}
				h.add(evs)
				return nil
			}})
	}()
	<-done
	if len(h.seen) != 15 {
		t.Fatalf("before the crash %d events were handled, want 15", len(h.seen))
	}
	ctx2, stop := context.WithCancel(context.Background())
	defer stop()
	var firstAfterCrash atomic.Int64
	go e.s.App.Events.RunConsumer(ctx2, events.Consumer{Name: "test", Batch: 10, Lease: 200 * time.Millisecond, Poll: 10 * time.Millisecond,
		Handle: func(_ context.Context, evs []*events.Event) error {
			firstAfterCrash.CompareAndSwap(0, evs[0].Seq)
			h.add(evs)
			return nil
		}})
	h.waitAll(t, e, last)
	if got, want := firstAfterCrash.Load(), e.positions(t, last)[10]; got != want {
		t.Fatalf("after the crash handling resumed at %d, want %d, the 11th event (the unfinished batch again)", got, want)
	}
}

// TestConsumerExclusive: with two instances running the same consumer,
// one handles at a time, and every event is handled.
func TestConsumerExclusive(t *testing.T) {
	e := newConsumerEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var h handled
	var active, most atomic.Int32
	c := events.Consumer{Name: "exclusive", Batch: 5, Lease: time.Second, Poll: 5 * time.Millisecond,
		Handle: func(_ context.Context, evs []*events.Event) error {
			n := active.Add(1)
			defer active.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			// A handler that takes a while, so that a second instance
			// running at the same time would be caught in the act.
			time.Sleep(2 * time.Millisecond)
			h.add(evs)
			return nil
		}}
	go e.s.App.Events.RunConsumer(ctx, c)
	go e.s.App.Events.RunConsumer(ctx, c)
	e.send(t, 40)
	h.waitAll(t, e, e.last(t))
	if most.Load() != 1 {
		t.Fatalf("%d instances handled events at once", most.Load())
	}
}

// TestConsumerLeaseTakeover: when the instance holding the lease dies, the
// lease lapses and another instance takes the consumer over.
func TestConsumerLeaseTakeover(t *testing.T) {
	e := newConsumerEnv(t)
	var h handled
	var byA, byB atomic.Int32
	ctxA, crashA := context.WithCancel(context.Background())
	mk := func(counter *atomic.Int32) events.Consumer {
		return events.Consumer{Name: "takeover", Lease: 300 * time.Millisecond, Poll: 10 * time.Millisecond,
			Handle: func(_ context.Context, evs []*events.Event) error {
				counter.Add(int32(len(evs)))
				h.add(evs)
				return nil
			}}
	}
	doneA := make(chan struct{})
	go func() { defer close(doneA); e.s.App.Events.RunConsumer(ctxA, mk(&byA)) }()
	h.waitAll(t, e, e.last(t))
	crashA() // its lease stays in the table until it lapses
	<-doneA
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	go e.s.App.Events.RunConsumer(ctxB, mk(&byB))
	e.send(t, 5)
	h.waitAll(t, e, e.last(t))
	if byA.Load() == 0 || byB.Load() < 5 {
		t.Fatalf("A handled %d, B handled %d; want B to take over (at least the 5 new events)", byA.Load(), byB.Load())
	}
}

// TestPruneKeepsUnhandledEvents: retention never deletes events a
// registered consumer has not handled.
func TestPruneKeepsUnhandledEvents(t *testing.T) {
	e := newConsumerEnv(t)
	e.send(t, 10)
	ctx, stop := context.WithCancel(context.Background())
	var upTo atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.s.App.Events.RunConsumer(ctx, events.Consumer{Name: "slow", Batch: 4, Poll: 10 * time.Millisecond,
			Handle: func(ctx context.Context, evs []*events.Event) error {
				if upTo.Load() != 0 {
					stop() // one batch handled; it never gets further
					return ctx.Err()
				}
				upTo.Store(evs[len(evs)-1].Seq)
				return nil
			}})
	}()
	<-done
	// Background work may record events meanwhile: count those up to the
	// last one before pruning.
	last := e.last(t)
	before := e.positions(t, last)
	if _, err := e.s.App.Events.Prune(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, pruned, err := e.s.App.Events.Position(context.Background(), e.ws)
	if err != nil {
		t.Fatal(err)
	}
	if pruned != upTo.Load() {
		t.Fatalf("pruned through %d, but the consumer only handled up to %d", pruned, upTo.Load())
	}
	want := 0
	for _, seq := range before {
		if seq > pruned {
			want++
		}
	}
	if kept := len(e.positions(t, last)); kept != want || want == 0 {
		t.Fatalf("%d events up to %d left after pruning through %d, want %d (and some)", kept, last, pruned, want)
	}
}

// TestRetiredConsumerDoesNotStopPruning: a consumer that has not run for
// longer than the retention (no instance runs it any more) holds nothing
// back.
func TestRetiredConsumerDoesNotStopPruning(t *testing.T) {
	e := newConsumerEnv(t)
	e.send(t, 5)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	c := e.s.App.Client
	first := e.positions(t, e.last(t))[0]
	if err := c.ConsumerLease.Create().SetID("retired").SetHolder("gone").SetExpiresAt(time.Now().Add(-48 * time.Hour)).SetPosition(first).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	last := e.last(t) // (delivery may append message.updated events meanwhile)
	if _, err := e.s.App.Events.Prune(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, pruned, err := e.s.App.Events.Position(context.Background(), e.ws)
	if err != nil {
		t.Fatal(err)
	}
	if pruned < last {
		t.Fatalf("pruned through %d, want at least %d: the retired consumer held pruning back", pruned, last)
	}
}
