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

	// The admin starts, then Bea; half a timeout later the admin renews.
	// Both lapse, in either order (two lapses a few milliseconds apart may
	// reach the broker either way round), but the admin's no sooner than a
	// whole timeout after the renewal: the renewal replaced the first lapse.
	ttl := s.Config.TypingTimeout
	setTyping(t, s, admin, conv, true)
	nextTyping(t, sub, conv, adminID, true)
	setTyping(t, s, bea, conv, true)
	nextTyping(t, sub, conv, beaID, true)
	time.Sleep(ttl / 2) // not a wait for anything: half the timeout must pass before the renewal
	renewed := time.Now()
	setTyping(t, s, admin, conv, true)
	nextTyping(t, sub, conv, adminID, true)
	lapsed := map[string]time.Time{}
	for range 2 {
		var ev typingEvent
		sub.Next(t, &ev)
		if got := ev.Typing; got.ConversationID != conv || got.Agent == nil || got.Typing || got.Customer != nil {
			t.Fatalf("got %+v, want a lapse (typing=false) of an agent in %s", got, conv)
		}
		lapsed[ev.Typing.Agent.ID] = time.Now()
	}
	if _, ok := lapsed[beaID]; !ok || len(lapsed) != 2 {
		t.Fatalf("lapses of %v, want the admin's and Bea's", lapsed)
	}
	if at := lapsed[adminID]; at.Before(renewed.Add(ttl)) {
		t.Fatalf("the admin's typing lapsed %v after the renewal, before the %v timeout: the renewal did not replace the first lapse", at.Sub(renewed), ttl)
	}
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
