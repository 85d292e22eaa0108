package server_test

import (
	"fmt"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestInboxStatementCount guards against N+1 queries: an inbox page with
// each conversation's customer, channel, assignee, last message, tags and
// whether a reply can be sent
// costs the same number of SQL statements for 5 rows as for 50, counted at
// the database driver, authentication included.
func TestInboxStatementCount(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	var setup struct {
		Viewer        struct{ ID string }
		CreateChannel struct{ ID string }
		A, B          struct{ ID string }
	}
	s.MustDo(t, tok, `mutation { createChannel(input: {kind: "api", name: "App"}) { id }
		a: createTag(input: {name: "a"}) { id } b: createTag(input: {name: "b"}) { id } }`, nil, &setup)
	s.MustDo(t, tok, `{ viewer { id } }`, nil, &setup)
	for i := 0; i < 50; i++ {
		var c struct{ CreateCustomer struct{ ID string } }
		s.MustDo(t, tok, `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": fmt.Sprint("customer ", i)}, &c)
		addressable(t, s, tok, c.CreateCustomer.ID)
		var conv struct{ StartConversation struct{ ID string } }
		s.MustDo(t, tok, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"customerID": c.CreateCustomer.ID, "channelID": setup.CreateChannel.ID, "body": "hello",
		}}, &conv)
		s.MustDo(t, tok, `mutation($c: ID!, $a: ID!, $tags: [ID!]!) {
			assignConversation(id: $c, agentID: $a) { id } addConversationTags(id: $c, tagIDs: $tags) { id } }`,
			map[string]any{"c": conv.StartConversation.ID, "a": setup.Viewer.ID, "tags": []string{setup.A.ID, setup.B.ID}}, &struct{}{})
	}
	const q = `query($n: Int!) { conversations(first: $n, orderBy: {field: LAST_MESSAGE_AT, direction: DESC}) {
		totalCount
		edges { node { id status priority canReply replyBlockedReason
			customer { id name }
			channel { id name kind }
			assignee { id name }
			lastMessage { id body createdAt }
			tags { id name color } } } } }`
	count := func(n int) int64 {
		var out struct {
			Conversations struct {
				Edges []struct {
					Node struct {
						Customer    struct{ Name string }
						Assignee    struct{ ID string }
						LastMessage struct{ Body string }
						Tags        []struct{ Name string }
						CanReply    bool
					}
				}
			}
		}
		before := s.Statements.Load()
		s.MustDo(t, tok, q, map[string]any{"n": n}, &out)
		used := s.Statements.Load() - before
		edges := out.Conversations.Edges
		if len(edges) != n {
			t.Fatalf("page of %d has %d edges", n, len(edges))
		}
		for _, e := range edges {
			if e.Node.Customer.Name == "" || e.Node.Assignee.ID == "" || e.Node.LastMessage.Body != "hello" || len(e.Node.Tags) != 2 || !e.Node.CanReply {
				t.Fatalf("incomplete row: %+v", e.Node)
			}
		}
		return used
	}
	small, large := count(5), count(50)
	t.Logf("statements: 5 rows %d, 50 rows %d", small, large)
	if small != large {
		t.Errorf("5 rows cost %d statements but 50 rows cost %d: an N+1 crept in", small, large)
	}
	// 9: one of them finds, for the whole page, who each reply would go
	// to (canReply).
	if large > 9 {
		t.Errorf("a 50-row inbox page cost %d statements, want at most 9", large)
	}
}
