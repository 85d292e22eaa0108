// Package ratelimit bounds how often something happens per key: Limiter
// counts events in a sliding window (visitor sessions per address,
// messages per visitor, sign-ups per address); Backoff spaces attempts out
// after failures (sign-in).
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
	ok, _ := l.Take(key)
	return ok
}

// Take records an event for key when it is within the limit; when it is
// not, it records nothing and tells how long until an event would be.
func (l *Limiter) Take(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	cut := now.Add(-l.window)
	ev := l.events[key]
	i := 0
	for i < len(ev) && !ev[i].After(cut) {
		i++
	}
	ev = ev[i:]
	if len(l.events) > 100_000 {
		l.sweep(cut)
	}
	if len(ev) >= l.n {
		l.events[key] = ev
		if l.n <= 0 {
			return false, l.window
		}
		return false, ev[len(ev)-l.n].Add(l.window).Sub(now)
	}
	l.events[key] = append(ev, now)
	return true, 0
}

// sweep drops keys whose events are all at or before cut.
func (l *Limiter) sweep(cut time.Time) {
	for k, ev := range l.events {
		if len(ev) == 0 || !ev[len(ev)-1].After(cut) {
			delete(l.events, k)
		}
	}
}
