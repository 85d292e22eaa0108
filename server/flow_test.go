package server_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestAgentFlow walks an agent's day through the public API: sign in, look
// at oneself, create a customer, start a conversation, reply, leave a note,
// assign, change status (snooze included) and priority, tag, and page
// through the inbox with filters, both ways.
func TestAgentFlow(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)

	var v struct {
		Viewer struct {
			ID, Email, Role string
			Workspace       struct{ Name string }
		}
	}
	s.MustDo(t, tok, `{ viewer { id email role workspace { name } } }`, nil, &v)
	if v.Viewer.Email != testenv.AdminEmail || v.Viewer.Role != "ADMIN" || v.Viewer.Workspace.Name != "Default" {
		t.Fatalf("viewer = %+v", v.Viewer)
	}

	var setup struct {
		CreateChannel struct {
			ID, Key string
			Enabled bool
		}
		CreateCustomer struct{ ID string }
		CreateTag      struct{ ID string }
	}
	s.MustDo(t, tok, `mutation {
		createChannel(input: {kind: "api", name: "Shop app"}) { id key enabled }
		createAttributeDefinition(input: {name: "plan", type: STRING}) { id }
		createCustomer(input: {name: "Ann", vip: true, customAttributes: {plan: "gold"}}) { id }
		createTag(input: {name: "billing", color: "#ff0000"}) { id }
	}`, nil, &setup)
	if !setup.CreateChannel.Enabled || len(setup.CreateChannel.Key) < 20 {
		t.Fatalf("api channel = %+v, want enabled with a long key", setup.CreateChannel)
	}

	var started struct {
		StartConversation struct {
			ID, Status, Priority string
			Customer             struct{ ID string }
			LastMessage          struct {
				Body, Direction, SenderKind, DeliveryStatus string
			}
		}
	}
	addressable(t, s, tok, setup.CreateCustomer.ID)
	s.MustDo(t, tok, `mutation($in: StartConversationInput!) { startConversation(input: $in) {
		id status priority customer { id } lastMessage { body direction senderKind deliveryStatus } } }`,
		map[string]any{"in": map[string]any{"customerID": setup.CreateCustomer.ID, "channelID": setup.CreateChannel.ID, "body": "Hello Ann"}}, &started)
	c := started.StartConversation
	if c.Status != "OPEN" || c.Priority != "NORMAL" || c.LastMessage.Body != "Hello Ann" ||
		c.LastMessage.Direction != "OUTBOUND" || c.LastMessage.SenderKind != "AGENT" || c.LastMessage.DeliveryStatus != "QUEUED" {
		t.Fatalf("started = %+v", c)
	}

	var sent struct {
		Reply struct{ ID, DeliveryStatus string }
		Note  struct {
			ID             string
			Private        bool
			DeliveryStatus *string
			Author         struct{ Email string }
		}
	}
	s.MustDo(t, tok, `mutation($c: ID!) {
		reply: sendMessage(input: {conversationID: $c, body: "Anything else?"}) { id deliveryStatus }
		note: sendMessage(input: {conversationID: $c, body: "VIP, be nice", private: true}) { id private deliveryStatus author { email } }
	}`, map[string]any{"c": c.ID}, &sent)
	if sent.Reply.DeliveryStatus != "QUEUED" || !sent.Note.Private || sent.Note.DeliveryStatus != nil || sent.Note.Author.Email != testenv.AdminEmail {
		t.Fatalf("sent = %+v", sent)
	}

	snooze := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	var changed struct {
		AssignConversation    struct{ Assignee struct{ Email string } }
		SetConversationStatus struct {
			Status       string
			SnoozedUntil *string
		}
		SetConversationPriority struct{ Priority string }
		AddConversationTags     struct{ Tags []struct{ Name string } }
	}
	s.MustDo(t, tok, `mutation($c: ID!, $a: ID!, $tag: ID!, $until: Time!) {
		assignConversation(id: $c, agentID: $a) { assignee { email } }
		setConversationStatus(id: $c, status: SNOOZED, snoozedUntil: $until) { status snoozedUntil }
		setConversationPriority(id: $c, priority: URGENT) { priority }
		addConversationTags(id: $c, tagIDs: [$tag, $tag]) { tags { name } }
	}`, map[string]any{"c": c.ID, "a": v.Viewer.ID, "tag": setup.CreateTag.ID, "until": snooze}, &changed)
	if changed.AssignConversation.Assignee.Email != testenv.AdminEmail || changed.SetConversationStatus.Status != "SNOOZED" ||
		changed.SetConversationStatus.SnoozedUntil == nil || changed.SetConversationPriority.Priority != "URGENT" ||
		len(changed.AddConversationTags.Tags) != 1 {
		t.Fatalf("changed = %+v", changed)
	}

	// Snoozing needs a future time; resolving records when.
	r := s.Do(t, tok, `mutation($c: ID!) { setConversationStatus(id: $c, status: SNOOZED) { status } }`, map[string]any{"c": c.ID})
	if got := r.Codes(); len(got) != 1 || got[0] != "INVALID_INPUT" {
		t.Fatalf("snooze without time: %v", got)
	}
	var resolved struct {
		SetConversationStatus struct {
			Status       string
			ResolvedAt   *string
			SnoozedUntil *string
		}
		RemoveConversationTags struct{ Tags []struct{ Name string } }
	}
	s.MustDo(t, tok, `mutation($c: ID!, $tag: ID!) {
		setConversationStatus(id: $c, status: RESOLVED) { status resolvedAt snoozedUntil }
		removeConversationTags(id: $c, tagIDs: [$tag]) { tags { name } }
	}`, map[string]any{"c": c.ID, "tag": setup.CreateTag.ID}, &resolved)
	if resolved.SetConversationStatus.ResolvedAt == nil || resolved.SetConversationStatus.SnoozedUntil != nil || len(resolved.RemoveConversationTags.Tags) != 0 {
		t.Fatalf("resolved = %+v", resolved)
	}

	// Messages of the conversation, notes included, oldest first.
	var msgs struct {
		Node struct {
			Messages struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Body    string
						Private bool
					}
				}
			}
		}
	}
	s.MustDo(t, tok, `query($c: ID!) { node(id: $c) { ... on Conversation {
		messages(orderBy: {field: CREATED_AT}) { totalCount edges { node { body private } } } } } }`, map[string]any{"c": c.ID}, &msgs)
	if m := msgs.Node.Messages; m.TotalCount != 3 || m.Edges[0].Node.Body != "Hello Ann" || !m.Edges[2].Node.Private {
		t.Fatalf("messages = %+v", m)
	}
}

