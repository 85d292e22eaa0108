package auth

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/ratelimit"
)

const (
	// maxWait is the longest a sign-in waits before its password is
	// checked; a later turn is refused with the time to come back.
	maxWait = 5 * time.Second
	// Waiting sign-ins, per client address and in all.
	maxWaitingPerAddr = 8
	maxWaiting        = 1000
	// throttleKeys bounds each count's keys.
	throttleKeys = 100_000
	// SignUpsPerHour is how many sign-ups one client address may attempt
	// an hour.
	SignUpsPerHour = 5
)

// Clock tells the time and waits, for sign-in and sign-up throttling.
// Tests give a fake one, so that no test sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx is done (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock sleeps on a timer.
type realClock struct{ now func() time.Time }

func (c realClock) Now() time.Time { return c.now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// throttle slows sign-in down after failures and limits sign-ups per
// client address. Failures never lock an account out. Three
// counts of failures, each forgotten little by little (Schedule.Leak):
//
//   - per email and client address: 3 free, then the next attempt waits
//     1s, 2s, 4s… up to 15 minutes; a success resets it. This is what
//     slows a guesser down, and only at the guesser's own address.
//   - per client address, whatever the email: 20 free, then 1s doubling up
//     to 15 minutes: it bounds spraying many accounts from one address.
//   - per email from every address: 10 free, then 100ms doubling up to 2s
//     (counted from the attempt, not queued): it makes guesses spread over
//     many addresses cost time, while the owner, signing in from an
//     address of their own, waits 2s at most.
//
// An attempt counts as failed until its password checks out, so attempts
// sent at once cannot overtake the delays: each gets its own turn. A turn
// further away than maxWait is refused (RATE_LIMITED with retryAfter)
// rather than waited for, and waiting attempts are bounded per address and
// in all. The answers depend only on what was sent, never on whether the
// email belongs to an agent. newThrottle holds the numbers.
type throttle struct {
	clock Clock

	mu                   sync.Mutex // makes taking a turn atomic
	pairs, addrs, emails *ratelimit.Backoff
	waiting              map[string]int // waiting sign-ins per address
	waitingAll           int

	signUps *ratelimit.Limiter
}

func newThrottle(clock Clock) *throttle {
	return &throttle{
		clock: clock,
		pairs: ratelimit.NewBackoff(ratelimit.Schedule{
			Free: 3, Base: time.Second, Max: 15 * time.Minute, Leak: 15 * time.Minute,
		}, throttleKeys, clock.Now),
		addrs: ratelimit.NewBackoff(ratelimit.Schedule{
			Free: 20, Base: time.Second, Max: 15 * time.Minute, Leak: 3 * time.Minute,
		}, throttleKeys, clock.Now),
		emails: ratelimit.NewBackoff(ratelimit.Schedule{
			Free: 10, Base: 100 * time.Millisecond, Max: 2 * time.Second, Leak: time.Minute,
		}, throttleKeys, clock.Now),
		waiting: map[string]int{},
		signUps: ratelimit.New(SignUpsPerHour, time.Hour, clock.Now),
	}
}

// signIn admits a sign-in attempt for a normalized email from addr: it
// waits the turn that failures earned, honouring ctx, and returns done,
// which the caller calls once the password is checked, with whether it
// was right. Until then the attempt counts as failed.
func (t *throttle) signIn(ctx context.Context, email, addr string) (done func(ok bool), err error) {
	// Addresses hold no space; emails may.
	pair := addr + " " + email
	t.mu.Lock()
	now := t.clock.Now()
	turn := later(now, later(t.pairs.Next(pair), t.addrs.Next(addr)))
	wait := max(turn.Sub(now), t.emails.Delay(email))
	switch {
	case turn.Sub(now) > maxWait:
		t.mu.Unlock()
		return nil, apperr.Limited(turn.Sub(now), "too many failed sign-in attempts from this address; try again later")
	case wait > 0 && (t.waiting[addr] >= maxWaitingPerAddr || t.waitingAll >= maxWaiting):
		t.mu.Unlock()
		return nil, apperr.Limited(time.Second, "too many sign-in attempts waiting; try again in a moment")
	}
	at := now.Add(wait)
	t.pairs.Fail(pair, at)
	t.addrs.Fail(addr, at)
	t.emails.Fail(email, now)
	if wait > 0 {
		t.waiting[addr]++
		t.waitingAll++
	}
	t.mu.Unlock()

	done = func(ok bool) {
		if ok {
			t.pairs.Reset(pair)
			t.addrs.Forgive(addr)
			t.emails.Forgive(email)
		}
	}
	if wait <= 0 {
		return done, nil
	}
	err = t.clock.Sleep(ctx, wait)
	t.mu.Lock()
	if t.waiting[addr]--; t.waiting[addr] <= 0 {
		delete(t.waiting, addr)
	}
	t.waitingAll--
	t.mu.Unlock()
	if err != nil {
		// The client left: the attempt stays counted as failed.
		return nil, err
	}
	return done, nil
}

// signUp admits a sign-up attempt from addr.
func (t *throttle) signUp(addr string) error {
	if ok, retry := t.signUps.Take(addr); !ok {
		return apperr.Limited(retry, "too many sign-ups from this address (at most %d an hour); try again later", SignUpsPerHour)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
