package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// throttled starts a server whose sign-in and sign-up throttling runs on a
// fake clock: waits are recorded, never slept.
func throttled(t *testing.T, opts ...testenv.Option) (*testenv.Server, *testenv.Clock) {
	clock := testenv.NewClock()
	return testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{testenv.AuthClock(clock)}, opts...), clock
}

// signInAt signs in from the client address addr and returns the answer
// and how long the server waited before checking the password.
func signInAt(t *testing.T, s *testenv.Server, clock *testenv.Clock, addr, email, password string) (*testenv.Response, time.Duration) {
	t.Helper()
	clock.Waits()
	r := s.DoAt(t, addr, "", `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`,
		map[string]any{"e": email, "p": password})
	var wait time.Duration
	for _, w := range clock.Waits() {
		wait += w
	}
	return r, wait
}

// retryAfter returns a RATE_LIMITED answer's extensions.retryAfter.
func retryAfter(t *testing.T, r *testenv.Response) time.Duration {
	t.Helper()
	e := wantErr(t, r, http.StatusOK, "RATE_LIMITED")
	secs, ok := e.Extensions["retryAfter"].(float64)
	if !ok || secs < 1 {
		t.Fatalf("RATE_LIMITED without retryAfter: %+v", e)
	}
	return time.Duration(secs) * time.Second
}

// TestSignInSlowsDownInsteadOfLockingOut: wrong passwords from one address
// make that address wait longer and longer; however many come from
// elsewhere, the owner at an address of their own gets in after 2s at
// most.
func TestSignInSlowsDownInsteadOfLockingOut(t *testing.T) {
	s, clock := throttled(t)
	newAgent(t, s, s.AdminToken(t), "victim@example.com", "AGENT")
	const attacker, owner = "127.0.0.2", "127.0.0.3"

	var waits []time.Duration
	for i := range 6 {
		r, wait := signInAt(t, s, clock, attacker, "victim@example.com", fmt.Sprint("guess-", i))
		wantErr(t, r, http.StatusOK, "UNAUTHENTICATED")
		waits = append(waits, wait)
	}
	if want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(waits, want) {
		t.Fatalf("attacker's waits %v, want %v", waits, want)
	}
	// The next turn is 8s away: refused with the time to come back, even
	// with the right password, and without checking it.
	r, wait := signInAt(t, s, clock, attacker, "victim@example.com", "password-1")
	if got := retryAfter(t, r); got != 8*time.Second || wait != 0 {
		t.Fatalf("attacker's seventh attempt: retry after %v, waited %v", got, wait)
	}
	clock.Advance(8 * time.Second)
	r, wait = signInAt(t, s, clock, attacker, "victim@example.com", "guess-7")
	if wantErr(t, r, http.StatusOK, "UNAUTHENTICATED"); wait != 0 {
		t.Fatalf("attacker back on time waited %v", wait)
	}
	r, _ = signInAt(t, s, clock, attacker, "victim@example.com", "guess-8")
	if got := retryAfter(t, r); got != 16*time.Second {
		t.Fatalf("attacker's next retry after %v, want 16s", got)
	}

	// Forty more addresses, three guesses each.
	for i := range 40 {
		for j := range 3 {
			r, _ := signInAt(t, s, clock, fmt.Sprintf("127.0.1.%d", i+1), "victim@example.com", fmt.Sprint("spread-", j))
			wantErr(t, r, http.StatusOK, "UNAUTHENTICATED")
		}
	}

	r, wait = signInAt(t, s, clock, owner, "victim@example.com", "password-1")
	var out struct{ SignIn struct{ Token string } }
	r.Decode(t, &out)
	if wait <= 0 || wait > 2*time.Second {
		t.Fatalf("owner waited %v, want a short wait of at most 2s", wait)
	}
	var v struct{ Viewer struct{ Email string } }
	s.MustDo(t, out.SignIn.Token, `{ viewer { email } }`, nil, &v)
	if v.Viewer.Email != "victim@example.com" {
		t.Fatalf("owner's session is %+v", v)
	}
}

