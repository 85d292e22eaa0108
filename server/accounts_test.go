package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

const (
	changePassword = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token mustChangePassword agent { mustChangePassword } } }`
	resetPassword  = `mutation($id: ID!) { resetAgentPassword(id: $id) { password agent { id mustChangePassword } } }`
	signInFull     = `mutation($e: String!, $p: String!, $o: String) { signIn(email: $e, password: $p, otp: $o) { token mustChangePassword agent { mustChangePassword totpEnabled } } }`
)

type authPayload struct {
	Token              string
	MustChangePassword bool
	Agent              struct {
		MustChangePassword bool
		TotpEnabled        bool
	}
}

// signInWith signs in with a password and an optional two-factor code.
func signInWith(t *testing.T, s *testenv.Server, email, password string, otp any) *testenv.Response {
	t.Helper()
	return s.Do(t, "", signInFull, map[string]any{"e": email, "p": password, "o": otp})
}

func signedIn(t *testing.T, r *testenv.Response) authPayload {
	t.Helper()
	var out struct{ SignIn authPayload }
	r.Decode(t, &out)
	return out.SignIn
}

// wantSignedOut checks that a session token no longer works.
func wantSignedOut(t *testing.T, s *testenv.Server, name, token string) {
	t.Helper()
	wantErr(t, s.Do(t, token, `{ viewer { id } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
	if _, err := s.DialWS(t, token, testenv.DialOptions{}); err == nil {
		t.Fatalf("%s: the old session opened a websocket", name)
	}
}

// TestChangePasswordEndsOtherSessions: changing the password ends every
// session of the agent, the one that changed it included, and closes its
// open websockets at once; the returned token and the new password work,
// the old password does not; other agents' sockets stay live.
func TestChangePasswordEndsOtherSessions(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{signalOnly})
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	_, eve := newAgent(t, s, admin, "eve@example.com", "AGENT")
	other := s.SignIn(t, "eve@example.com", "password-1")
	_, eveSub := subscribeAs(t, s, eve, testenv.DialOptions{})
	_, adminSub := subscribeAs(t, s, admin, testenv.DialOptions{})
	s.WaitSubscribers(t, 2)

	r := s.Do(t, eve, changePassword, map[string]any{"c": "wrong-password", "n": "password-2"})
	if e := wantErr(t, r, http.StatusOK, "INVALID_INPUT"); e.Extensions["field"] != "currentPassword" {
		t.Fatalf("wrong current password: %+v", e)
	}
	var out struct{ ChangePassword authPayload }
	s.MustDo(t, eve, changePassword, map[string]any{"c": "password-1", "n": "password-2"}, &out)
	if out.ChangePassword.Token == "" || out.ChangePassword.MustChangePassword {
		t.Fatalf("changePassword returned %+v", out.ChangePassword)
	}
	wantEnded(t, "eve's websocket", eveSub)
	wantLive(t, s, admin, conv, "after eve's change", map[string]*testenv.Subscription{"admin": adminSub})
	wantSignedOut(t, s, "the session that changed it", eve)
	wantSignedOut(t, s, "another session", other)

	fresh := out.ChangePassword.Token
	s.MustDo(t, fresh, `{ viewer { email } }`, nil, &struct{}{})
	_, again := subscribeAs(t, s, fresh, testenv.DialOptions{})
	s.WaitSubscribers(t, 2)
	wantLive(t, s, admin, conv, "after reconnecting", map[string]*testenv.Subscription{"eve": again})
	wantErr(t, signInWith(t, s, "eve@example.com", "password-1", nil), http.StatusOK, "UNAUTHENTICATED")
	s.SignIn(t, "eve@example.com", "password-2")

	// An API token acts for an agent but cannot change its password.
	token := newAPIToken(t, s, admin, "ADMIN")
	wantErr(t, s.Do(t, token, changePassword, map[string]any{"c": testenv.AdminPassword, "n": "password-3"}), http.StatusOK, "FORBIDDEN")
}

// TestChangePasswordIsThrottled: wrong current passwords slow the next
// attempts down as wrong sign-ins do.
func TestChangePasswordIsThrottled(t *testing.T) {
	s, clock := throttled(t)
	admin := s.AdminToken(t)
	var waits []time.Duration
	for range 4 {
		clock.Waits()
		r := s.Do(t, admin, changePassword, map[string]any{"c": "a-wrong-guess", "n": "password-2"})
		wantErr(t, r, http.StatusOK, "INVALID_INPUT")
		var wait time.Duration
		for _, w := range clock.Waits() {
			wait += w
		}
		waits = append(waits, wait)
	}
	if waits[2] != 0 || waits[3] != time.Second {
		t.Fatalf("waits %v, want three free attempts, then 1s", waits)
	}
}

