package server_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// These tests turn the periodic credential re-check off in practice (once
// an hour): only the credentials signal can end a subscription in time.
var signalOnly = testenv.CredentialRecheck(time.Hour)

// subscribeAs opens a websocket with cred and subscribes to every message
// of its workspace.
func subscribeAs(t *testing.T, s *testenv.Server, cred string, o testenv.DialOptions) (*testenv.WS, *testenv.Subscription) {
	t.Helper()
	ws, err := s.DialWS(t, cred, o)
	if err != nil {
		t.Fatal(err)
	}
	return ws, ws.Subscribe(messageAdded, nil)
}

// wantEnded waits for sub to end with an UNAUTHENTICATED error.
func wantEnded(t *testing.T, name string, sub *testenv.Subscription) {
	t.Helper()
	if m := sub.First(t); m.Type != "error" || !containsCode(m.Payload, "UNAUTHENTICATED") {
		t.Fatalf("%s: got %s %s, want an UNAUTHENTICATED error", name, m.Type, m.Payload)
	}
}

// wantLive checks that every sub still receives what is sent now.
func wantLive(t *testing.T, s *testenv.Server, token, conv, body string, subs map[string]*testenv.Subscription) {
	t.Helper()
	s.Send(t, token, conv, body)
	for name, sub := range subs {
		var ev messageEvent
		sub.Next(t, &ev)
		if ev.MessageAdded.Message.Body != body {
			t.Fatalf("%s got %q, want %q", name, ev.MessageAdded.Message.Body, body)
		}
	}
}

func apiToken(t *testing.T, s *testenv.Server, creator string) (id, secret string) {
	t.Helper()
	var out struct {
		CreateApiToken struct {
			Token    string
			ApiToken struct{ ID string }
		}
	}
	s.MustDo(t, creator, `mutation { createApiToken(input: {name: "bot", scopes: [READ]}) { token apiToken { id } } }`, nil, &out)
	return out.CreateApiToken.ApiToken.ID, out.CreateApiToken.Token
}

// TestRevokeTokenEndsItsSocketsAtOnce: revoking an API token ends the
// subscriptions of its open websockets at once; another token's and an
// agent's stay live.
func TestRevokeTokenEndsItsSocketsAtOnce(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{signalOnly})
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	revokedID, revoked := apiToken(t, s, admin)
	_, kept := apiToken(t, s, admin)
	_, gone1 := subscribeAs(t, s, revoked, testenv.DialOptions{})
	_, gone2 := subscribeAs(t, s, revoked, testenv.DialOptions{Subprotocol: "graphql-ws"})
	_, other := subscribeAs(t, s, kept, testenv.DialOptions{})
	_, agent := subscribeAs(t, s, admin, testenv.DialOptions{})
	s.WaitSubscribers(t, 4)

	s.MustDo(t, admin, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": revokedID}, &struct{}{})
	wantEnded(t, "revoked token", gone1)
	wantEnded(t, "revoked token (graphql-ws)", gone2)
	wantLive(t, s, admin, conv, "after the revocation", map[string]*testenv.Subscription{"other token": other, "agent": agent})
	// Revoking again changes nothing and signals nothing.
	s.MustDo(t, admin, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": revokedID}, &struct{}{})
	wantLive(t, s, admin, conv, "after revoking twice", map[string]*testenv.Subscription{"other token": other, "agent": agent})
	// The revoked sockets, still open, left the registry; the others stay.
	s.WaitSockets(t, 2)
}

// TestDeactivateAgentEndsItsSockets: deactivating an agent ends the
// subscriptions of the agent's websockets and of the agent's API tokens'
// at once; the admin's stay live.
func TestDeactivateAgentEndsItsSockets(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{signalOnly})
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	eveID, eve := newAgent(t, s, admin, "eve@example.com", "ADMIN")
	_, eveToken := apiToken(t, s, eve)
	_, session := subscribeAs(t, s, eve, testenv.DialOptions{})
	_, token := subscribeAs(t, s, eveToken, testenv.DialOptions{})
	_, kept := subscribeAs(t, s, admin, testenv.DialOptions{})
	s.WaitSubscribers(t, 3)

	s.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": eveID}, &struct{}{})
	wantEnded(t, "deactivated agent", session)
	wantEnded(t, "deactivated agent's token", token)
	wantLive(t, s, admin, conv, "after the deactivation", map[string]*testenv.Subscription{"admin": kept})
	if _, err := s.DialWS(t, eve, testenv.DialOptions{}); err == nil {
		t.Fatal("a deactivated agent opened a websocket")
	}
}

