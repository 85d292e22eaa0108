package channelcfg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/web"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/secrets"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
)

// fakeKind is a provider kind that needs credentials: a required "token"
// secret, a generated "signingKey", and a "region" setting.
const fakeKind = "fake"

type fakeAdapter struct {
	mu        sync.Mutex
	verifyErr error
	verified  []*channels.Config // configs Verify was called with
}

func (a *fakeAdapter) Describe() channels.Description {
	return channels.Description{
		Kind: fakeKind, DisplayName: "Fake", NeedsCredentials: true,
		Settings: []channels.Field{{Name: "region"}},
		Secrets: []channels.Field{
			{Name: "token", Required: true},
			{Name: "signingKey", Generated: true},
		},
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, MaxLength: 100},
	}
}

func (a *fakeAdapter) Validate(settings map[string]any, sec map[string]string) error {
	for k, v := range settings {
		if k != "region" {
			return channels.SettingError(k, "unknown setting %q", k)
		}
		if s, ok := v.(string); !ok || s == "" {
			return channels.SettingError("region", "region must be a non-empty string")
		}
	}
	if sec["token"] == "" {
		return channels.SecretError("token", "token is required")
	}
	if strings.HasPrefix(sec["token"], "bad") {
		return channels.SecretError("token", "token has the wrong format")
	}
	return nil
}

func (a *fakeAdapter) Verify(_ context.Context, c *channels.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.verified = append(a.verified, c)
	return a.verifyErr
}

func (a *fakeAdapter) setVerifyErr(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.verifyErr = err
}

