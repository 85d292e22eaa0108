package server_test

import (
	"fmt"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// unread returns the viewer's unreadCount of a conversation, read both
// alone (node) and in the inbox connection, which must agree.
func unread(t *testing.T, s *testenv.Server, tok, conv string) int {
	t.Helper()
	var out struct {
		Node          struct{ UnreadCount int }
		Conversations struct {
			Edges []struct {
				Node struct {
					ID          string
					UnreadCount int
				}
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { unreadCount } }
		conversations(first: 100) { edges { node { id unreadCount } } } }`, map[string]any{"id": conv}, &out)
	for _, e := range out.Conversations.Edges {
		if e.Node.ID == conv {
			if e.Node.UnreadCount != out.Node.UnreadCount {
				t.Fatalf("unreadCount %d in the inbox but %d alone", e.Node.UnreadCount, out.Node.UnreadCount)
			}
			return e.Node.UnreadCount
		}
	}
	t.Fatalf("conversation %s not in the inbox", conv)
	return 0
}

func markRead(t *testing.T, s *testenv.Server, tok, conv string) {
	t.Helper()
	var out struct {
		MarkConversationRead struct {
			ID          string
			UnreadCount int
		}
	}
	s.MustDo(t, tok, `mutation($id: ID!) { markConversationRead(id: $id) { id unreadCount } }`, map[string]any{"id": conv}, &out)
	if out.MarkConversationRead.ID != conv || out.MarkConversationRead.UnreadCount != 0 {
		t.Fatalf("markConversationRead returned %+v", out.MarkConversationRead)
	}
}

// TestUnreadCountsPerAgent: each agent has their own read mark; an agent's
// own messages are never unread to them; notes count.
func TestUnreadCountsPerAgent(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	_, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	conv := s.Conversation(t, admin) // with the admin's first message
	quiet := s.Conversation(t, admin)
	want := func(adminCount, beaCount int) {
		t.Helper()
		if got := unread(t, s, admin, conv); got != adminCount {
			t.Fatalf("admin's unreadCount = %d, want %d", got, adminCount)
		}
		if got := unread(t, s, bea, conv); got != beaCount {
			t.Fatalf("Bea's unreadCount = %d, want %d", got, beaCount)
		}
	}
	want(0, 1)
	s.Send(t, admin, conv, "two")
	s.MustDo(t, admin, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "a note", private: true}) { id } }`,
		map[string]any{"c": conv}, &struct{}{})
	want(0, 3)
	markRead(t, s, bea, conv)
	want(0, 0)
	s.Send(t, bea, conv, "from Bea")
	want(1, 0)
	s.Send(t, admin, conv, "four")
	want(1, 1)
	markRead(t, s, admin, conv)
	want(0, 1)
	if got := unread(t, s, bea, quiet); got != 1 {
		t.Fatalf("another conversation's count moved: %d", got)
	}
	// Another workspace's conversation is NOT_FOUND.
	other := s.NewWorkspace(t, "other", "other@example.com")
	r := s.Do(t, other, `mutation($id: ID!) { markConversationRead(id: $id) { id } }`, map[string]any{"id": conv})
	wantErr(t, r, 200, "NOT_FOUND")
}

// TestUnreadStatementCount: unreadCount on an inbox page costs one grouped
// statement, the same for 5 rows as for 50.
func TestUnreadStatementCount(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	_, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	var setup struct{ CreateChannel struct{ ID string } }
	s.MustDo(t, admin, `mutation { createChannel(input: {kind: "api", name: "App"}) { id } }`, nil, &setup)
	for i := 0; i < 50; i++ {
		var c struct{ CreateCustomer struct{ ID string } }
		s.MustDo(t, admin, `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": fmt.Sprint("customer ", i)}, &c)
		addressable(t, s, admin, c.CreateCustomer.ID)
		s.MustDo(t, admin, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"customerID": c.CreateCustomer.ID, "channelID": setup.CreateChannel.ID, "body": "hello",
		}}, &struct{}{})
	}
	count := func(tok string, n, want int, withUnread bool) int64 {
		q := `query($n: Int!) { conversations(first: $n) { edges { node { id } } } }`
		if withUnread {
			q = `query($n: Int!) { conversations(first: $n) { edges { node { id unreadCount } } } }`
		}
		var out struct {
			Conversations struct {
				Edges []struct{ Node struct{ UnreadCount int } }
			}
		}
		before := s.Statements.Load()
		s.MustDo(t, tok, q, map[string]any{"n": n}, &out)
		used := s.Statements.Load() - before
		if len(out.Conversations.Edges) != n {
			t.Fatalf("page of %d has %d edges", n, len(out.Conversations.Edges))
		}
		for _, e := range out.Conversations.Edges {
			if e.Node.UnreadCount != want {
				t.Fatalf("unreadCount = %d, want %d", e.Node.UnreadCount, want)
			}
		}
		return used
	}
	small, large := count(bea, 5, 1, true), count(bea, 50, 1, true)
	t.Logf("statements: 5 rows %d, 50 rows %d", small, large)
	if small != large {
		t.Errorf("5 rows cost %d statements but 50 rows cost %d: an N+1 crept in", small, large)
	}
	if without := count(bea, 50, 0, false); large != without+1 {
		t.Errorf("unreadCount cost %d statements on a page, want 1", large-without)
	}
	count(admin, 50, 0, true) // the admin wrote them all
}
