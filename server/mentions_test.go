package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

const mentionedMe = `subscription($after: EventCursor) {
	mentionedMe(after: $after) { cursor message { id body private conversation { id } mentions { id } } } }`

type mentionEvent struct {
	MentionedMe struct {
		Cursor  string
		Message struct {
			ID, Body     string
			Private      bool
			Conversation struct{ ID string }
			Mentions     []struct{ ID string }
		}
	}
}

const sendNote = `mutation($c: ID!, $b: String!, $m: [ID!], $p: Boolean) {
	sendMessage(input: {conversationID: $c, body: $b, private: $p, mentionedAgentIDs: $m}) { id mentions { id } } }`

// note sends a private note on conv mentioning ids and returns its id.
func note(t *testing.T, s *testenv.Server, tok, conv, body string, ids ...string) string {
	t.Helper()
	var out struct {
		SendMessage struct {
			ID       string
			Mentions []struct{ ID string }
		}
	}
	s.MustDo(t, tok, sendNote, map[string]any{"c": conv, "b": body, "m": ids, "p": true}, &out)
	return out.SendMessage.ID
}

// mentionSub opens a websocket as tok and subscribes to mentionedMe
// (after cursor, unless empty).
func mentionSub(t *testing.T, s *testenv.Server, tok, cursor string) (*testenv.WS, *testenv.Subscription) {
	t.Helper()
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{}
	if cursor != "" {
		vars["after"] = cursor
	}
	return ws, ws.Subscribe(mentionedMe, vars)
}

