package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Token is a provider access token and when it expires.
type Token struct {
	Value   string    `json:"value"`
	Expires time.Time `json:"expires"`
}

// TokenSource keeps one provider access token per channel in the
// channel's State, shared by every instance (WeChat's and QQ's tokens:
// fetching a new one invalidates the old one minutes later, so instances
// that each fetched their own would keep breaking each other's). Only one
// instance refreshes at a time: it takes a short lease on the state key by
// compare-and-set before calling the provider, and the others keep using
// the current token while it is valid, or wait for the new one.
type TokenSource struct {
	// Key is the state key (default "token").
	Key string
	// Early refreshes this long before the token expires (default 5 min),
	// so no send goes out with a token about to expire.
	Early time.Duration
	// Lease is how long a refresher holds the right to refresh (default
	// 30 s): another instance takes over once it passes (a crash).
	Lease time.Duration
	// Fetch asks the provider for a token. force is set after the provider
	// refused the current token (Invalidate): a provider that hands out
	// the same token while it is valid must then issue a new one.
	Fetch func(ctx context.Context, c *Config, force bool) (Token, error)
}

// tokenRecord is what the state key holds.
type tokenRecord struct {
	Token
	// Stale is a token the provider refused: the next refresh forces.
	Stale string `json:"stale,omitempty"`
	// LeaseUntil: an instance is refreshing until then.
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
}

func (s *TokenSource) key() string {
	if s.Key == "" {
		return "token"
	}
	return s.Key
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// tokenPoll is how often an instance waiting for another's refresh looks.
const tokenPoll = 50 * time.Millisecond

// Get returns a valid token, fetching one when none is stored, it expires
// within Early, or the provider refused it.
func (s *TokenSource) Get(ctx context.Context, c *Config) (string, error) {
	if c.State == nil {
		return "", errors.New("channels: TokenSource needs the channel's State")
	}
	early, lease := durationOr(s.Early, 5*time.Minute), durationOr(s.Lease, 30*time.Second)
	for {
		raw, ver, err := c.State.Get(ctx, s.key())
		if err != nil {
			return "", err
		}
		var rec tokenRecord
		if raw != nil {
			if err := json.Unmarshal(raw, &rec); err != nil {
				rec = tokenRecord{} // unreadable: fetch a new one
			}
		}
		t := c.Time()
		usable := rec.Value != "" && rec.Value != rec.Stale && t.Before(rec.Expires)
		if usable && t.Add(early).Before(rec.Expires) {
			return rec.Value, nil
		}
		if t.Before(rec.LeaseUntil) {
			// Another instance is refreshing: use the current token while
			// it lasts, or wait for the new one.
			if usable {
				return rec.Value, nil
			}
			if err := sleepCtx(ctx, tokenPoll); err != nil {
				return "", err
			}
			continue
		}
		claim := rec
		claim.LeaseUntil = t.Add(lease)
		b, _ := json.Marshal(claim)
		ver, err = c.State.CompareAndSet(ctx, s.key(), b, ver)
		if errors.Is(err, ErrStale) {
			continue // another instance changed it: look again
		}
		if err != nil {
			return "", err
		}
		tok, ferr := s.Fetch(ctx, c, rec.Stale != "")
		if ferr != nil {
			// Give the lease back so another attempt need not wait it out.
			claim.LeaseUntil = time.Time{}
			b, _ = json.Marshal(claim)
			_, _ = c.State.CompareAndSet(context.WithoutCancel(ctx), s.key(), b, ver)
			return "", ferr
		}
		if tok.Value == "" {
			return "", errors.New("channels: the provider returned an empty access token")
		}
		b, _ = json.Marshal(tokenRecord{Token: tok})
		if _, err := c.State.CompareAndSet(ctx, s.key(), b, ver); err != nil && !errors.Is(err, ErrStale) {
			return "", fmt.Errorf("channels: storing the access token: %w", err)
		}
		// Stale: our lease ran out and another instance stored a token
		// after ours was issued; ours is still good for this call.
		return tok.Value, nil
	}
}

// Invalidate records that the provider refused token (expired early,
// revoked, replaced): the next Get fetches a new one, forcing it. A token
// already replaced by another instance is left alone.
func (s *TokenSource) Invalidate(ctx context.Context, c *Config, token string) error {
	for {
		raw, ver, err := c.State.Get(ctx, s.key())
		if err != nil || raw == nil {
			return err
		}
		var rec tokenRecord
		if json.Unmarshal(raw, &rec) != nil || rec.Value != token {
			return nil
		}
		rec.Stale = token
		b, _ := json.Marshal(rec)
		if _, err := c.State.CompareAndSet(ctx, s.key(), b, ver); !errors.Is(err, ErrStale) {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