func (a *fakeAdapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

func (a *fakeAdapter) Receive(context.Context, *channels.Config, *http.Request, []byte) (*channels.Delivery, error) {
	return nil, channels.Rejected(http.StatusForbidden, "fake")
}

func (a *fakeAdapter) Send(context.Context, *channels.Config, *channels.Outbound) (string, error) {
	return "", channels.Permanent("fake")
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type env struct {
	ctx  context.Context
	c    *ent.Client
	svc  *channelcfg.Service
	box  *secrets.Box
	fake *fakeAdapter
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, c, _ := testenv.Workspace(t)
	box, err := secrets.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeAdapter{}
	reg := channels.NewRegistry(web.New(), fake)
	svc := channelcfg.New(c, reg, box, "https://sb.example.com", nil, func() time.Time { return t0 })
	return &env{ctx: ctx, c: c, svc: svc, box: box, fake: fake}
}

func ptr[T any](v T) *T { return &v }

// create runs Create in a transaction.
func (e *env) create(t *testing.T, in channelcfg.Input) (*ent.Channel, error) {
	t.Helper()
	var ch *ent.Channel
	err := store.InTx(e.ctx, e.c, func(ctx context.Context) (err error) {
		ch, err = e.svc.Create(ctx, in)
		return err
	})
	return ch, err
}

func (e *env) mustCreate(t *testing.T, in channelcfg.Input) *ent.Channel {
	t.Helper()
	ch, err := e.create(t, in)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return ch
}

func (e *env) update(t *testing.T, id gid.ID, in channelcfg.Input) (*ent.Channel, error) {
	t.Helper()
	var ch *ent.Channel
	err := store.InTx(e.ctx, e.c, func(ctx context.Context) (err error) {
		ch, err = e.svc.Update(ctx, id, in)
		return err
	})
	return ch, err
}

func (e *env) reload(t *testing.T, id gid.ID) *ent.Channel {
	t.Helper()
	ch, err := e.c.Channel.Get(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// stored opens a channel's stored secrets with the box directly.
func (e *env) stored(t *testing.T, ch *ent.Channel) map[string]string {
	t.Helper()
	pt, err := e.box.Open(ch.Secrets, []byte(ch.ID))
	if err != nil {
		t.Fatalf("open stored secrets: %v", err)
	}
	out := map[string]string{}
	if err := json.Unmarshal(pt, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an apperr INVALID_INPUT on %q", err, field)
	}
	if ae.Code != apperr.InvalidInput || ae.Field != field {
		t.Fatalf("err = %s/%q (%v), want INVALID_INPUT/%q", ae.Code, ae.Field, err, field)
	}
}

const token = "tok-plaintext-7f3a9c1e"

func TestSecretsAreStoredEncrypted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Secrets: map[string]any{"token": token}})

	ch = e.reload(t, ch.ID)
	if len(ch.Secrets) == 0 {
		t.Fatal("no secrets stored")
	}
	if bytes.Contains(ch.Secrets, []byte(token)) {
		t.Fatal("stored secrets contain the plaintext token")
	}
	got := e.stored(t, ch)
	if got["token"] != token {
		t.Fatalf("decrypted token = %q, want %q", got["token"], token)
	}
	// The generated secret was created with the channel: 256 random bits, hex.
	if len(got["signingKey"]) != 64 {
		t.Fatalf("generated signingKey = %q, want 64 hex characters", got["signingKey"])
	}
	if bytes.Contains(ch.Secrets, []byte(got["signingKey"])) {
		t.Fatal("stored secrets contain the plaintext signingKey")
	}
	// Sealed to the channel: another id (the additional data) cannot open them.
	if _, err := e.box.Open(ch.Secrets, []byte("Channel:other")); err == nil {
		t.Fatal("secrets opened with another channel's id")
	}
	// What the adapter sees is the decrypted value.
	cfg, err := e.svc.Config(ch)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secrets["token"] != token || cfg.Secrets["signingKey"] != got["signingKey"] {
		t.Fatalf("Config secrets = %v", cfg.Secrets)
	}
	if cfg.WebhookURL != "https://sb.example.com/webhooks/fake/"+ch.Key || cfg.ChannelID != string(ch.ID) {
		t.Fatalf("Config = %+v", cfg)
	}
}

func TestSecretsAreNeverReturnedInClear(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Secrets: map[string]any{"token": token}})
	for _, c := range []*ent.Channel{ch, e.reload(t, ch.ID)} {
		if !slices.Equal(c.SecretFields, []string{"signingKey", "token"}) {
			t.Fatalf("SecretFields = %v, want [signingKey token]", c.SecretFields)
		}
		js, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(js), token) || strings.Contains(c.String(), token) {
			t.Fatalf("channel shows the token in clear: %s / %s", js, c.String())
		}
		if strings.Contains(string(js), `"secrets"`) {
			t.Fatalf("channel JSON carries the secrets field: %s", js)
		}
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fake := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Secrets: map[string]any{"token": token}})
	if fake.Enabled {
		t.Error("a kind that needs credentials starts enabled")
	}
	if fake.VerificationState != "UNVERIFIED" {
		t.Errorf("verification state = %s, want UNVERIFIED", fake.VerificationState)
	}
	w := e.mustCreate(t, channelcfg.Input{Kind: web.Kind, Name: ptr("W")})
	if !w.Enabled {
		t.Error("a web channel starts disabled")
	}
	if fake.Key == "" || fake.Key == w.Key || len(fake.Key) != 32 {
		t.Errorf("keys %q and %q: want distinct 32-character keys", fake.Key, w.Key)
	}
	if !slices.Equal(w.SecretFields, []string{web.IdentitySecret}) {
		t.Errorf("web SecretFields = %v, want the generated identity secret", w.SecretFields)
	}
	if got := e.svc.WebhookURL(w); got != "https://sb.example.com/webhooks/web/"+w.Key {
		t.Errorf("WebhookURL = %q", got)
	}
	if caps := e.svc.Capabilities(fakeKind); !caps.Outbound || caps.MaxLength != 100 {
		t.Errorf("Capabilities(fake) = %+v", caps)
	}
	if caps := e.svc.Capabilities("nope"); caps != (channels.Capabilities{}) {
		t.Errorf("Capabilities(unknown) = %+v, want none", caps)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    channelcfg.Input
		field string
	}{
		{"unknown kind", channelcfg.Input{Kind: "carrier_pigeon", Name: ptr("X")}, "kind"},
		{"required secret missing", channelcfg.Input{Kind: fakeKind, Name: ptr("X")}, "secrets.token"},
		{"secret in the wrong format", channelcfg.Input{Kind: fakeKind, Name: ptr("X"), Secrets: map[string]any{"token": "bad-1"}}, "secrets.token"},
		{"unknown setting", channelcfg.Input{Kind: fakeKind, Name: ptr("X"), Settings: map[string]any{"colour": "red"}, Secrets: map[string]any{"token": token}}, "settings.colour"},
		{"secret not a string", channelcfg.Input{Kind: fakeKind, Name: ptr("X"), Secrets: map[string]any{"token": token, "extra": 42}}, "secrets"},
		{"bad time zone", channelcfg.Input{Kind: web.Kind, Name: ptr("X"), WorkingHours: &schematype.WorkingHours{Timezone: "Mars/Olympus"}}, "workingHours.timezone"},
		{"Local time zone", channelcfg.Input{Kind: web.Kind, Name: ptr("X"), WorkingHours: &schematype.WorkingHours{Timezone: "Local"}}, "workingHours.timezone"},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.create(t, tt.in)
			wantInvalid(t, err, tt.field)
			if n := e.c.Channel.Query().CountX(e.ctx); n != 0 {
				t.Fatalf("%d channels stored after a refused create", n)
			}
		})
	}
}

