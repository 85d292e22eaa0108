package server_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestEventCause: every pushed event says what caused it: an agent's
// reply names the agent, a customer's message through a webhook names the
// channel, an integrator's call names its API token.
func TestEventCause(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	ch := createAPIChannel(t, s, admin, "")
	var me struct{ Viewer struct{ ID string } }
	s.MustDo(t, admin, `{ viewer { id } }`, nil, &me)
	var tok struct {
		CreateApiToken struct {
			Token    string
			ApiToken struct{ ID string }
		}
	}
	s.MustDo(t, admin, `mutation { createApiToken(input: {name: "crm", scopes: [WRITE]}) { token apiToken { id } } }`, nil, &tok)

	ws, err := s.DialWS(t, admin, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(`subscription { messageAdded { cause { kind id } message { body conversation { id } } } }`, nil)
	s.WaitSubscribers(t, 1)

	type event struct {
		MessageAdded struct {
			Cause   struct{ Kind, ID string }
			Message struct {
				Body         string
				Conversation struct{ ID string }
			}
		}
	}
	next := func(wantBody, wantKind, wantID string) event {
		t.Helper()
		var ev event
		sub.Next(t, &ev)
		got := ev.MessageAdded
		if got.Message.Body != wantBody || got.Cause.Kind != wantKind || got.Cause.ID != wantID {
			t.Fatalf("event %+v, want %q caused by %s %q", got, wantBody, wantKind, wantID)
		}
		return ev
	}
	if code, _ := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload("m1", "cust-1", "hello")); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	conv := next("hello", "CHANNEL", ch.ID).MessageAdded.Message.Conversation.ID
	s.Send(t, admin, conv, "hi from the console")
	next("hi from the console", "AGENT", me.Viewer.ID)
	s.Send(t, tok.CreateApiToken.Token, conv, "hi from the CRM")
	next("hi from the CRM", "API_TOKEN", tok.CreateApiToken.ApiToken.ID)
}
