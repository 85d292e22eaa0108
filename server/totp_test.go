package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/testenv"
)

// totpOn enables and confirms two-factor sign-in as token and returns the
// secret.
func totpOn(t *testing.T, s *testenv.Server, token string) string {
	t.Helper()
	var setup struct{ EnableTotp struct{ URI, Secret string } }
	s.MustDo(t, token, `mutation { enableTotp { uri secret } }`, nil, &setup)
	if !strings.HasPrefix(setup.EnableTotp.URI, "otpauth://totp/") || !strings.Contains(setup.EnableTotp.URI, setup.EnableTotp.Secret) {
		t.Fatalf("enableTotp returned %+v", setup.EnableTotp)
	}
	code := totpCode(t, setup.EnableTotp.Secret, 0)
	var out struct{ ConfirmTotp struct{ TotpEnabled bool } }
	s.MustDo(t, token, `mutation($c: String!) { confirmTotp(code: $c) { totpEnabled } }`, map[string]any{"c": code}, &out)
	if !out.ConfirmTotp.TotpEnabled {
		t.Fatal("confirmTotp left two-factor sign-in off")
	}
	return setup.EnableTotp.Secret
}

// totpCode is the code of secret steps 30-second steps from now.
func totpCode(t *testing.T, secret string, steps int) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wantOTPRefused checks a sign-in refused for its two-factor code.
func wantOTPRefused(t *testing.T, name string, r *testenv.Response) {
	t.Helper()
	if e := wantErr(t, r, http.StatusOK, "UNAUTHENTICATED"); e.Extensions["field"] != "otp" {
		t.Fatalf("%s: %+v, want extensions.field otp", name, e)
	}
}

// TestTwoFactorSignIn: once confirmed, sign-in needs a current code, once;
// a missing, wrong or reused code is refused as such (after a right
// password only); the secret is stored sealed; the agent turns it off with
// the password, an admin for a lost device.
func TestTwoFactorSignIn(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	eveID, eve := newAgent(t, s, admin, "eve@example.com", "AGENT")
	const email, password = "eve@example.com", "password-1"

	// Not on until confirmed with a right code.
	var setup struct{ EnableTotp struct{ Secret string } }
	s.MustDo(t, eve, `mutation { enableTotp { secret } }`, nil, &setup)
	signedIn(t, signInWith(t, s, email, password, nil))
	r := s.Do(t, eve, `mutation { confirmTotp(code: "abcdef") { id } }`, nil)
	if e := wantErr(t, r, http.StatusOK, "INVALID_INPUT"); e.Extensions["field"] != "code" {
		t.Fatalf("wrong confirmation code: %+v", e)
	}
	secret := totpOn(t, s, eve)
	wantErr(t, s.Do(t, eve, `mutation { enableTotp { secret } }`, nil), http.StatusOK, "CONFLICT")

	// Sealed at rest, and never logged.
	stored := s.App.Client.Agent.Query().Where(agent.Email(email)).OnlyX(testenv.System(context.Background()))
	if stored.TotpSecret == nil || bytes.Contains(*stored.TotpSecret, []byte(secret)) || strings.Contains(s.Logs.String(), secret) {
		t.Fatal("the TOTP secret is stored or logged in clear")
	}

	wantOTPRefused(t, "no code", signInWith(t, s, email, password, nil))
	wantOTPRefused(t, "empty code", signInWith(t, s, email, password, ""))
	wantOTPRefused(t, "wrong code", signInWith(t, s, email, password, "123456x"))
	next := totpCode(t, secret, 1) // a step the confirmation did not use
	if e := wantErr(t, signInWith(t, s, email, "wrong-password", next), http.StatusOK, "UNAUTHENTICATED"); e.Extensions["field"] != nil {
		t.Fatalf("a wrong password told about the code: %+v", e)
	}
	p := signedIn(t, signInWith(t, s, email, password, next))
	if !p.Agent.TotpEnabled {
		t.Fatal("Agent.totpEnabled is false")
	}
	wantOTPRefused(t, "reused code", signInWith(t, s, email, password, next))

	// The agent turns it off with the password.
	r = s.Do(t, p.Token, `mutation { disableTotp(password: "wrong-password") { id } }`, nil)
	wantErr(t, r, http.StatusOK, "INVALID_INPUT")
	var off struct{ DisableTotp struct{ TotpEnabled bool } }
	s.MustDo(t, p.Token, `mutation($p: String!) { disableTotp(password: $p) { totpEnabled } }`, map[string]any{"p": password}, &off)
	if off.DisableTotp.TotpEnabled {
		t.Fatal("disableTotp left it on")
	}
	signedIn(t, signInWith(t, s, email, password, nil))

	// An admin turns it off for a lost device; agents cannot.
	totpOn(t, s, p.Token)
	wantOTPRefused(t, "no code", signInWith(t, s, email, password, nil))
	const reset = `mutation($id: ID!) { resetAgentTotp(id: $id) { totpEnabled } }`
	wantErr(t, s.Do(t, p.Token, reset, map[string]any{"id": eveID}), http.StatusOK, "FORBIDDEN")
	var out struct{ ResetAgentTotp struct{ TotpEnabled bool } }
	s.MustDo(t, admin, reset, map[string]any{"id": eveID}, &out)
	if out.ResetAgentTotp.TotpEnabled {
		t.Fatal("resetAgentTotp left it on")
	}
	signedIn(t, signInWith(t, s, email, password, nil))
}

// TestWrongCodesAreThrottled: wrong two-factor codes after the right
// password slow the next sign-ins down as wrong passwords do.
func TestWrongCodesAreThrottled(t *testing.T) {
	s, clock := throttled(t)
	_, eve := newAgent(t, s, s.AdminToken(t), "eve@example.com", "AGENT")
	totpOn(t, s, eve)
	for i := range 4 {
		clock.Waits()
		wantOTPRefused(t, "wrong code", signInWith(t, s, "eve@example.com", "password-1", "abcdef"))
		if w := clock.Waits(); i == 3 && (len(w) != 1 || w[0] != time.Second) {
			t.Fatalf("fourth wrong code waited %v, want 1s", w)
		}
	}
}
