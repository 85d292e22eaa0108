package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apperr"
)

// fakeClock never sleeps: a wait is recorded and, unless frozen, moves the
// clock on by its length; with hold set, waits block until it is closed.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	waits  []time.Duration
	frozen bool
	hold   chan struct{}
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	if !c.frozen {
		c.now = c.now.Add(d)
	}
	hold := c.hold
	c.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// takeWaits returns the waits recorded since the last call.
func (c *fakeClock) takeWaits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.waits
	c.waits = nil
	return w
}

// attempt is one sign-in attempt that fails (or succeeds, if ok) once
// admitted. It returns the wait it got, or the refusal.
func attempt(t *testing.T, th *throttle, c *fakeClock, email, addr string, ok bool) (time.Duration, error) {
	t.Helper()
	c.takeWaits()
	done, err := th.signIn(context.Background(), email, addr)
	w := c.takeWaits()
	if len(w) > 1 {
		t.Fatalf("%d waits for one attempt", len(w))
	}
	if err != nil {
		return 0, err
	}
	done(ok)
	if len(w) == 0 {
		return 0, nil
	}
	return w[0], nil
}

// retryAfter returns a RATE_LIMITED refusal's retry time, failing the test
// on anything else.
func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.RateLimited || ae.RetryAfter <= 0 {
		t.Fatalf("got %v, want RATE_LIMITED with a retry time", err)
	}
	return ae.RetryAfter
}

const sec = time.Second

