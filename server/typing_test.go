package server_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

const typingSub = `subscription($c: ID!) { typing(conversationID: $c) { conversationID typing agent { id } customer { id } } }`

type typingEvent struct {
	Typing struct {
		ConversationID string
		Typing         bool
		Agent          *struct{ ID string }
		Customer       *struct{ ID string }
	}
}

func setTyping(t *testing.T, s *testenv.Server, tok, conv string, typing bool) {
	t.Helper()
	var out struct{ SetTyping bool }
	s.MustDo(t, tok, `mutation($c: ID!, $t: Boolean!) { setTyping(conversationID: $c, typing: $t) }`, map[string]any{"c": conv, "t": typing}, &out)
	if !out.SetTyping {
		t.Fatal("setTyping returned false")
	}
}

func nextTyping(t *testing.T, sub *testenv.Subscription, conv, agentID string, typing bool) {
	t.Helper()
	var ev typingEvent
	sub.Next(t, &ev)
	got := ev.Typing
	if got.ConversationID != conv || got.Agent == nil || got.Agent.ID != agentID || got.Customer != nil || got.Typing != typing {
		t.Fatalf("got %+v (agent %v), want agent %s typing=%v in %s", got, got.Agent, agentID, typing, conv)
	}
}

// TestTyping: typing=true reaches the conversation's subscribers and lapses
// by itself (typing=false) unless renewed; a renewal extends it; typing=false
// ends it at once; other conversations' subscribers see nothing.
func TestTyping(t *testing.T) {
	s := testenv.New(t, testenv.Presence(0, 0, 8*time.Second)) // room for a loaded machine between the steps below
	admin := s.AdminToken(t)
	beaID, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	var me struct{ Viewer struct{ ID string } }
	s.MustDo(t, admin, `{ viewer { id } }`, nil, &me)
	adminID := me.Viewer.ID
	conv, other := s.Conversation(t, admin), s.Conversation(t, admin)
	ws, err := s.DialWS(t, bea, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(typingSub, map[string]any{"c": conv})
	elsewhere := ws.Subscribe(typingSub, map[string]any{"c": other})
	s.WaitSignalSubscribers(t, 2)

	// The admin starts, then Bea, then the admin renews: with the renewal
	// extending the admin's typing, Bea's lapses first.
	setTyping(t, s, admin, conv, true)
	nextTyping(t, sub, conv, adminID, true)
	setTyping(t, s, bea, conv, true)
	nextTyping(t, sub, conv, beaID, true)
	setTyping(t, s, admin, conv, true)
	nextTyping(t, sub, conv, adminID, true)
	nextTyping(t, sub, conv, beaID, false)
	nextTyping(t, sub, conv, adminID, false)
	if n := s.App.Presence.Typing(); n != 0 {
		t.Fatalf("%d typing indicators still pending after they lapsed", n)
	}

	// typing=false ends it at once: nothing is left to lapse.
	setTyping(t, s, bea, conv, true)
	nextTyping(t, sub, conv, beaID, true)
	setTyping(t, s, bea, conv, false)
	nextTyping(t, sub, conv, beaID, false)
	if n := s.App.Presence.Typing(); n != 0 {
		t.Fatalf("%d typing indicators pending after typing=false", n)
	}

	// The other conversation's subscriber saw none of it: its first event
	// is its own.
	setTyping(t, s, admin, other, false)
	nextTyping(t, elsewhere, other, adminID, false)
}