// TestDemotionEndsSockets: demoting an admin ends the subscriptions of the
// admin's websockets and of the admin's tokens' at once (they reconnect
// with the lower role); promoting an agent or renaming one ends nothing.
func TestDemotionEndsSockets(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{signalOnly})
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	eveID, eve := newAgent(t, s, admin, "eve@example.com", "ADMIN")
	_, eveToken := apiToken(t, s, eve)
	beaID, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	_, session := subscribeAs(t, s, eve, testenv.DialOptions{})
	_, token := subscribeAs(t, s, eveToken, testenv.DialOptions{})
	_, promoted := subscribeAs(t, s, bea, testenv.DialOptions{})
	s.WaitSubscribers(t, 3)

	const update = `mutation($id: ID!, $in: UpdateAgentInput!) { updateAgent(id: $id, input: $in) { id } }`
	s.MustDo(t, admin, update, map[string]any{"id": beaID, "in": map[string]any{"role": "SUPERVISOR", "name": "Bea"}}, &struct{}{})
	s.MustDo(t, admin, update, map[string]any{"id": eveID, "in": map[string]any{"name": "Eve"}}, &struct{}{})
	wantLive(t, s, admin, conv, "after a promotion and a rename", map[string]*testenv.Subscription{"eve": session, "eve's token": token, "bea": promoted})

	s.MustDo(t, admin, update, map[string]any{"id": eveID, "in": map[string]any{"role": "AGENT"}}, &struct{}{})
	wantEnded(t, "demoted admin", session)
	wantEnded(t, "demoted admin's token", token)
	wantLive(t, s, admin, conv, "after the demotion", map[string]*testenv.Subscription{"bea": promoted})
	// Reconnected, the demoted agent subscribes with the lower role.
	_, again := subscribeAs(t, s, eve, testenv.DialOptions{})
	s.WaitSubscribers(t, 2)
	wantLive(t, s, admin, conv, "after reconnecting", map[string]*testenv.Subscription{"eve again": again})
}

// TestDisabledChannelEndsVisitorSockets: disabling a web chat channel ends
// its website visitors' subscriptions at once.
func TestDisabledChannelEndsVisitorSockets(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{signalOnly})
	admin := s.AdminToken(t)
	id, key := webChannel(t, s, admin)
	v := startVisitor(t, s, "", key, nil)
	ws, err := s.DialWS(t, v.Token, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(`subscription { visitorMessageAdded { message { body } } }`, nil)
	s.WaitSubscribers(t, 1)
	s.MustDo(t, admin, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { id } }`, map[string]any{"id": id}, &struct{}{})
	wantEnded(t, "visitor on a disabled channel", sub)
}

// TestRevocationReachesOtherInstances: a token revoked, or an agent
// deactivated, on instance A loses its websockets on instance B at once.
func TestRevocationReachesOtherInstances(t *testing.T) {
	a, b := twoInstances(t, signalOnly)
	admin := a.AdminToken(t)
	conv := a.Conversation(t, admin)
	tokenID, token := apiToken(t, a, admin)
	eveID, eve := newAgent(t, a, admin, "eve@example.com", "AGENT")
	_, onB := subscribeAs(t, b, token, testenv.DialOptions{})
	_, eveOnB := subscribeAs(t, b, eve, testenv.DialOptions{})
	_, kept := subscribeAs(t, b, admin, testenv.DialOptions{})
	b.WaitSubscribers(t, 3)

	a.MustDo(t, admin, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": tokenID}, &struct{}{})
	wantEnded(t, "token revoked on A, socket on B", onB)
	a.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": eveID}, &struct{}{})
	wantEnded(t, "agent deactivated on A, socket on B", eveOnB)
	wantLive(t, a, admin, conv, "after both", map[string]*testenv.Subscription{"admin on B": kept})
}
