package events_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestPositionsFollowCommitOrder is the proof the design rests on: while
// 20 writers commit (and some roll back), a reader that only ever asks for
// "the events after the last position I saw" receives every committed
// event, in increasing positions, nothing twice and nothing rolled back.
// With positions from a plain sequence and no settled horizon this fails
// on PostgreSQL: a transaction holding position 7 can commit after the one
// holding 8, and a reader that saw 8 would never ask for 7 again.
func TestPositionsFollowCommitOrder(t *testing.T) {
	s := testenv.New(t)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	wsID := s.App.Client.Workspace.Query().FirstIDX(ctx)
	log := s.App.Events
	const writers, each = 20, 25

	var committed sync.Map
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := record(ctx, s.App.Client, log, wsID, rand.IntN(4) == 0, &committed); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var pos int64
	seen := map[gid.ID]bool{}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		evs, err := log.After(ctx, wsID, pos, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Seq <= pos {
				t.Fatalf("after position %d the reader got %d", pos, ev.Seq)
			}
			pos = ev.Seq
			if seen[ev.MessageID] {
				t.Fatalf("%s seen twice", ev.MessageID)
			}
			seen[ev.MessageID] = true
		}
		if len(evs) == 0 && !finished {
			// Not a wait for a condition: the reader tails the log while
			// the writers commit, and must read again at once after a
			// non-empty batch; it only backs off a little when idle.
			time.Sleep(time.Millisecond)
		}
	}
	// Drain what committed after the last read. Positions settle once
	// every older transaction of the cluster has ended (other tests' too).
	want := 0
	committed.Range(func(any, any) bool { want++; return true })
	testenv.EventuallyErr(t, func() error {
		evs, err := log.After(ctx, wsID, pos, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Seq <= pos {
				t.Fatalf("after position %d the reader got %d", pos, ev.Seq)
			}
			pos = ev.Seq
			seen[ev.MessageID] = true
		}
		if len(seen) < want {
			return fmt.Errorf("read %d of %d committed events", len(seen), want)
		}
		return nil
	})
	n := 0
	committed.Range(func(k, _ any) bool {
		n++
		if !seen[k.(gid.ID)] {
			t.Errorf("committed event %s never read", k)
		}
		return true
	})
	if len(seen) != n {
		t.Fatalf("read %d events, %d committed: rolled-back events leaked", len(seen), n)
	}
	t.Logf("%d events committed, read in order", n)
}

// record commits (or rolls back) one transaction holding one event; the
// event's message id is just a unique marker.
func record(ctx context.Context, c *ent.Client, log *events.Log, ws gid.ID, rollback bool, committed *sync.Map) error {
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	marker := gid.New("Message")
	if err := log.Record(ent.NewTxContext(ctx, tx), events.Event{WorkspaceID: ws, Type: events.MessageCreated, MessageID: marker}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if rollback {
		return tx.Rollback()
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	committed.Store(marker, true)
	return nil
}