// TestMentions: a note mentioning Bea reaches Bea's mentionedMe (once,
// though named twice), not Al's; Message.mentions lists her; resuming
// with after gets exactly the mentions missed; an API token hears its
// agent's mentions.
func TestMentions(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	beaID, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	alID, al := newAgent(t, s, admin, "al@example.com", "AGENT")

	wsBea, beaSub := mentionSub(t, s, bea, "")
	_, alSub := mentionSub(t, s, al, "")
	s.WaitSubscribers(t, 2)

	var sent struct {
		SendMessage struct {
			ID       string
			Mentions []struct{ ID string }
		}
	}
	s.MustDo(t, admin, sendNote, map[string]any{"c": conv, "b": "@Bea can you check?", "m": []string{beaID, beaID}, "p": true}, &sent)
	if m := sent.SendMessage.Mentions; len(m) != 1 || m[0].ID != beaID {
		t.Fatalf("mentions of the sent note: %+v, want Bea once", m)
	}
	var ev mentionEvent
	beaSub.Next(t, &ev)
	got := ev.MentionedMe.Message
	if got.ID != sent.SendMessage.ID || !got.Private || got.Conversation.ID != conv || len(got.Mentions) != 1 || got.Mentions[0].ID != beaID || ev.MentionedMe.Cursor == "" {
		t.Fatalf("Bea's mention: %+v", ev)
	}
	beaSub.Quiet(t, 200*time.Millisecond, "a second event for one note")
	alSub.Quiet(t, 100*time.Millisecond, "Al, who was not mentioned")

	// Missed while away: exactly the notes mentioning Bea, in order.
	cursor := ev.MentionedMe.Cursor
	wsBea.Close()
	s.WaitSubscribers(t, 1)
	two := note(t, s, admin, conv, "two", beaID)
	note(t, s, admin, conv, "for Al", alID)
	s.Send(t, admin, conv, "a reply, no mentions")
	three := note(t, s, admin, conv, "three", alID, beaID)
	_, beaSub = mentionSub(t, s, bea, cursor)
	for _, want := range []string{two, three} {
		beaSub.Next(t, &ev)
		if ev.MentionedMe.Message.ID != want {
			t.Fatalf("replayed %s (%q), want %s", ev.MentionedMe.Message.ID, ev.MentionedMe.Message.Body, want)
		}
	}
	if m := ev.MentionedMe.Message.Mentions; len(m) != 2 || m[0].ID != alID || m[1].ID != beaID {
		t.Fatalf("mentions in the given order: %+v", m)
	}
	beaSub.Quiet(t, 200*time.Millisecond, "an extra replayed mention")
	for _, want := range []string{"for Al", "three"} {
		var alEv mentionEvent
		alSub.Next(t, &alEv)
		if alEv.MentionedMe.Message.Body != want {
			t.Fatalf("Al's mention %q, want %q", alEv.MentionedMe.Message.Body, want)
		}
	}

	// An API token acts as its agent.
	var me struct{ Viewer struct{ ID string } }
	s.MustDo(t, admin, `{ viewer { id } }`, nil, &me)
	_, tokSub := mentionSub(t, s, newAPIToken(t, s, admin, "READ"), "")
	s.WaitSubscribers(t, 3)
	adminNote := note(t, s, bea, conv, "for the admin", me.Viewer.ID)
	tokSub.Next(t, &ev)
	if ev.MentionedMe.Message.ID != adminNote {
		t.Fatalf("the token's mention: %+v", ev)
	}

	// Message.mentions on a list.
	var list struct {
		Node struct {
			Messages struct {
				Edges []struct {
					Node struct {
						Body     string
						Mentions []struct{ ID string }
					}
				}
			}
		}
	}
	s.MustDo(t, admin, `query($c: ID!) { node(id: $c) { ... on Conversation { messages(first: 20) { edges { node { body mentions { id } } } } } } }`,
		map[string]any{"c": conv}, &list)
	want := map[string]string{"@Bea can you check?": beaID, "two": beaID, "for Al": alID, "three": alID + "," + beaID, "for the admin": me.Viewer.ID,
		"first": "", "a reply, no mentions": ""}
	for _, e := range list.Node.Messages.Edges {
		var ids []string
		for _, m := range e.Node.Mentions {
			ids = append(ids, m.ID)
		}
		if w, ok := want[e.Node.Body]; !ok || strings.Join(ids, ",") != w {
			t.Errorf("message %q mentions %v, want %q", e.Node.Body, ids, w)
		}
		delete(want, e.Node.Body)
	}
	if len(want) > 0 {
		t.Errorf("messages missing from the list: %v", want)
	}

	// A merge moves the note with its conversation, mentions and all.
	conv2 := s.Conversation(t, admin)
	moved := note(t, s, admin, conv2, "before the merge", beaID)
	customerOf := func(conv string) string {
		var out struct {
			Node struct{ Customer struct{ ID string } }
		}
		s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { id } } } }`, map[string]any{"id": conv}, &out)
		return out.Node.Customer.ID
	}
	primary := customerOf(conv)
	s.MustDo(t, admin, `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) { id } }`,
		map[string]any{"p": primary, "s": customerOf(conv2)}, nil)
	var after struct {
		Node struct {
			Conversation struct{ Customer struct{ ID string } }
			Mentions     []struct{ ID string }
		}
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Message { conversation { customer { id } } mentions { id } } } }`,
		map[string]any{"id": moved}, &after)
	if after.Node.Conversation.Customer.ID != primary || len(after.Node.Mentions) != 1 || after.Node.Mentions[0].ID != beaID {
		t.Fatalf("the note after the merge: %+v", after.Node)
	}
}