// TestResetAgentPassword: an admin's reset gives a one-time password,
// shown once, and ends the agent's sessions and websockets; signed in with
// it, the agent may only read viewer and change the password; once changed,
// the one-time password no longer works and the new session may do
// everything.
func TestResetAgentPassword(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{signalOnly})
	admin := s.AdminToken(t)
	eveID, eve := newAgent(t, s, admin, "eve@example.com", "AGENT")
	_, sub := subscribeAs(t, s, eve, testenv.DialOptions{})
	s.WaitSubscribers(t, 1)

	wantErr(t, s.Do(t, eve, resetPassword, map[string]any{"id": eveID}), http.StatusOK, "FORBIDDEN")
	var out struct {
		ResetAgentPassword struct {
			Password string
			Agent    struct {
				ID                 string
				MustChangePassword bool
			}
		}
	}
	s.MustDo(t, admin, resetPassword, map[string]any{"id": eveID}, &out)
	reset := out.ResetAgentPassword
	if len(reset.Password) < 16 || reset.Agent.ID != eveID || !reset.Agent.MustChangePassword {
		t.Fatalf("resetAgentPassword returned %+v", reset)
	}
	if strings.Contains(s.Logs.String(), reset.Password) {
		t.Fatal("the one-time password reached the logs")
	}
	wantEnded(t, "eve's websocket", sub)
	wantSignedOut(t, s, "eve's session", eve)
	wantErr(t, signInWith(t, s, "eve@example.com", "password-1", nil), http.StatusOK, "UNAUTHENTICATED")

	p := signedIn(t, signInWith(t, s, "eve@example.com", reset.Password, nil))
	if !p.MustChangePassword || !p.Agent.MustChangePassword {
		t.Fatalf("signed in with the one-time password: %+v", p)
	}
	limited := p.Token
	s.MustDo(t, limited, `{ viewer { email } }`, nil, &struct{}{})
	wantErr(t, s.Do(t, limited, `{ conversations { totalCount } }`, nil), http.StatusOK, "FORBIDDEN")
	wantErr(t, s.Do(t, limited, `mutation { createCustomer(input: {name: "X"}) { id } }`, nil), http.StatusOK, "FORBIDDEN")
	ws, err := s.DialWS(t, limited, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := ws.Subscribe(messageAdded, nil).First(t); !containsCode(m.Payload, "FORBIDDEN") {
		t.Fatalf("subscription before the change: %s %s", m.Type, m.Payload)
	}
	r := s.Do(t, limited, changePassword, map[string]any{"c": reset.Password, "n": reset.Password})
	if e := wantErr(t, r, http.StatusOK, "INVALID_INPUT"); e.Extensions["field"] != "newPassword" {
		t.Fatalf("keeping the one-time password: %+v", e)
	}

	var changed struct{ ChangePassword authPayload }
	s.MustDo(t, limited, changePassword, map[string]any{"c": reset.Password, "n": "password-2"}, &changed)
	if changed.ChangePassword.MustChangePassword || changed.ChangePassword.Agent.MustChangePassword {
		t.Fatalf("still must change: %+v", changed.ChangePassword)
	}
	s.MustDo(t, changed.ChangePassword.Token, `{ conversations { totalCount } }`, nil, &struct{}{})
	wantSignedOut(t, s, "the one-time session", limited)
	wantErr(t, signInWith(t, s, "eve@example.com", reset.Password, nil), http.StatusOK, "UNAUTHENTICATED")

	// Another workspace's agent is not found.
	other := s.NewWorkspace(t, "Other", "other@example.com")
	wantErr(t, s.Do(t, other, resetPassword, map[string]any{"id": eveID}), http.StatusOK, "NOT_FOUND")
}

// TestReactivateAgent: a deactivated agent keeps its email (createAgent
// says to reactivate it) and, reactivated, signs in with its password.
func TestReactivateAgent(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	eveID, _ := newAgent(t, s, admin, "eve@example.com", "AGENT")
	s.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": eveID}, &struct{}{})
	wantErr(t, signInWith(t, s, "eve@example.com", "password-1", nil), http.StatusOK, "UNAUTHENTICATED")

	const create = `mutation($e: String!) { createAgent(input: {name: "E", email: $e, password: "password-9"}) { id } }`
	e := wantErr(t, s.Do(t, admin, create, map[string]any{"e": " EVE@example.com"}), http.StatusOK, "CONFLICT")
	if !strings.Contains(e.Message, "belongs to a deactivated agent; reactivate it") || e.Extensions["field"] != "email" {
		t.Fatalf("creating with a deactivated agent's email: %+v", e)
	}
	e = wantErr(t, s.Do(t, admin, create, map[string]any{"e": testenv.AdminEmail}), http.StatusOK, "CONFLICT")
	if !strings.Contains(e.Message, "already taken") {
		t.Fatalf("creating with an active agent's email: %+v", e)
	}

	const reactivate = `mutation($id: ID!) { reactivateAgent(id: $id) { id active } }`
	_, agentTok := newAgent(t, s, admin, "bea@example.com", "AGENT")
	wantErr(t, s.Do(t, agentTok, reactivate, map[string]any{"id": eveID}), http.StatusOK, "FORBIDDEN")
	var out struct{ ReactivateAgent struct{ Active bool } }
	s.MustDo(t, admin, reactivate, map[string]any{"id": eveID}, &out)
	if !out.ReactivateAgent.Active {
		t.Fatal("reactivateAgent left the agent inactive")
	}
	s.MustDo(t, s.SignIn(t, "eve@example.com", "password-1"), `{ conversations { totalCount } }`, nil, &struct{}{})
}
