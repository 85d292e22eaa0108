package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestChannelMembersSeeTheirConversations: once a channel has members, an
// AGENT outside it finds its conversations missing (node, lists, replies)
// and receives none of its events, while a member and a supervisor see
// them, on the same instance at the same time. A channel without members
// stays visible to everyone.
func TestChannelMembersSeeTheirConversations(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	annID, ann := newAgent(t, s, admin, "ann@example.com", "AGENT")
	_, bob := newAgent(t, s, admin, "bob@example.com", "AGENT")
	_, sue := newAgent(t, s, admin, "sue@example.com", "SUPERVISOR")
	private, open := s.Conversation(t, admin), s.Conversation(t, admin)
	var conv struct {
		Node struct{ Channel struct{ ID string } }
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { channel { id } } } }`, map[string]any{"id": private}, &conv)
	var set struct {
		SetChannelMembers struct{ MemberAgents []struct{ ID string } }
	}
	s.MustDo(t, admin, `mutation($id: ID!, $a: [ID!]!) { setChannelMembers(id: $id, agentIDs: $a, teamIDs: []) { memberAgents { id } } }`,
		map[string]any{"id": conv.Node.Channel.ID, "a": []string{annID}}, &set)
	if len(set.SetChannelMembers.MemberAgents) != 1 || set.SetChannelMembers.MemberAgents[0].ID != annID {
		t.Fatalf("members %+v", set.SetChannelMembers.MemberAgents)
	}

	seen := func(tok string) (node bool, total int) {
		var out struct {
			Node          *struct{ ID string }
			Conversations struct{ TotalCount int }
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { id } conversations { totalCount } }`, map[string]any{"id": private}, &out)
		return out.Node != nil, out.Conversations.TotalCount
	}
	for _, c := range []struct {
		name, tok string
		node      bool
		total     int
	}{{"member", ann, true, 2}, {"supervisor", sue, true, 2}, {"admin", admin, true, 2}, {"outsider", bob, false, 1}} {
		if node, total := seen(c.tok); node != c.node || total != c.total {
			t.Errorf("%s: node visible %v, %d conversations; want %v, %d", c.name, node, total, c.node, c.total)
		}
	}
	if r := s.Do(t, bob, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "hi", private: true}) { id } }`,
		map[string]any{"c": private}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("an outsider's note on a hidden conversation: %+v, want NOT_FOUND", r.Errors)
	}

	// Live events: the outsider's first event is the visible conversation's.
	const sub = `subscription { messageAdded { message { body conversation { id } } } }`
	type added struct {
		MessageAdded struct {
			Message struct {
				Body         string
				Conversation struct{ ID string }
			}
		}
	}
	wsAnn, err := s.DialWS(t, ann, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wsBob, err := s.DialWS(t, bob, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	annSub, bobSub := wsAnn.Subscribe(sub, nil), wsBob.Subscribe(sub, nil)
	s.WaitSubscribers(t, 2)
	s.Send(t, admin, private, "for members")
	s.Send(t, admin, open, "for everyone")
	var a, b added
	annSub.Next(t, &a)
	if a.MessageAdded.Message.Conversation.ID != private {
		t.Errorf("the member's first event: %+v, want the private conversation's", a)
	}
	bobSub.Next(t, &b)
	if b.MessageAdded.Message.Conversation.ID != open || b.MessageAdded.Message.Body != "for everyone" {
		t.Errorf("the outsider's first event: %+v, want the open conversation's", b)
	}

	// The same for conversation changes.
	const changes = `subscription { conversationChanged { conversation { id } } }`
	type changed struct {
		ConversationChanged struct{ Conversation struct{ ID string } }
	}
	annChanges, bobChanges := wsAnn.Subscribe(changes, nil), wsBob.Subscribe(changes, nil)
	s.WaitSubscribers(t, 4)
	const priority = `mutation($id: ID!) { setConversationPriority(id: $id, priority: URGENT) { id } }`
	s.MustDo(t, admin, priority, map[string]any{"id": private}, nil)
	s.MustDo(t, admin, priority, map[string]any{"id": open}, nil)
	var ca, cb changed
	annChanges.Next(t, &ca)
	if ca.ConversationChanged.Conversation.ID != private {
		t.Errorf("the member's first change: %+v, want the private conversation's", ca)
	}
	bobChanges.Next(t, &cb)
	if cb.ConversationChanged.Conversation.ID != open {
		t.Errorf("the outsider's first change: %+v, want the open conversation's", cb)
	}
}

// TestMergesNeedSupervisor: an AGENT may not merge customers or accept a
// duplicate suggestion; a supervisor may.
func TestMergesNeedSupervisor(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	_, ann := newAgent(t, s, admin, "ann@example.com", "AGENT")
	_, sue := newAgent(t, s, admin, "sue@example.com", "SUPERVISOR")
	var c struct {
		A struct{ ID string }
		B struct{ ID string }
	}
	s.MustDo(t, admin, `mutation { a: createCustomer(input: {name: "A"}) { id } b: createCustomer(input: {name: "B"}) { id } }`, nil, &c)
	const merge = `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) { id } }`
	vars := map[string]any{"p": c.A.ID, "s": c.B.ID}
	if r := s.Do(t, ann, merge, vars); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("an agent's merge: %+v, want FORBIDDEN", r.Errors)
	}
	if r := s.Do(t, sue, merge, vars); len(r.Errors) != 0 {
		t.Fatalf("a supervisor's merge: %+v", r.Errors)
	}
}

// TestTransferRespectsCapacity: an agent cannot hand a conversation to a
// colleague who is at capacity; a supervisor can.
func TestTransferRespectsCapacity(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	annID := createID(t, s, admin, `mutation { createAgent(input: {name: "Ann", email: "ann@example.com", password: "password-1", capacity: 1}) { id } }`, nil)
	bobID, bob := newAgent(t, s, admin, "bob@example.com", "AGENT")
	_, sue := newAgent(t, s, admin, "sue@example.com", "SUPERVISOR")
	full, mine := s.Conversation(t, admin), s.Conversation(t, admin)
	const assign = `mutation($id: ID!, $a: ID) { assignConversation(id: $id, agentID: $a) { id } }`
	s.MustDo(t, admin, assign, map[string]any{"id": full, "a": annID}, nil)
	s.MustDo(t, admin, assign, map[string]any{"id": mine, "a": bobID}, nil)
	const transfer = `mutation($id: ID!, $a: ID!) { transferConversation(id: $id, agentID: $a) { assignee { id } } }`
	r := s.Do(t, bob, transfer, map[string]any{"id": mine, "a": annID})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || r.Errors[0].Extensions["field"] != "agentID" {
		t.Fatalf("transfer to a full agent: %+v, want CONFLICT on agentID", r.Errors)
	}
	var out struct {
		TransferConversation struct{ Assignee struct{ ID string } }
	}
	s.MustDo(t, sue, transfer, map[string]any{"id": mine, "a": annID}, &out)
	if out.TransferConversation.Assignee.ID != annID {
		t.Fatalf("a supervisor's transfer: assignee %q, want %q", out.TransferConversation.Assignee.ID, annID)
	}
}

// TestChannelMembersThroughTeamsAndAssignment: a team's members see the
// channel; an agent outside it sees a conversation assigned to them and no
// other; a customer's conversations and timeline are filtered the same
// way, while the customer stays visible.
func TestChannelMembersThroughTeamsAndAssignment(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	annID, ann := newAgent(t, s, admin, "ann@example.com", "AGENT")
	bobID, bob := newAgent(t, s, admin, "bob@example.com", "AGENT")
	teamID := createID(t, s, admin, `mutation($a: [ID!]) { createTeam(input: {name: "Billing", agentIDs: $a}) { id } }`,
		map[string]any{"a": []string{annID}})
	first, second := s.Conversation(t, admin), s.Conversation(t, admin)
	var conv struct {
		Node struct {
			Channel  struct{ ID string }
			Customer struct{ ID string }
		}
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { channel { id } customer { id } } } }`,
		map[string]any{"id": first}, &conv)
	// Both conversations' channels are the team's.
	s.MustDo(t, admin, `mutation($id: ID!, $t: [ID!]!) { setChannelMembers(id: $id, agentIDs: [], teamIDs: $t) { id } }`,
		map[string]any{"id": conv.Node.Channel.ID, "t": []string{teamID}}, nil)
	var other struct {
		Node struct{ Channel struct{ ID string } }
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { channel { id } } } }`, map[string]any{"id": second}, &other)
	s.MustDo(t, admin, `mutation($id: ID!, $t: [ID!]!) { setChannelMembers(id: $id, agentIDs: [], teamIDs: $t) { id } }`,
		map[string]any{"id": other.Node.Channel.ID, "t": []string{teamID}}, nil)
	s.MustDo(t, admin, `mutation($id: ID!, $a: ID) { assignConversation(id: $id, agentID: $a) { id } }`,
		map[string]any{"id": second, "a": bobID}, nil)

	visible := func(tok string) map[string]bool {
		var out struct {
			Conversations struct {
				Edges []struct{ Node struct{ ID string } }
			}
			Node *struct {
				Conversations struct{ TotalCount int }
				Timeline      struct {
					Edges []struct {
						Node struct {
							Typename     string `json:"__typename"`
							Conversation *struct{ ID string }
						}
					}
				}
			}
		}
		s.MustDo(t, tok, `query($c: ID!) {
			conversations { edges { node { id } } }
			node(id: $c) { ... on Customer { conversations { totalCount } timeline(first: 100) { edges { node { __typename
				... on ConversationActivity { conversation { id } } } } } } } }`,
			map[string]any{"c": conv.Node.Customer.ID}, &out)
		got := map[string]bool{}
		for _, e := range out.Conversations.Edges {
			got[e.Node.ID] = true
		}
		if out.Node == nil {
			t.Fatalf("the customer is hidden; customers are workspace-wide")
		}
		for _, e := range out.Node.Timeline.Edges {
			if c := e.Node.Conversation; c != nil && !got[c.ID] {
				t.Errorf("the timeline shows a step of hidden conversation %s", c.ID)
			}
		}
		// The customer's only conversation is the first one.
		if want := map[bool]int{true: 1, false: 0}[got[first]]; out.Node.Conversations.TotalCount != want {
			t.Errorf("the customer shows %d conversations, want %d", out.Node.Conversations.TotalCount, want)
		}
		return got
	}
	if got := visible(ann); !got[first] || !got[second] {
		t.Errorf("the team member sees %v, want both", got)
	}
	if got := visible(bob); got[first] || !got[second] {
		t.Errorf("the assignee outside the team sees %v, want only %s", got, second)
	}
}

// TestRoutingPicksMembers: on a channel with members, routing assigns its
// conversations only to members, however idle the others are.
func TestRoutingPicksMembers(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	setStatus(t, s, admin, "OFFLINE") // the admin is not a candidate
	ch := createAPIChannel(t, s, admin, "")
	agents := routingAgents(t, s, admin, 3, 10, "m")
	s.MustDo(t, admin, `mutation($id: ID!, $a: [ID!]!) { setChannelMembers(id: $id, agentIDs: $a, teamIDs: []) { id } }`,
		map[string]any{"id": ch.ID, "a": []string{agents[1].ID}}, nil)
	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "LEAST_BUSY"})
	for i := range 4 {
		conv := mustPost(t, ch, senderPayload(fmt.Sprint("m", i), fmt.Sprint("cust-", i), "", "", "hello"))
		if a := assignee(t, s, admin, conv, 10*time.Second); a != agents[1].ID {
			t.Fatalf("conversation %d went to %q, want the only member %s", i, a, agents[1].ID)
		}
	}
}
