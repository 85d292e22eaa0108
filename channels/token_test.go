package channels_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
)

type tokenProvider struct {
	fetches, forced atomic.Int32
	fail            atomic.Bool
	life            time.Duration
	now             func() time.Time
}

func (p *tokenProvider) fetch(_ context.Context, _ *channels.Config, force bool) (channels.Token, error) {
	n := p.fetches.Add(1)
	if force {
		p.forced.Add(1)
	}
	time.Sleep(20 * time.Millisecond) // a provider round trip, so others pile up
	if p.fail.Load() {
		return channels.Token{}, errors.New("provider down")
	}
	return channels.Token{Value: "tok" + string(rune('0'+n)), Expires: p.now().Add(p.life)}, nil
}

func TestTokenSourceSharesOneToken(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	p := &tokenProvider{life: 2 * time.Hour, now: now}
	state := &channels.MemoryState{}
	// Two "instances": separate sources and configs over one state.
	srcs := []*channels.TokenSource{{Fetch: p.fetch}, {Fetch: p.fetch}}
	cfg := func() *channels.Config { return &channels.Config{State: state, Now: now} }
	ctx := context.Background()

	get := func(n int) map[string]int {
		var wg sync.WaitGroup
		var gmu sync.Mutex
		seen := map[string]int{}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := srcs[i%2].Get(ctx, cfg())
				if err != nil {
					t.Error(err)
					return
				}
				gmu.Lock()
				seen[tok]++
				gmu.Unlock()
			}()
		}
		wg.Wait()
		return seen
	}
	if seen := get(40); p.fetches.Load() != 1 || len(seen) != 1 {
		t.Fatalf("40 concurrent Gets: %d fetches, tokens %v; want one fetch", p.fetches.Load(), seen)
	}
	advance(time.Hour)
	if get(10); p.fetches.Load() != 1 {
		t.Fatalf("an hour later the token was fetched again")
	}
	advance(56 * time.Minute) // within the 5 minutes before expiry
	// While one instance refreshes, the others keep using the old token.
	if seen := get(20); p.fetches.Load() != 2 || seen["tok1"]+seen["tok2"] != 20 {
		t.Fatalf("near expiry: %d fetches, tokens %v; want one refresh", p.fetches.Load(), seen)
	}
	if seen := get(5); seen["tok2"] != 5 {
		t.Fatalf("after the refresh: tokens %v, want the new one", seen)
	}
	tok, _ := srcs[0].Get(ctx, cfg())
	if err := srcs[1].Invalidate(ctx, cfg(), "not-the-current-one"); err != nil {
		t.Fatal(err)
	}
	if again, _ := srcs[0].Get(ctx, cfg()); again != tok || p.fetches.Load() != 2 {
		t.Fatalf("invalidating an old token changed the current one")
	}
	if err := srcs[1].Invalidate(ctx, cfg(), tok); err != nil {
		t.Fatal(err)
	}
	if seen := get(10); p.fetches.Load() != 3 || p.forced.Load() != 1 || seen[tok] != 0 {
		t.Fatalf("after Invalidate: %d fetches (%d forced), tokens %v; want one forced refresh", p.fetches.Load(), p.forced.Load(), seen)
	}
	// A failed refresh gives the lease back: the next Get tries at once.
	advance(3 * time.Hour)
	p.fail.Store(true)
	if _, err := srcs[0].Get(ctx, cfg()); err == nil {
		t.Fatal("Get succeeded while the provider failed and the token had expired")
	}
	p.fail.Store(false)
	start := time.Now()
	if _, err := srcs[1].Get(ctx, cfg()); err != nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Get after a failed refresh: %v after %s", err, time.Since(start))
	}
}