// TestInboxPagination pages through a filtered inbox forwards and backwards.
func TestInboxPagination(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	var setup struct {
		CreateChannel  struct{ ID string }
		CreateCustomer struct{ ID string }
	}
	s.MustDo(t, tok, `mutation { createChannel(input: {kind: "api", name: "App"}) { id } createCustomer(input: {name: "Bo"}) { id } }`, nil, &setup)
	addressable(t, s, tok, setup.CreateCustomer.ID)
	ids := make([]string, 7)
	for i := range ids {
		var out struct{ StartConversation struct{ ID string } }
		s.MustDo(t, tok, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"customerID": setup.CreateCustomer.ID, "channelID": setup.CreateChannel.ID, "body": "hi",
		}}, &out)
		ids[i] = out.StartConversation.ID
	}
	// Resolve two of them: the OPEN filter leaves five.
	for _, id := range ids[:2] {
		s.MustDo(t, tok, `mutation($c: ID!) { setConversationStatus(id: $c, status: RESOLVED) { id } }`, map[string]any{"c": id}, &struct{}{})
	}
	type page struct {
		Conversations struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct{ Node struct{ ID string } }
		}
	}
	const q = `query($after: Cursor, $before: Cursor, $first: Int, $last: Int) {
		conversations(first: $first, after: $after, last: $last, before: $before, where: {status: OPEN}, orderBy: {field: CREATED_AT, direction: ASC}) {
			totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } } } }`
	var seen []string
	var after any
	for {
		var p page
		s.MustDo(t, tok, q, map[string]any{"first": 2, "after": after}, &p)
		if p.Conversations.TotalCount != 5 {
			t.Fatalf("totalCount = %d, want 5", p.Conversations.TotalCount)
		}
		for _, e := range p.Conversations.Edges {
			seen = append(seen, e.Node.ID)
		}
		if !p.Conversations.PageInfo.HasNextPage {
			break
		}
		after = *p.Conversations.PageInfo.EndCursor
	}
	if len(seen) != 5 || seen[0] != ids[2] || seen[4] != ids[6] {
		t.Fatalf("forward pages = %v, want %v", seen, ids[2:])
	}
	var back []string
	var before any
	for {
		var p page
		s.MustDo(t, tok, q, map[string]any{"last": 2, "before": before}, &p)
		edges := p.Conversations.Edges
		for i := len(edges) - 1; i >= 0; i-- {
			back = append(back, edges[i].Node.ID)
		}
		if !p.Conversations.PageInfo.HasPreviousPage {
			break
		}
		before = *p.Conversations.PageInfo.StartCursor
	}
	if len(back) != 5 || back[0] != ids[6] || back[4] != ids[2] {
		t.Fatalf("backward pages = %v", back)
	}
}
