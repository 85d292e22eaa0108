package server_test

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

type replyState struct {
	CanReply           bool
	ReplyBlockedReason *string
}

func replyOf(t *testing.T, s *testenv.Server, tok, conv string) replyState {
	t.Helper()
	var out struct{ Node replyState }
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { canReply replyBlockedReason } } }`, map[string]any{"id": conv}, &out)
	return out.Node
}

// wantConflict fails unless r is one CONFLICT error naming reason.
func wantConflict(t *testing.T, r *testenv.Response, reason string) {
	t.Helper()
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "CONFLICT" || !strings.Contains(r.Errors[0].Message, reason) {
		t.Fatalf("want CONFLICT naming %s, got %+v", reason, r.Errors)
	}
}

const startQ = `mutation($cu: ID!, $ch: ID!) { startConversation(input: {customerID: $cu, channelID: $ch, body: "hello"}) { id canReply replyBlockedReason } }`

// TestReplyEligibility: a reply to someone the channel cannot reach is
// refused before it is queued, with CONFLICT naming the reason that
// Conversation.canReply and replyBlockedReason show beforehand; the api
// channel reaches a customer by a verified external id, a web channel only
// a visitor who had a session; private notes are always allowed.
func TestReplyEligibility(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	api := createAPIChannel(t, s, tok, in.URL)
	web, _ := webChannel(t, s, tok, "https://shop.example")
	nobody := cuCreate(t, s, tok, "Nobody")

	// No identity anywhere: nothing is started.
	wantConflict(t, s.Do(t, tok, startQ, map[string]any{"cu": nobody, "ch": api.ID}), "NO_RECIPIENT")
	if _, conversations, messages := countMessages(t, s, tok); conversations != 0 || messages != 0 {
		t.Fatalf("a refused start left %d conversations and %d messages", conversations, messages)
	}

	// A verified external id: the api channel sends to it; a web channel,
	// where they never had a visitor session, still cannot.
	cuMustAdd(t, s, tok, nobody, "EXTERNAL_ID", "crm-1", true)
	var started struct {
		StartConversation struct {
			ID string
			replyState
		}
	}
	s.MustDo(t, tok, startQ, map[string]any{"cu": nobody, "ch": api.ID}, &started)
	if !started.StartConversation.CanReply || started.StartConversation.ReplyBlockedReason != nil {
		t.Fatalf("started by external id: %+v", started.StartConversation)
	}
	_, bodies := waitDelivered(t, in, 1)
	if rcpt, _ := bodies[0]["recipient"].(map[string]any); rcpt["externalID"] != "crm-1" {
		t.Fatalf("the integrator got recipient %v, want the external id", bodies[0]["recipient"])
	}
	wantConflict(t, s.Do(t, tok, startQ, map[string]any{"cu": nobody, "ch": web}), "NO_RECIPIENT")

	// A customer who wrote on the api channel can be answered there.
	conv := replyTo(t, s, api, "user-ok")
	if r := replyOf(t, s, tok, conv); !r.CanReply || r.ReplyBlockedReason != nil {
		t.Fatalf("after an inbound message: %+v", r)
	}
	s.Send(t, tok, conv, "hi back")

	// Disabled channel: refused, a note is still fine; enabled again, fine.
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { id } }`, map[string]any{"id": api.ID}, nil)
	if r := replyOf(t, s, tok, conv); r.CanReply || r.ReplyBlockedReason == nil || *r.ReplyBlockedReason != "CHANNEL_DISABLED" {
		t.Fatalf("on a disabled channel: %+v", r)
	}
	wantConflict(t, s.Do(t, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "lost"}) { id } }`, map[string]any{"c": conv}), "CHANNEL_DISABLED")
	s.MustDo(t, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "note", private: true}) { id } }`, map[string]any{"c": conv}, nil)
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": api.ID}, nil)

	// An identity removed after the start: the conversation shows it, and
	// a reply is refused.
	var who struct {
		Node struct {
			Customer struct{ Identities []struct{ ID, Kind string } }
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { identities { id kind } } } } }`,
		map[string]any{"id": started.StartConversation.ID}, &who)
	for _, id := range who.Node.Customer.Identities {
		s.MustDo(t, tok, `mutation($id: ID!) { removeCustomerIdentity(id: $id) }`, map[string]any{"id": id.ID}, nil)
	}
	if r := replyOf(t, s, tok, started.StartConversation.ID); r.CanReply || r.ReplyBlockedReason == nil || *r.ReplyBlockedReason != "NO_RECIPIENT" {
		t.Fatalf("without identities: %+v", r)
	}
	wantConflict(t, s.Do(t, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "lost"}) { id } }`,
		map[string]any{"c": started.StartConversation.ID}), "NO_RECIPIENT")
}

// waitDelivered waits until the integrator has received n messages.
func waitDelivered(t *testing.T, in *integrator, n int) (map[string]int, []map[string]any) {
	t.Helper()
	var bodies []map[string]any
	var deliveries map[string]int
	testenv.Eventually(t, func() bool {
		deliveries, bodies = in.received()
		return len(bodies) >= n
	}, "the integrator to receive the messages")
	return deliveries, bodies
}
