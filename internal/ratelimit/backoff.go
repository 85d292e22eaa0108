package ratelimit

import (
	"sync"
	"time"
)

// Schedule is how a Backoff spaces attempts out after failures.
type Schedule struct {
	// Free failures cost nothing. After them the next attempt waits Base,
	// and each further failure doubles the wait, up to Max.
	Free      int
	Base, Max time.Duration
	// Leak is how long one failure takes to be forgotten: a key that stops
	// failing recovers, and a key that keeps trying settles at about one
	// attempt per Leak once Delay has grown past it.
	Leak time.Duration
}

// Delay is the wait that n failures earn.
func (s Schedule) Delay(n int) time.Duration {
	if n < s.Free {
		return 0
	}
	d := s.Base
	for i := s.Free; i < n && d < s.Max; i++ {
		d *= 2
	}
	return min(d, s.Max)
}

// saturated is the count past which more failures change nothing: Delay
// is at Max. Counts stop there, so recovery takes at most that many Leaks.
func (s Schedule) saturated() int {
	n := s.Free
	for d := s.Base; d < s.Max; d *= 2 {
		n++
	}
	return n + 1
}

// Backoff counts failures per key and spaces attempts out after them: a
// key's next attempt comes no sooner than its latest attempt plus the
// Delay its failures earn. It holds at most maxKeys keys, dropping the
// recovered ones first. Like Limiter, it is per instance.
type Backoff struct {
	mu      sync.Mutex
	s       Schedule
	now     func() time.Time
	maxKeys int
	keys    map[string]*record
}

type record struct {
	fails  int
	leaked time.Time // failures have leaked up to this time
	last   time.Time // when the latest attempt is (or will be) checked
}

// NewBackoff returns a Backoff; now defaults to time.Now. A schedule
// without a positive Base and Leak, or with Max below Base, is a
// programming error.
func NewBackoff(s Schedule, maxKeys int, now func() time.Time) *Backoff {
	if s.Base <= 0 || s.Leak <= 0 || s.Max < s.Base {
		panic("ratelimit: a schedule needs a positive Base and Leak, and Max at least Base")
	}
	if now == nil {
		now = time.Now
	}
	return &Backoff{s: s, now: now, maxKeys: max(maxKeys, 1), keys: map[string]*record{}}
}

// Next returns the earliest time key's next attempt may be checked (a
// time already past when it may be checked now).
func (b *Backoff) Next(key string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.get(key)
	if r == nil {
		return time.Time{}
	}
	return r.last.Add(b.s.Delay(r.fails))
}

// Delay returns the wait key's failures earn, counted from now rather
// than from its latest attempt.
func (b *Backoff) Delay(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.get(key); r != nil {
		return b.s.Delay(r.fails)
	}
	return 0
}

// Fail counts a failure of key's attempt checked at at (which may be
// ahead of now: the turn a waiting attempt was given).
func (b *Backoff) Fail(key string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.get(key)
	if r == nil {
		if len(b.keys) >= b.maxKeys {
			b.sweep()
		}
		r = &record{}
		b.keys[key] = r
	}
	if r.fails == 0 {
		r.leaked = b.now()
	}
	r.fails = min(r.fails+1, b.s.saturated())
	r.last = later(r.last, at)
}

// Forgive takes back one failure of key: an attempt counted as failed
// before it was checked turned out right.
func (b *Backoff) Forgive(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.get(key); r != nil && r.fails > 0 {
		r.fails--
	}
}

// Reset forgets key's failures.
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.keys, key)
}

// Len returns how many keys b holds.
func (b *Backoff) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.keys)
}

// get returns key's record with its failures leaked up to now, or nil
// when key has none left and its latest attempt is past.
func (b *Backoff) get(key string) *record {
	r := b.keys[key]
	if r == nil {
		return nil
	}
	now := b.now()
	if b.leak(r, now) {
		delete(b.keys, key)
		return nil
	}
	return r
}

// leak forgets the failures r's Leak periods since r.leaked took away,
// and reports whether r is recovered: no failure left and its latest
// attempt past.
func (b *Backoff) leak(r *record, now time.Time) bool {
	if n := int(now.Sub(r.leaked) / b.s.Leak); n > 0 && r.fails > 0 {
		r.fails = max(r.fails-n, 0)
		r.leaked = r.leaked.Add(time.Duration(n) * b.s.Leak)
	}
	return r.fails == 0 && !r.last.After(now)
}

// sweep drops recovered keys and, if that is not enough, arbitrary ones
// down to nine tenths of maxKeys, so that sweeps stay rare.
func (b *Backoff) sweep() {
	now := b.now()
	for k, r := range b.keys {
		if b.leak(r, now) {
			delete(b.keys, k)
		}
	}
	if len(b.keys) < b.maxKeys {
		return
	}
	target := min(b.maxKeys*9/10, b.maxKeys-1)
	for k := range b.keys {
		if len(b.keys) <= target {
			break
		}
		delete(b.keys, k)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
