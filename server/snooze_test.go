package server_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestSnoozeWakesAfterRestart: a snoozed conversation wakes at its time
// even when the instance that snoozed it is gone: a new server on the same
// database opens it, with SNOOZED (until when) and WOKEN steps on the
// customer's timeline and a conversationChanged event, once.
func TestSnoozeWakesAfterRestart(t *testing.T) {
	db := testenv.OpenDB(t)
	first := testenv.NewOn(t, db)
	tok := first.AdminToken(t)
	conv := first.Conversation(t, tok)
	due := time.Now().Add(2 * time.Second)
	until := due.UTC().Format(time.RFC3339Nano)
	var snoozed struct {
		SetConversationStatus struct{ Status string }
	}
	first.MustDo(t, tok, `mutation($c: ID!, $u: Time!) { setConversationStatus(id: $c, status: SNOOZED, snoozedUntil: $u) { status } }`,
		map[string]any{"c": conv, "u": until}, &snoozed)
	if snoozed.SetConversationStatus.Status != "SNOOZED" {
		t.Fatalf("snoozed: %+v", snoozed)
	}
	// The first instance goes away before the time comes.
	first.StopWorkers()
	first.Close()

	second := testenv.NewOn(t, testenv.Reopen(t, db), testenv.SameSecrets(first))
	ws, err := second.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changes := ws.Subscribe(`subscription { conversationChanged { type conversation { id status snoozedUntil } } }`, nil)
	second.WaitSubscribers(t, 1)
	var ev struct {
		ConversationChanged struct {
			Type         string
			Conversation struct {
				ID, Status   string
				SnoozedUntil *string
			}
		}
	}
	changes.Next(t, &ev)
	if c := ev.ConversationChanged.Conversation; c.ID != conv || c.Status != "OPEN" || c.SnoozedUntil != nil {
		t.Fatalf("event after the snooze time: %+v", ev)
	}
	if time.Now().Before(due) {
		t.Fatalf("woken %s before its time", due.Sub(time.Now()))
	}
	if ev.ConversationChanged.Type != "STATUS_CHANGED" {
		t.Errorf("event type %s, want STATUS_CHANGED", ev.ConversationChanged.Type)
	}

	var page struct {
		Node struct {
			Customer struct {
				Timeline struct {
					Edges []struct {
						Node struct {
							ActivityKind string
							Note         *string
							Actor        *struct{ ID string }
						}
					}
				}
			}
		}
	}
	second.MustDo(t, tok, `query($c: ID!) { node(id: $c) { ... on Conversation { customer { timeline(first: 100) { edges { node {
		... on ConversationActivity { activityKind note actor { id } } } } } } } } }`, map[string]any{"c": conv}, &page)
	woken, snoozedSteps := 0, 0
	for _, e := range page.Node.Customer.Timeline.Edges {
		if e.Node.ActivityKind == "SNOOZED" {
			snoozedSteps++
			if e.Node.Note == nil || *e.Node.Note != due.UTC().Format(time.RFC3339) {
				t.Errorf("the SNOOZED step's note is %v, want the time %s", e.Node.Note, due.UTC().Format(time.RFC3339))
			}
		}
		if e.Node.ActivityKind == "WOKEN" {
			woken++
			if e.Node.Actor != nil {
				t.Errorf("Switchboard woke the conversation, yet the actor is %+v", e.Node.Actor)
			}
		}
	}
	if woken != 1 || snoozedSteps != 1 {
		t.Fatalf("%d SNOOZED and %d WOKEN steps on the timeline, want 1 of each: %+v", snoozedSteps, woken, page)
	}
}
