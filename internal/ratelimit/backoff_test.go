package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// manual is a clock that moves only when told.
type manual struct{ t time.Time }

func (m *manual) now() time.Time          { return m.t }
func (m *manual) advance(d time.Duration) { m.t = m.t.Add(d) }

func newManual() *manual { return &manual{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func TestScheduleDelay(t *testing.T) {
	s := Schedule{Free: 3, Base: time.Second, Max: 10 * time.Second, Leak: time.Minute}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for n, w := range want {
		if got := s.Delay(n); got != w {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w)
		}
	}
	if got := s.Delay(1000); got != 10*time.Second {
		t.Errorf("Delay(1000) = %v", got)
	}
	if got := s.saturated(); got != 8 { // 3 free, 1s 2s 4s 8s, then 10s
		t.Errorf("saturated = %d, want 8", got)
	}
}

// TestBackoffSpacesAttempts: after the free failures each attempt's turn
// comes the earned delay after the previous attempt's, even when the
// previous one was given a turn ahead of now.
func TestBackoffSpacesAttempts(t *testing.T) {
	clock := newManual()
	b := NewBackoff(Schedule{Free: 2, Base: time.Second, Max: time.Minute, Leak: time.Hour}, 10, clock.now)
	if !b.Next("k").IsZero() {
		t.Fatal("an unknown key must wait for nothing")
	}
	start := clock.t
	b.Fail("k", start)
	b.Fail("k", start)
	if next := b.Next("k"); next != start.Add(time.Second) {
		t.Fatalf("after 2 failures next = %v, want +1s", next.Sub(start))
	}
	// An attempt given the turn at +1s, counted before it is checked: the
	// next one queues behind it.
	b.Fail("k", start.Add(time.Second))
	if next := b.Next("k"); next != start.Add(3*time.Second) {
		t.Fatalf("after 3 failures next = %v, want +3s", next.Sub(start))
	}
	if d := b.Delay("k"); d != 2*time.Second {
		t.Fatalf("Delay = %v, want 2s", d)
	}
	// Forgive takes one failure back; Reset forgets the key.
	b.Forgive("k")
	if next := b.Next("k"); next != start.Add(2*time.Second) {
		t.Fatalf("forgiven: next = %v, want +2s", next.Sub(start))
	}
	b.Reset("k")
	if !b.Next("k").IsZero() || b.Len() != 0 {
		t.Fatalf("reset: next %v, %d keys", b.Next("k"), b.Len())
	}
}

// TestBackoffLeaks: failures are forgotten one per Leak, and counts stop
// where the delay stops growing, so any key recovers within a bounded time.
func TestBackoffLeaks(t *testing.T) {
	clock := newManual()
	s := Schedule{Free: 1, Base: time.Second, Max: 4 * time.Second, Leak: time.Minute}
	b := NewBackoff(s, 10, clock.now)
	for range 1000 {
		b.Fail("k", clock.t)
	}
	if d := b.Delay("k"); d != 4*time.Second {
		t.Fatalf("Delay = %v, want the 4s cap", d)
	}
	clock.advance(time.Minute)
	if d := b.Delay("k"); d != 4*time.Second { // 4 failures left: still at the cap
		t.Fatalf("a minute later Delay = %v, want 4s", d)
	}
	clock.advance(time.Minute)
	if d := b.Delay("k"); d != 2*time.Second {
		t.Fatalf("two minutes later Delay = %v, want 2s", d)
	}
	clock.advance(3 * time.Minute) // s.saturated() = 5 leaks in all
	if d := b.Delay("k"); d != 0 || b.Len() != 0 {
		t.Fatalf("recovered: Delay %v, %d keys", d, b.Len())
	}
}

// TestBackoffBounded: however many keys fail, it holds at most maxKeys,
// and the recovered ones go first.
func TestBackoffBounded(t *testing.T) {
	clock := newManual()
	b := NewBackoff(Schedule{Free: 1, Base: time.Second, Max: time.Minute, Leak: time.Minute}, 100, clock.now)
	b.Fail("old", clock.t)
	clock.advance(time.Hour)
	for i := range 99 {
		b.Fail(fmt.Sprint(i), clock.t)
	}
	b.Fail("new", clock.t) // the hundredth key: "old" has recovered and goes
	if b.Len() != 100 || b.Delay("new") != time.Second || b.Delay("0") != time.Second {
		t.Fatalf("%d keys; new %v, 0 %v", b.Len(), b.Delay("new"), b.Delay("0"))
	}
	for i := range 10_000 {
		b.Fail(fmt.Sprint("spray", i), clock.t)
		if b.Len() > 100 {
			t.Fatalf("%d keys after %d more", b.Len(), i+1)
		}
	}
}

func TestLimiterTake(t *testing.T) {
	clock := newManual()
	l := New(2, time.Minute, clock.now)
	for i := range 2 {
		if ok, _ := l.Take("a"); !ok {
			t.Fatalf("event %d refused", i+1)
		}
		clock.advance(10 * time.Second)
	}
	ok, retry := l.Take("a")
	if ok || retry != 40*time.Second {
		t.Fatalf("third event: %v, retry after %v; want refused, 40s", ok, retry)
	}
	if ok, _ := l.Take("b"); !ok {
		t.Fatal("another key refused")
	}
	clock.advance(retry)
	if ok, _ := l.Take("a"); !ok {
		t.Fatal("refused after the retry time")
	}
}
