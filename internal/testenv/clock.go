package testenv

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
)

// Clock is a fake clock for sign-in and sign-up throttling: time stands
// still until the test advances it, and a wait returns at once, advancing
// the clock by its length and recording it.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

var _ auth.Clock = (*Clock)(nil)

// NewClock returns a Clock at the present time.
func NewClock() *Clock { return &Clock{now: time.Now().UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records a wait of d and advances the clock by it, unless ctx is
// already done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	return nil
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Waits returns the waits recorded since the last call, and forgets them.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.waits
	c.waits = nil
	return w
}

// AuthClock makes sign-in and sign-up throttling run on c.
func AuthClock(c auth.Clock) Tuning {
	return func(o *app.Options) { o.AuthClock = c }
}
