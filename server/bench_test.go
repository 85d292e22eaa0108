package server_test

import (
	"fmt"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// benchInbox prepares a workspace with n conversations and returns the
// server, a token and a conversation id.
func benchInbox(b *testing.B, n int) (*testenv.Server, string, string) {
	s := testenv.New(b)
	tok := s.AdminToken(b)
	var setup struct {
		CreateChannel  struct{ ID string }
		CreateCustomer struct{ ID string }
	}
	s.MustDo(b, tok, `mutation { createChannel(input: {kind: "api", name: "App"}) { id } createCustomer(input: {name: "Bench"}) { id } }`, nil, &setup)
	addressable(b, s, tok, setup.CreateCustomer.ID)
	var last string
	for i := 0; i < n; i++ {
		var out struct{ StartConversation struct{ ID string } }
		s.MustDo(b, tok, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"customerID": setup.CreateCustomer.ID, "channelID": setup.CreateChannel.ID, "body": fmt.Sprint("hello ", i),
		}}, &out)
		last = out.StartConversation.ID
	}
	return s, tok, last
}

// BenchmarkInboxPage measures one 50-row inbox page with customer, channel,
// assignee, last message and tags, over HTTP.
func BenchmarkInboxPage(b *testing.B) {
	s, tok, _ := benchInbox(b, 60)
	const q = `{ conversations(first: 50, orderBy: {field: LAST_MESSAGE_AT, direction: DESC}) { totalCount
		edges { node { id status customer { name } channel { name } assignee { name } lastMessage { body } tags { name } } } } }`
	b.ResetTimer()
	for b.Loop() {
		s.MustDo(b, tok, q, nil, &struct{}{})
	}
}

// BenchmarkSendMessage measures an agent's reply: one mutation, one
// transaction, over HTTP.
func BenchmarkSendMessage(b *testing.B) {
	s, tok, conv := benchInbox(b, 1)
	vars := map[string]any{"c": conv}
	b.ResetTimer()
	for b.Loop() {
		s.MustDo(b, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "thanks"}) { id } }`, vars, &struct{}{})
	}
}