// TestThrottleSlowsAGuesser: at one address, three failures are free, then
// each attempt waits twice as long as the last; a turn more than 5s away is
// refused with the time to come back, and coming back then costs nothing
// more.
func TestThrottleSlowsAGuesser(t *testing.T) {
	c := newFakeClock()
	th := newThrottle(c)
	var waits []time.Duration
	for range 6 {
		w, err := attempt(t, th, c, "victim@example.com", "10.0.0.1", false)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	if want := []time.Duration{0, 0, 0, 1 * sec, 2 * sec, 4 * sec}; !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	_, err := attempt(t, th, c, "victim@example.com", "10.0.0.1", true)
	if retry := retryAfter(t, err); retry != 8*sec {
		t.Fatalf("retry after %v, want 8s", retry)
	}
	c.advance(8 * sec)
	if w, err := attempt(t, th, c, "victim@example.com", "10.0.0.1", false); err != nil || w != 0 {
		t.Fatalf("on time: wait %v, %v", w, err)
	}
	_, err = attempt(t, th, c, "victim@example.com", "10.0.0.1", false)
	if retry := retryAfter(t, err); retry != 16*sec {
		t.Fatalf("retry after %v, want 16s", retry)
	}
}

// TestThrottleOwnerGetsIn: whatever hundreds of addresses send for one
// email, its owner at an address of their own waits 2s at most, and a
// success resets only the owner's own count.
func TestThrottleOwnerGetsIn(t *testing.T) {
	c := newFakeClock()
	th := newThrottle(c)
	for i := range 1000 {
		_, _ = attempt(t, th, c, "victim@example.com", fmt.Sprintf("10.0.%d.%d", i/200, i%200), false)
	}
	for range 3 { // the owner's own typos
		if w, err := attempt(t, th, c, "victim@example.com", "192.0.2.7", false); err != nil || w > 2*sec {
			t.Fatalf("owner's typo: wait %v, %v", w, err)
		}
	}
	w, err := attempt(t, th, c, "victim@example.com", "192.0.2.7", true)
	if err != nil || w != 2*sec {
		t.Fatalf("owner: wait %v, %v; want 2s", w, err)
	}
	// The owner's typos are forgotten; the others' are not.
	if d := th.pairs.Delay("192.0.2.7 victim@example.com"); d != 0 {
		t.Fatalf("owner's pair delay %v after a success", d)
	}
	if d := th.emails.Delay("victim@example.com"); d < 1*sec {
		t.Fatalf("email delay %v after the owner's success, want the others' failures kept", d)
	}
}

// TestThrottleBoundsSpraying: one address trying many emails gets 20 free
// failures, then waits 1s, 2s, 4s and is refused.
func TestThrottleBoundsSpraying(t *testing.T) {
	c := newFakeClock()
	th := newThrottle(c)
	var waits []time.Duration
	for i := range 23 {
		w, err := attempt(t, th, c, fmt.Sprintf("agent%d@example.com", i), "10.0.0.1", false)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	if want := append(make([]time.Duration, 20), 1*sec, 2*sec, 4*sec); !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	_, err := attempt(t, th, c, "agent99@example.com", "10.0.0.1", false)
	retryAfter(t, err)
	if w, err := attempt(t, th, c, "agent99@example.com", "10.0.0.2", false); err != nil || w != 0 {
		t.Fatalf("another address: wait %v, %v", w, err)
	}
}

// TestThrottleConcurrentAttemptsTakeTurns: attempts sent at once, before
// any of them is checked, queue behind one another.
func TestThrottleConcurrentAttemptsTakeTurns(t *testing.T) {
	c := newFakeClock()
	c.frozen = true
	th := newThrottle(c)
	var waits []time.Duration
	for {
		done, err := th.signIn(context.Background(), "victim@example.com", "10.0.0.1")
		if err != nil {
			retryAfter(t, err)
			break
		}
		defer done(false)
		w := c.takeWaits()
		waits = append(waits, append(w, 0)[0])
	}
	if want := []time.Duration{0, 0, 0, 1 * sec, 3 * sec}; !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
}

// TestThrottleBoundsWaiting: at most 8 attempts wait per address; others
// are refused at once, and other addresses are not.
func TestThrottleBoundsWaiting(t *testing.T) {
	c := newFakeClock()
	c.hold = make(chan struct{})
	th := newThrottle(c)
	email := func(i int) string { return fmt.Sprintf("agent%d@example.com", i) }
	for i := range 10 { // 11 failures from elsewhere: each email has a wait
		for range 11 {
			th.emails.Fail(email(i), c.Now())
		}
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := th.signIn(context.Background(), email(i), "10.0.0.1"); err != nil {
				t.Error(err)
			}
		}()
	}
	// A polling loop of its own: testenv (and its Eventually) imports auth,
	// and this test needs the throttle's unexported state.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		th.mu.Lock()
		waiting := th.waiting["10.0.0.1"]
		th.mu.Unlock()
		if waiting == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts waiting, want 8", waiting)
		}
	}
	_, err := th.signIn(context.Background(), email(8), "10.0.0.1")
	retryAfter(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, err := th.signIn(ctx, email(9), "10.0.0.2"); !errors.Is(err, context.Canceled) {
		t.Fatalf("another address, client gone: %v", err)
	}
	close(c.hold)
	wg.Wait()
	th.mu.Lock()
	defer th.mu.Unlock()
	if len(th.waiting) != 0 || th.waitingAll != 0 {
		t.Fatalf("still waiting: %v, %d", th.waiting, th.waitingAll)
	}
	// The abandoned attempt still counts.
	if d := th.pairs.Next("10.0.0.2 " + email(9)); d.IsZero() {
		t.Fatal("an abandoned attempt was not counted")
	}
}

// TestThrottleSignUps: five sign-ups an hour per address.
func TestThrottleSignUps(t *testing.T) {
	c := newFakeClock()
	th := newThrottle(c)
	for i := range 5 {
		if err := th.signUp("10.0.0.1"); err != nil {
			t.Fatalf("sign-up %d: %v", i+1, err)
		}
		c.advance(time.Minute)
	}
	if retry := retryAfter(t, th.signUp("10.0.0.1")); retry != 55*time.Minute {
		t.Fatalf("retry after %v, want 55m", retry)
	}
	if err := th.signUp("10.0.0.2"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	c.advance(55 * time.Minute)
	if err := th.signUp("10.0.0.1"); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
}
