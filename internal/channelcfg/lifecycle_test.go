package channelcfg_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/channels/web"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

func (e *env) setEnabled(t *testing.T, id gid.ID, on bool) (*ent.Channel, error) {
	t.Helper()
	var ch *ent.Channel
	err := store.InTx(e.ctx, e.c, func(ctx context.Context) (err error) {
		ch, err = e.svc.SetEnabled(ctx, id, on)
		return err
	})
	return ch, err
}

func TestVerifyAgainstTheAdapter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Settings: map[string]any{"region": "eu"}, Secrets: map[string]any{"token": token}})

	// A failure is recorded, truncated to 1000 characters.
	e.fake.setVerifyErr(errors.New("401 unauthorized " + strings.Repeat("x", 2000)))
	got, err := e.svc.Verify(e.ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.VerificationState != channel.VerificationStateFAILED || !strings.HasPrefix(got.VerificationError, "401 unauthorized") ||
		len(got.VerificationError) != 1000 || got.VerifiedAt != nil {
		t.Fatalf("after a failed verify: %s %q (%d chars) %v", got.VerificationState, got.VerificationError[:20], len(got.VerificationError), got.VerifiedAt)
	}
	// The adapter saw the channel with its secrets decrypted.
	if len(e.fake.verified) != 1 {
		t.Fatalf("adapter verified %d times, want 1", len(e.fake.verified))
	}
	cfg := e.fake.verified[0]
	if cfg.Secrets["token"] != token || cfg.Setting("region") != "eu" || cfg.Key != ch.Key || cfg.HTTP == nil {
		t.Fatalf("adapter got config %+v", cfg)
	}

	// Success: VERIFIED at the service's clock, error cleared.
	e.fake.setVerifyErr(nil)
	got, err = e.svc.Verify(e.ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.VerificationState != channel.VerificationStateVERIFIED || got.VerificationError != "" || got.VerifiedAt == nil || !got.VerifiedAt.Equal(t0) {
		t.Fatalf("after a good verify: %s %q %v", got.VerificationState, got.VerificationError, got.VerifiedAt)
	}
	if r := e.reload(t, ch.ID); r.VerificationState != channel.VerificationStateVERIFIED {
		t.Fatalf("stored state %s", r.VerificationState)
	}

	// Verify refuses to run inside a transaction.
	err = store.InTx(e.ctx, e.c, func(ctx context.Context) error {
		_, err := e.svc.Verify(ctx, ch.ID)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "must not run in a transaction") {
		t.Fatalf("verify in a transaction: err = %v", err)
	}
	if len(e.fake.verified) != 2 {
		t.Fatalf("adapter called %d times, want 2 (not from inside a transaction)", len(e.fake.verified))
	}
}

func TestEnablingNeedsVerifiedCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Secrets: map[string]any{"token": token}})

	// UNVERIFIED, then FAILED: refused with CONFLICT.
	for _, verr := range []error{nil, errors.New("bad token")} {
		if verr != nil {
			e.fake.setVerifyErr(verr)
			if _, err := e.svc.Verify(e.ctx, ch.ID); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.setEnabled(t, ch.ID, true)
		if apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("enable while %s: err = %v, want CONFLICT", e.reload(t, ch.ID).VerificationState, err)
		}
		if e.reload(t, ch.ID).Enabled {
			t.Fatal("channel enabled without verified credentials")
		}
	}

	// Verified: enabling works, and so does disabling.
	e.fake.setVerifyErr(nil)
	if _, err := e.svc.Verify(e.ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.setEnabled(t, ch.ID, true)
	if err != nil || !got.Enabled {
		t.Fatalf("enable after verify: %v, enabled %v", err, got != nil && got.Enabled)
	}
	if got, err = e.setEnabled(t, ch.ID, false); err != nil || got.Enabled {
		t.Fatalf("disable: %v", err)
	}

	// Changing secrets resets verification, so enabling is refused again.
	if _, err := e.update(t, ch.ID, channelcfg.Input{Secrets: map[string]any{"token": "tok-rotated-1"}}); err != nil {
		t.Fatal(err)
	}
	r := e.reload(t, ch.ID)
	if r.VerificationState != channel.VerificationStateUNVERIFIED || r.VerifiedAt != nil {
		t.Fatalf("after a secret change: %s %v, want UNVERIFIED", r.VerificationState, r.VerifiedAt)
	}
	if _, err := e.setEnabled(t, ch.ID, true); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("enable after a secret change: err = %v, want CONFLICT", err)
	}
	// Changing only the name keeps it verified.
	if _, err := e.svc.Verify(e.ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.update(t, ch.ID, channelcfg.Input{Name: ptr("Other")}); err != nil {
		t.Fatal(err)
	}
	if s := e.reload(t, ch.ID).VerificationState; s != channel.VerificationStateVERIFIED {
		t.Fatalf("a name change reset verification to %s", s)
	}
}

func TestKindsWithoutCredentialsEnableUnverified(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: web.Kind, Name: ptr("W")})
	if _, err := e.setEnabled(t, ch.ID, false); err != nil {
		t.Fatal(err)
	}
	got, err := e.setEnabled(t, ch.ID, true)
	if err != nil || !got.Enabled || got.VerificationState != channel.VerificationStateUNVERIFIED {
		t.Fatalf("enable web channel: %v", err)
	}
}