func TestUpdateValidation(t *testing.T) {
	t.Parallel()
	hours := func(tz, day, start, end string, holidays ...string) *schematype.WorkingHours {
		return &schematype.WorkingHours{Timezone: tz, Weekly: []schematype.WeeklyInterval{{Day: day, Start: start, End: end}}, Holidays: holidays}
	}
	tests := []struct {
		name  string
		in    channelcfg.Input
		field string
	}{
		{"secret in the wrong format", channelcfg.Input{Secrets: map[string]any{"token": "bad-2"}}, "secrets.token"},
		{"required secret removed", channelcfg.Input{Secrets: map[string]any{"token": nil}}, "secrets.token"},
		{"unknown setting", channelcfg.Input{Settings: map[string]any{"colour": "red"}}, "settings.colour"},
		{"setting of the wrong type", channelcfg.Input{Settings: map[string]any{"region": 7}}, "settings.region"},
		{"empty secret name", channelcfg.Input{Secrets: map[string]any{"": "x"}}, "secrets"},
		{"secret name too long", channelcfg.Input{Secrets: map[string]any{strings.Repeat("n", 65): "x"}}, "secrets"},
		{"secret too long", channelcfg.Input{Secrets: map[string]any{"token": strings.Repeat("x", 16<<10+1)}}, "secrets"},
		{"secret not a string", channelcfg.Input{Secrets: map[string]any{"other": true}}, "secrets"},
		{"unknown time zone", channelcfg.Input{WorkingHours: hours("Nowhere/City", "MONDAY", "09:00", "17:00")}, "workingHours.timezone"},
		{"unknown day", channelcfg.Input{WorkingHours: hours("Europe/Paris", "FUNDAY", "09:00", "17:00")}, "workingHours.weekly"},
		{"end before start", channelcfg.Input{WorkingHours: hours("Europe/Paris", "MONDAY", "17:00", "09:00")}, "workingHours.weekly"},
		{"empty interval", channelcfg.Input{WorkingHours: hours("Europe/Paris", "MONDAY", "09:00", "09:00")}, "workingHours.weekly"},
		{"not HH:MM", channelcfg.Input{WorkingHours: hours("Europe/Paris", "MONDAY", "9:00", "17:00")}, "workingHours.weekly"},
		{"past 24:00", channelcfg.Input{WorkingHours: hours("Europe/Paris", "MONDAY", "09:00", "24:01")}, "workingHours.weekly"},
		{"minutes past 59", channelcfg.Input{WorkingHours: hours("Europe/Paris", "MONDAY", "09:60", "17:00")}, "workingHours.weekly"},
		{"bad holiday", channelcfg.Input{WorkingHours: hours("Europe/Paris", "MONDAY", "09:00", "17:00", "2026-13-01")}, "workingHours.holidays"},
	}
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Settings: map[string]any{"region": "eu"}, Secrets: map[string]any{"token": token}})
	before := e.reload(t, ch.ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.update(t, ch.ID, tt.in)
			wantInvalid(t, err, tt.field)
			after := e.reload(t, ch.ID)
			if !bytes.Equal(after.Secrets, before.Secrets) || after.Settings["region"] != "eu" || after.WorkingHours != nil {
				t.Fatal("a refused update changed the channel")
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Secrets: map[string]any{"token": token}})
	key := e.stored(t, ch)["signingKey"]

	// Valid working hours (24:00 ends a day) and a name, without secrets.
	wh := &schematype.WorkingHours{Timezone: "Europe/Paris",
		Weekly: []schematype.WeeklyInterval{{Day: "MONDAY", Start: "00:00", End: "24:00"}}, Holidays: []string{"2026-12-25"}}
	ch, err := e.update(t, ch.ID, channelcfg.Input{Name: ptr("Renamed"), WorkingHours: wh, Priority: ptr(7)})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name != "Renamed" || ch.Priority != 7 || ch.WorkingHours == nil || ch.WorkingHours.Timezone != "Europe/Paris" {
		t.Fatalf("after update: name %q priority %d hours %+v", ch.Name, ch.Priority, ch.WorkingHours)
	}

	// Changing one secret keeps the others; removing one drops it.
	ch, err = e.update(t, ch.ID, channelcfg.Input{Secrets: map[string]any{"token": "tok-new-123", "extra": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	got := e.stored(t, e.reload(t, ch.ID))
	if got["token"] != "tok-new-123" || got["signingKey"] != key || got["extra"] != "x" {
		t.Fatalf("secrets after change = %v", got)
	}
	if !slices.Equal(ch.SecretFields, []string{"extra", "signingKey", "token"}) {
		t.Fatalf("SecretFields = %v", ch.SecretFields)
	}
	ch, err = e.update(t, ch.ID, channelcfg.Input{Secrets: map[string]any{"extra": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.stored(t, e.reload(t, ch.ID))["extra"]; ok || !slices.Equal(ch.SecretFields, []string{"signingKey", "token"}) {
		t.Fatalf("removed secret still there: fields %v", ch.SecretFields)
	}

	// Clearing working hours.
	ch, err = e.update(t, ch.ID, channelcfg.Input{ClearWorkingHours: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.reload(t, ch.ID).WorkingHours != nil {
		t.Fatal("working hours not cleared")
	}
}

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch := e.mustCreate(t, channelcfg.Input{Kind: fakeKind, Name: ptr("F"), Secrets: map[string]any{"token": token}})
	old := e.stored(t, ch)["signingKey"]

	var value string
	err := store.InTx(e.ctx, e.c, func(ctx context.Context) (err error) {
		ch, value, err = e.svc.RotateSecret(ctx, ch.ID, "signingKey")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(value) != 64 || value == old {
		t.Fatalf("rotated value %q (old %q): want a new 64-character value", value, old)
	}
	got := e.stored(t, e.reload(t, ch.ID))
	if got["signingKey"] != value || got["token"] != token {
		t.Fatalf("stored after rotation = %v, want signingKey %q and token kept", got, value)
	}
	if bytes.Contains(e.reload(t, ch.ID).Secrets, []byte(value)) {
		t.Fatal("rotated secret stored in clear")
	}

	// Only generated secrets rotate.
	for _, field := range []string{"token", "nope", ""} {
		err := store.InTx(e.ctx, e.c, func(ctx context.Context) error {
			_, _, err := e.svc.RotateSecret(ctx, ch.ID, field)
			return err
		})
		wantInvalid(t, err, "field")
	}
	if got := e.stored(t, e.reload(t, ch.ID)); got["token"] != token || got["signingKey"] != value {
		t.Fatalf("refused rotations changed secrets: %v", got)
	}
}