// TestSignInSuccessResets: a success forgets the failures of its address,
// however the email was spelled.
func TestSignInSuccessResets(t *testing.T) {
	s, clock := throttled(t)
	const addr = "127.0.0.4"
	spellings := []string{testenv.AdminEmail, " ADMIN@example.com", "Admin@Example.COM "}
	var waits []time.Duration
	for i := range 5 {
		r, wait := signInAt(t, s, clock, addr, spellings[i%3], "typo")
		wantErr(t, r, http.StatusOK, "UNAUTHENTICATED")
		waits = append(waits, wait)
	}
	r, wait := signInAt(t, s, clock, addr, testenv.AdminEmail, testenv.AdminPassword)
	r.Decode(t, &struct{}{})
	if want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second}; !slices.Equal(waits, want) || wait != 4*time.Second {
		t.Fatalf("waits %v then %v, want %v then 4s", waits, wait, want)
	}
	for range 3 {
		r, wait := signInAt(t, s, clock, addr, testenv.AdminEmail, "typo")
		if wantErr(t, r, http.StatusOK, "UNAUTHENTICATED"); wait != 0 {
			t.Fatalf("typo after a success waited %v", wait)
		}
	}
}

// TestSignInUnknownEmailLooksKnown: the same attempts at an unknown email,
// at a known one and at a deactivated agent (with its right password) get
// the same answers after the same waits.
func TestSignInUnknownEmailLooksKnown(t *testing.T) {
	s, clock := throttled(t)
	admin := s.AdminToken(t)
	newAgent(t, s, admin, "known@example.com", "AGENT")
	leftID, _ := newAgent(t, s, admin, "left@example.com", "AGENT")
	s.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": leftID}, &struct{}{})

	seen := func(addr, email, password string) []string {
		var out []string
		for range 8 {
			r, wait := signInAt(t, s, clock, addr, email, password)
			out = append(out, fmt.Sprintf("%d %s %+v waited %v", r.Status, r.Data, r.Errors, wait))
		}
		return out
	}
	unknown := seen("127.0.0.5", "nobody@example.com", "password-1")
	if !strings.Contains(unknown[len(unknown)-1], "RATE_LIMITED") {
		t.Fatalf("the attempts never reached a refusal: %v", unknown)
	}
	for _, c := range [][3]string{{"127.0.0.6", "known@example.com", "password-2"}, {"127.0.0.7", "left@example.com", "password-1"}} {
		if got := seen(c[0], c[1], c[2]); !slices.Equal(got, unknown) {
			t.Fatalf("%s:\n%s\nunknown email:\n%s", c[1], strings.Join(got, "\n"), strings.Join(unknown, "\n"))
		}
	}
}

// TestSignUpLimitedPerAddress: five sign-up attempts an hour per address,
// whatever their outcome; other addresses are not affected.
func TestSignUpLimitedPerAddress(t *testing.T) {
	s, clock := throttled(t, testenv.SignupOpen)
	const q = `mutation($in: SignUpInput!) { signUp(input: $in) { token } }`
	signUp := func(addr, email string) *testenv.Response {
		return s.DoAt(t, addr, "", q, map[string]any{"in": map[string]any{
			"workspaceName": "Acme", "name": "Founder", "email": email, "password": "password-1",
		}})
	}
	for i := range 4 {
		signUp("127.0.0.2", fmt.Sprintf("founder%d@acme.test", i)).Decode(t, &struct{}{})
		clock.Advance(time.Minute)
	}
	wantErr(t, signUp("127.0.0.2", testenv.AdminEmail), http.StatusOK, "CONFLICT")
	r := signUp("127.0.0.2", "late@acme.test")
	if got := retryAfter(t, r); got != 56*time.Minute || !strings.Contains(r.Errors[0].Message, "sign-ups") {
		t.Fatalf("sixth sign-up: retry after %v, %q", got, r.Errors[0].Message)
	}
	signUp("127.0.0.3", "other@acme.test").Decode(t, &struct{}{})
	clock.Advance(56 * time.Minute)
	signUp("127.0.0.2", "late@acme.test").Decode(t, &struct{}{})
	if n := countOf(t, s, s.SignIn(t, "late@acme.test", "password-1"), "agents"); n != 1 {
		t.Fatalf("new workspace has %d agents", n)
	}
}
