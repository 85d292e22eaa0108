package timers_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/timers"
	"github.com/switchboard/switchboard/internal/viewer"
)

// TestEachTimerFiresOnce: two runners on one database fire every due timer
// exactly once, none early; a rescheduled timer fires at its new time; a
// failing handler is retried.
func TestEachTimerFiresOnce(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	ws := viewer.FromContext(ctx).WorkspaceID
	var mu sync.Mutex
	fired := map[string]int{}
	failOnce := true
	handler := func(ctx context.Context, tm *ent.Timer) error {
		mu.Lock()
		defer mu.Unlock()
		if tm.Subject == "flaky" && failOnce {
			failOnce = false
			return errors.New("not yet")
		}
		fired[tm.Subject]++
		return nil
	}
	now := time.Now()
	a := timers.New(c, timers.Options{Batch: 3})
	b := timers.New(c, timers.Options{Batch: 3})
	for _, r := range []*timers.Timers{a, b} {
		r.Handle("test", handler)
	}
	for i := range 30 {
		if err := a.Schedule(ctx, "test", fmt.Sprint("s", i), ws, now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	_ = a.Schedule(ctx, "test", "later", ws, now.Add(-time.Second))
	_ = a.Schedule(ctx, "test", "later", ws, now.Add(time.Hour)) // moved
	_ = a.Schedule(ctx, "test", "flaky", ws, now.Add(-time.Second))

	var wg sync.WaitGroup
	for _, r := range []*timers.Timers{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := r.RunOnce(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for i := range 30 {
		if n := fired[fmt.Sprint("s", i)]; n != 1 {
			t.Errorf("timer s%d fired %d times", i, n)
		}
	}
	if fired["later"] != 0 {
		t.Error("a timer moved an hour later fired now")
	}
	if failOnce || fired["flaky"] != 0 {
		t.Errorf("flaky: failed %v, fired %d; want one failure and a retry later", !failOnce, fired["flaky"])
	}
	left, err := c.Timer.Query().Count(ctx)
	if err != nil || left != 2 {
		t.Fatalf("%d timers left (%v), want the moved one and the one to retry", left, err)
	}
}
