// Package ratelimit counts events per key in a sliding window: sign-in
// attempts per email, visitor sessions per address, messages per visitor.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows n events per window per key (a sliding log, pruned as it
// goes). It is per instance: with several instances the limit applies to
// each, which still bounds abuse.
type Limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	events map[string][]time.Time
	now    func() time.Time
}

// New returns a Limiter of n events per window; now defaults to time.Now.
func New(n int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{n: n, window: window, events: map[string][]time.Time{}, now: now}
}

// Allow records an event for key and reports whether it is within the limit.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	cut := now.Add(-l.window)
	ev := l.events[key]
	i := 0
	for i < len(ev) && ev[i].Before(cut) {
		i++
	}
	ev = ev[i:]
	if len(l.events) > 100_000 {
		l.sweep(cut)
	}
	if len(ev) >= l.n {
		l.events[key] = ev
		return false
	}
	l.events[key] = append(ev, now)
	return true
}

// sweep drops keys whose events are all older than cut.
func (l *Limiter) sweep(cut time.Time) {
	for k, ev := range l.events {
		if len(ev) == 0 || ev[len(ev)-1].Before(cut) {
			delete(l.events, k)
		}
	}
}