// TestMentionRefusals: mentions only on notes, of active agents of the
// workspace who can see the conversation, at most 50; a refused note is
// not stored and tells nobody.
func TestMentionRefusals(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	beaID, bea := newAgent(t, s, admin, "bea@example.com", "AGENT")
	alID, _ := newAgent(t, s, admin, "al@example.com", "AGENT")
	supID, _ := newAgent(t, s, admin, "sup@example.com", "SUPERVISOR")
	goneID, _ := newAgent(t, s, admin, "gone@example.com", "AGENT")
	s.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": goneID}, nil)
	other := s.NewWorkspace(t, "other", "other@example.com")
	var foreign struct{ Viewer struct{ ID string } }
	s.MustDo(t, other, `{ viewer { id } }`, nil, &foreign)

	messages := func() int {
		var out struct {
			Node struct{ Messages struct{ TotalCount int } }
		}
		s.MustDo(t, admin, `query($c: ID!) { node(id: $c) { ... on Conversation { messages { totalCount } } } }`, map[string]any{"c": conv}, &out)
		return out.Node.Messages.TotalCount
	}
	refused := func(t *testing.T, code, text string, private bool, ids ...string) {
		t.Helper()
		before := messages()
		r := s.Do(t, admin, sendNote, map[string]any{"c": conv, "b": "note", "m": ids, "p": private})
		if len(r.Errors) != 1 || r.Errors[0].Code() != code || !strings.Contains(r.Errors[0].Message, text) {
			t.Fatalf("errors %+v, want one %s saying %q", r.Errors, code, text)
		}
		if after := messages(); after != before {
			t.Fatalf("%d messages after a refused note, %d before", after, before)
		}
	}

	// Only restrict the channel once the others are set up.
	var ch struct {
		Node struct{ Channel struct{ ID string } }
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { channel { id } } } }`, map[string]any{"id": conv}, &ch)
	many := make([]string, 51)
	for i := range many {
		many[i] = string(gid.New("Agent"))
	}

	t.Run("not private", func(t *testing.T) { refused(t, "INVALID_INPUT", "private note", false, beaID) })
	t.Run("other workspace", func(t *testing.T) { refused(t, "NOT_FOUND", "not found", true, beaID, foreign.Viewer.ID) })
	t.Run("unknown", func(t *testing.T) { refused(t, "NOT_FOUND", "not found", true, string(gid.New("Agent"))) })
	t.Run("deactivated", func(t *testing.T) { refused(t, "INVALID_INPUT", "deactivated", true, goneID) })
	t.Run("over 50", func(t *testing.T) { refused(t, "INVALID_INPUT", "at most 50", true, many...) })

	t.Run("cannot see", func(t *testing.T) {
		_, beaSub := mentionSub(t, s, bea, "")
		s.WaitSubscribers(t, 1)
		s.MustDo(t, admin, `mutation($id: ID!, $a: [ID!]!) { setChannelMembers(id: $id, agentIDs: $a, teamIDs: []) { id } }`,
			map[string]any{"id": ch.Node.Channel.ID, "a": []string{alID}}, nil)
		refused(t, "INVALID_INPUT", "cannot see this conversation", true, alID, beaID)
		beaSub.Quiet(t, 200*time.Millisecond, "a mention in a refused note")
		// A member and a supervisor see it; so does the agent it is assigned to.
		note(t, s, admin, conv, "members", alID, supID)
		s.MustDo(t, admin, `mutation($id: ID!, $a: ID!) { assignConversation(id: $id, agentID: $a) { id } }`, map[string]any{"id": conv, "a": beaID}, nil)
		id := note(t, s, admin, conv, "assignee", beaID)
		var ev mentionEvent
		beaSub.Next(t, &ev)
		if ev.MentionedMe.Message.ID != id {
			t.Fatalf("the assignee's mention: %+v", ev)
		}
	})
}

// TestMentionsStatementCount: a page of notes with their mentions costs
// as many statements for 2 notes as for 8.
func TestMentionsStatementCount(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	var ids []string
	for i := range 3 {
		id, _ := newAgent(t, s, admin, fmt.Sprintf("a%d@example.com", i), "AGENT")
		ids = append(ids, id)
	}
	for i := range 8 {
		note(t, s, admin, conv, fmt.Sprint("note ", i), ids[i%3], ids[(i+1)%3])
	}
	const q = `query($c: ID!, $n: Int!) { node(id: $c) { ... on Conversation { messages(last: $n) { edges { node { id mentions { id name } } } } } } }`
	count := func(n int) int64 {
		before := s.Statements.Load()
		r := s.Do(t, admin, q, map[string]any{"c": conv, "n": n})
		if r.Status != 200 || len(r.Errors) > 0 {
			t.Fatalf("query: %+v", r.Errors)
		}
		if got := strings.Count(string(r.Data), `"mentions":[{`); got != n {
			t.Fatalf("%d messages with mentions, want %d: %s", got, n, r.Data)
		}
		return s.Statements.Load() - before
	}
	if small, large := count(2), count(8); small != large {
		t.Errorf("2 notes cost %d statements, 8 cost %d: an N+1 in Message.mentions", small, large)
	}
}
