package server_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

const agentStatusChanged = `subscription { agentStatusChanged { status agent { id status } } }`

type statusEvent struct {
	AgentStatusChanged struct {
		Status string
		Agent  struct{ ID, Status string }
	}
}

// fastPresence: agents without a live connection go OFFLINE after 1 s;
// instances heartbeat and sweep every 50 ms.
var fastPresence = testenv.Presence(time.Second, 50*time.Millisecond, 0)

// sweepsPastGrace is enough heartbeat-and-sweep rounds for the grace to
// have passed (25 × 50 ms > 1 s).
const sweepsPastGrace = 25

func setStatus(t *testing.T, s *testenv.Server, tok, status string) {
	t.Helper()
	var out struct{ SetAgentStatus struct{ ID, Status string } }
	s.MustDo(t, tok, `mutation($s: AgentStatus!) { setAgentStatus(status: $s) { id status } }`, map[string]any{"s": status}, &out)
	if out.SetAgentStatus.Status != status {
		t.Fatalf("setAgentStatus returned %+v", out.SetAgentStatus)
	}
}

func statusOf(t *testing.T, s *testenv.Server, tok, agentID string) string {
	t.Helper()
	var out struct{ Node struct{ Status string } }
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Agent { status } } }`, map[string]any{"id": agentID}, &out)
	return out.Node.Status
}

func nextStatus(t *testing.T, sub *testenv.Subscription, agentID, status string) {
	t.Helper()
	var ev statusEvent
	sub.Next(t, &ev)
	if got := ev.AgentStatusChanged; got.Agent.ID != agentID || got.Status != status {
		t.Fatalf("got %+v, want agent %s %s", got, agentID, status)
	}
}

func subscribeStatus(t *testing.T, s *testenv.Server, tok string, subscribers int) *testenv.Subscription {
	t.Helper()
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(agentStatusChanged, nil)
	s.WaitSignalSubscribers(t, subscribers)
	return sub
}

// TestAgentStatusEvents: an agent's status changes reach another agent's
// subscriber, and the agent's own.
func TestAgentStatusEvents(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	beaID, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	theirs := subscribeStatus(t, s, admin, 1)
	own := subscribeStatus(t, s, bea, 2)
	for _, status := range []string{"ONLINE", "AWAY"} {
		setStatus(t, s, bea, status)
		nextStatus(t, theirs, beaID, status)
		nextStatus(t, own, beaID, status)
		if got := statusOf(t, s, admin, beaID); got != status {
			t.Fatalf("status = %s, want %s", got, status)
		}
	}
	// Signals follow the commit, in the order of the changes, and a change
	// rolled back with its operation signals nothing.
	s.MustDo(t, bea, `mutation { a: setAgentStatus(status: ONLINE) { id } b: setAgentStatus(status: AWAY) { id } }`, nil, &struct{}{})
	nextStatus(t, theirs, beaID, "ONLINE")
	nextStatus(t, theirs, beaID, "AWAY")
	missing := fakeID(s.Conversation(t, admin))
	r := s.Do(t, bea, `mutation($c: ID!) { setAgentStatus(status: ONLINE) { id } markConversationRead(id: $c) { id } }`, map[string]any{"c": missing})
	if len(r.Errors) == 0 {
		t.Fatal("markConversationRead of a missing conversation succeeded")
	}
	if got := statusOf(t, s, admin, beaID); got != "AWAY" {
		t.Fatalf("after the rollback, status = %s", got)
	}
	setStatus(t, s, bea, "OFFLINE")
	nextStatus(t, theirs, beaID, "OFFLINE")

	if r := s.Do(t, admin, `mutation { setAgentStatus(status: BUSY) { id } }`, nil); r.Status != 422 {
		t.Fatalf("unknown status: %d %+v", r.Status, r.Errors)
	}
}

// TestOfflineAfterLastConnectionCloses: an agent stays ONLINE while a
// websocket is open however long it lasts, and goes OFFLINE after the grace
// once the last one closes; watchers get the event.
func TestOfflineAfterLastConnectionCloses(t *testing.T) {
	s := testenv.New(t, fastPresence)
	admin := s.AdminToken(t)
	beaID, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	watch := subscribeStatus(t, s, admin, 1)
	first, err := s.DialWS(t, bea, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.DialWS(t, bea, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.WaitConnected(t, beaID, 2)
	setStatus(t, s, bea, "ONLINE")
	nextStatus(t, watch, beaID, "ONLINE")

	s.WaitSweeps(t, sweepsPastGrace)
	first.Close()
	s.WaitConnected(t, beaID, 1)
	s.WaitSweeps(t, sweepsPastGrace)
	if got := statusOf(t, s, admin, beaID); got != "ONLINE" {
		t.Fatalf("with a connection open, status = %s", got)
	}

	second.Close()
	s.WaitConnected(t, beaID, 0)
	nextStatus(t, watch, beaID, "OFFLINE")
	if got := statusOf(t, s, admin, beaID); got != "OFFLINE" {
		t.Fatalf("status = %s, want OFFLINE", got)
	}
	// An agent who never connects goes OFFLINE too, a grace after setting
	// a status.
	setStatus(t, s, bea, "AWAY")
	nextStatus(t, watch, beaID, "AWAY")
	nextStatus(t, watch, beaID, "OFFLINE")
}

// presenceInstances starts two instances on one PostgreSQL database with
// fast presence.
func presenceInstances(t *testing.T) (a, b *testenv.Server) {
	db := testenv.OpenDB(t)
	if db.URL == "" {
		t.Skip("several instances need PostgreSQL (SWITCHBOARD_TEST_DATABASE_URL)")
	}
	a = testenv.NewOn(t, db, fastPresence)
	b = testenv.NewOn(t, testenv.Reopen(t, db), testenv.SameSecrets(a), fastPresence)
	return a, b
}

// TestPresenceAcrossInstances: a subscriber on A sees a status set on B.
func TestPresenceAcrossInstances(t *testing.T) {
	a, b := presenceInstances(t)
	admin := a.AdminToken(t)
	beaID, bea := newAgent(t, a, admin, "bea@example.com", "AGENT")
	watch := subscribeStatus(t, a, admin, 1)
	if _, err := b.DialWS(t, bea, testenv.DialOptions{}); err != nil {
		t.Fatal(err)
	}
	setStatus(t, b, bea, "ONLINE")
	nextStatus(t, watch, beaID, "ONLINE")
	setStatus(t, b, bea, "AWAY")
	nextStatus(t, watch, beaID, "AWAY")
}

// TestCrashedInstanceAgentsGoOffline: B stops heartbeating (its workers
// stop, its sockets stay open); A's sweeper turns B's agent OFFLINE after
// the grace, while B's presence rows had kept the agent ONLINE before.
func TestCrashedInstanceAgentsGoOffline(t *testing.T) {
	a, b := presenceInstances(t)
	admin := a.AdminToken(t)
	beaID, bea := newAgent(t, a, admin, "bea@example.com", "AGENT")
	watch := subscribeStatus(t, a, admin, 1)
	if _, err := b.DialWS(t, bea, testenv.DialOptions{}); err != nil {
		t.Fatal(err)
	}
	setStatus(t, b, bea, "ONLINE")
	nextStatus(t, watch, beaID, "ONLINE")
	a.WaitSweeps(t, sweepsPastGrace)
	if got := statusOf(t, a, admin, beaID); got != "ONLINE" {
		t.Fatalf("while B heartbeats, status = %s", got)
	}

	b.StopWorkers()
	nextStatus(t, watch, beaID, "OFFLINE")
	if n := b.App.Presence.Connections(gid.ID(beaID)); n != 1 {
		t.Fatalf("B holds %d connections of the agent, want its socket still open", n)
	}
	if got := statusOf(t, a, admin, beaID); got != "OFFLINE" {
		t.Fatalf("status = %s, want OFFLINE", got)
	}
}

// TestPresenceIsolation: another workspace's subscribers get no presence
// or typing signals.
func TestPresenceIsolation(t *testing.T) {
	s := testenv.New(t)
	a := s.AdminToken(t)
	b := s.NewWorkspace(t, "other", "other@example.com")
	convA, convB := s.Conversation(t, a), s.Conversation(t, b)
	var me struct{ Viewer struct{ ID string } }
	s.MustDo(t, b, `{ viewer { id } }`, nil, &me)
	ws, err := s.DialWS(t, b, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	statuses := ws.Subscribe(agentStatusChanged, nil)
	typing := ws.Subscribe(typingSub, map[string]any{"c": convB})
	s.WaitSignalSubscribers(t, 2)

	setStatus(t, s, a, "ONLINE")
	setTyping(t, s, a, convA, true)
	// B's own signals come next, so A's would have come first.
	setStatus(t, s, b, "AWAY")
	setTyping(t, s, b, convB, true)
	nextStatus(t, statuses, me.Viewer.ID, "AWAY")
	nextTyping(t, typing, convB, me.Viewer.ID, true)

	// A's conversation is NOT_FOUND for B, to subscribe to or to type in.
	sub := ws.Subscribe(typingSub, map[string]any{"c": convA})
	select {
	case m := <-sub.C:
		if !containsCode(m.Payload, "NOT_FOUND") {
			t.Fatalf("typing on a foreign conversation: %s %s", m.Type, m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	r := s.Do(t, b, `mutation($c: ID!) { setTyping(conversationID: $c, typing: true) }`, map[string]any{"c": convA})
	wantErr(t, r, 200, "NOT_FOUND")
}
