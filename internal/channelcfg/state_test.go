package channelcfg_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/web"
	"github.com/switchboard/switchboard/ent/channelstate"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/channelcfg"
)

// TestChannelState: a channel's shared state is versioned compare-and-set
// (a writer holding an old version is told to read again, and of many
// concurrent writers of one version exactly one wins), sealed at rest,
// bound to its channel and key, and deletable.
func TestChannelState(t *testing.T) {
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: web.Kind, Name: ptr("Site")})
	other := e.mustCreate(t, channelcfg.Input{Kind: web.Kind, Name: ptr("Other")})
	st := e.svc.State(ch)
	ctx := e.ctx

	if v, ver, err := st.Get(ctx, "token"); err != nil || v != nil || ver != 0 {
		t.Fatalf("unset key: %q %d %v", v, ver, err)
	}
	v1, err := st.CompareAndSet(ctx, "token", []byte("access-token-1"), 0)
	if err != nil || v1 != 1 {
		t.Fatalf("first set: %d %v", v1, err)
	}
	if _, err := st.CompareAndSet(ctx, "token", []byte("lost race"), 0); !errors.Is(err, channels.ErrStale) {
		t.Fatalf("create over an existing key: %v, want ErrStale", err)
	}
	var wg sync.WaitGroup
	wins := make(chan int64, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ver, err := st.CompareAndSet(ctx, "token", []byte{byte('a' + i)}, v1); err == nil {
				wins <- ver
			} else if !errors.Is(err, channels.ErrStale) {
				t.Errorf("concurrent set: %v", err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	if n := len(wins); n != 1 {
		t.Fatalf("%d concurrent writers of one version won, want 1", n)
	}
	got, ver, err := st.Get(ctx, "token")
	if err != nil || ver != 2 || len(got) != 1 {
		t.Fatalf("after the race: %q %d %v", got, ver, err)
	}

	// Sealed at rest, and bound to its channel and key.
	if ver, err = st.CompareAndSet(ctx, "token", []byte("access-token-2"), ver); err != nil {
		t.Fatal(err)
	}
	row := e.c.ChannelState.Query().Where(channelstate.ChannelID(ch.ID), channelstate.Key("token")).OnlyX(privacy.DecisionContext(ctx, privacy.Allow))
	if bytes.Contains(row.Value, []byte("access-token-2")) {
		t.Fatal("the value is stored in the clear")
	}
	if v, _, _ := e.svc.State(other).Get(ctx, "token"); v != nil {
		t.Fatalf("another channel reads %q", v)
	}

	if _, err := st.CompareAndSet(ctx, "token", nil, 1); !errors.Is(err, channels.ErrStale) {
		t.Fatalf("delete with an old version: %v", err)
	}
	if _, err := st.CompareAndSet(ctx, "token", nil, ver); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if v, ver, _ := st.Get(ctx, "token"); v != nil || ver != 0 {
		t.Fatalf("after delete: %q %d", v, ver)
	}
	if _, err := st.CompareAndSet(ctx, strings.Repeat("k", 200), []byte("x"), 0); err == nil {
		t.Fatal("an over-long key was accepted")
	}
	if _, err := st.CompareAndSet(ctx, "big", make([]byte, channels.MaxStateValue+1), 0); err == nil {
		t.Fatal("an over-long value was accepted")
	}
}
