package server_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/viewer"
)

const timelineQuery = `query($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor) {
	node(id: $id) { ... on Customer { timeline(first: $first, after: $after, last: $last, before: $before) {
		totalCount
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node {
			__typename id occurredAt
			... on MessageEntry { message { id body private channel { id } conversation { id } } }
			... on ConversationActivity { activityKind deprecatedKind: kind reason conversation { id } actor { id } agent { id } team { id } }
			... on MergeEntry { mergeKind deprecatedMergeKind: kind merge { id } }
		} }
	} } }
}`

type timelinePage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   timelineNode
	}
}

type timelineNode struct {
	Typename   string `json:"__typename"`
	ID         string
	OccurredAt time.Time
	Message    *struct {
		ID, Body     string
		Private      bool
		Channel      struct{ ID string }
		Conversation struct{ ID string }
	}
	ActivityKind string
	// The deprecated kind fields, which must keep answering the same.
	DeprecatedKind, DeprecatedMergeKind string
	Reason                              *string
	Conversation                        *struct{ ID string }
	Actor, Agent                        *struct{ ID string }
	MergeKind                           string
	Merge                               *struct{ ID string }
}

// String names an entry for comparisons: "message <body>", "<KIND> <conversation>", "merge <KIND>".
func (n timelineNode) String() string {
	switch n.Typename {
	case "MessageEntry":
		return "message " + n.Message.Body
	case "ConversationActivity":
		if n.DeprecatedKind != n.ActivityKind {
			return "kind " + n.DeprecatedKind + " != activityKind " + n.ActivityKind
		}
		return n.ActivityKind + " " + n.Conversation.ID
	default:
		if n.DeprecatedMergeKind != n.MergeKind {
			return "kind " + n.DeprecatedMergeKind + " != mergeKind " + n.MergeKind
		}
		return "merge " + n.MergeKind
	}
}

func (p timelinePage) names() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.String()
	}
	return out
}

// timeline fetches one page of a customer's timeline; args are first,
// after, last, before (nil or absent ones left out).
func timeline(t *testing.T, s *testenv.Server, tok, customer string, args map[string]any) timelinePage {
	t.Helper()
	vars := map[string]any{"id": customer}
	for k, v := range args {
		if v != nil {
			vars[k] = v
		}
	}
	var out struct {
		Node struct{ Timeline timelinePage }
	}
	s.MustDo(t, tok, timelineQuery, vars, &out)
	return out.Node.Timeline
}

// timelineFixture is a customer who wrote in on one channel (webhooks)
// and was written to on another (an agent started a conversation), with
// a note, assignments, a resolve and reopens on both.
type timelineFixture struct {
	s            *testenv.Server
	tok, admin   string
	customer     string
	chA          apiChannel
	convA, convB string
	chBID        string
	want         []string // the timeline, oldest first
	posted       int      // inbound messages so far
}

func newTimelineFixture(t *testing.T) *timelineFixture {
	s := testenv.New(t)
	f := &timelineFixture{s: s, tok: s.AdminToken(t)}
	var v struct{ Viewer struct{ ID string } }
	s.MustDo(t, f.tok, `{ viewer { id } }`, nil, &v)
	f.admin = v.Viewer.ID
	f.chA = createAPIChannel(t, s, f.tok, "")
	f.chBID = createAPIChannel(t, s, f.tok, "").ID

	f.convA = f.inbound(t, "hi from A")
	var c struct {
		Node struct{ Customer struct{ ID string } }
	}
	s.MustDo(t, f.tok, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { id } } } }`, map[string]any{"id": f.convA}, &c)
	f.customer = c.Node.Customer.ID
	f.want = []string{"OPENED " + f.convA, "message hi from A"}

	addressable(t, s, f.tok, f.customer)
	var started struct{ StartConversation struct{ ID string } }
	s.MustDo(t, f.tok, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"customerID": f.customer, "channelID": f.chBID, "body": "hello on B",
	}}, &started)
	f.convB = started.StartConversation.ID
	f.want = append(f.want, "OPENED "+f.convB, "message hello on B")

	f.inbound(t, "second on A")
	f.note(t, f.convA, "VIP")
	f.assign(t, f.convA, &f.admin)
	f.status(t, f.convA, "RESOLVED")
	f.inbound(t, "back on A") // reopens A
	f.want = append(f.want, "message second on A", "message VIP", "ASSIGNED "+f.convA, "RESOLVED "+f.convA,
		"REOPENED "+f.convA, "message back on A")
	f.status(t, f.convB, "RESOLVED")
	f.status(t, f.convB, "PENDING")
	f.assign(t, f.convB, &f.admin)
	f.assign(t, f.convB, nil)
	f.want = append(f.want, "RESOLVED "+f.convB, "REOPENED "+f.convB, "ASSIGNED "+f.convB, "UNASSIGNED "+f.convB)
	return f
}

func (f *timelineFixture) inbound(t *testing.T, text string) string {
	t.Helper()
	f.posted++
	code, out := post(t, f.chA.WebhookURL, apiSecret, time.Now(), inboundPayload(fmt.Sprint("m", f.posted), "dana", text))
	if code != 200 || out["conversationID"] == "" {
		t.Fatalf("inbound %q = %d %v", text, code, out)
	}
	return out["conversationID"]
}

func (f *timelineFixture) note(t *testing.T, conv, body string) {
	t.Helper()
	f.s.MustDo(t, f.tok, `mutation($c: ID!, $b: String!) { sendMessage(input: {conversationID: $c, body: $b, private: true}) { id } }`,
		map[string]any{"c": conv, "b": body}, &struct{}{})
}

func (f *timelineFixture) assign(t *testing.T, conv string, agent *string) {
	t.Helper()
	f.s.MustDo(t, f.tok, `mutation($c: ID!, $a: ID) { assignConversation(id: $c, agentID: $a) { id } }`,
		map[string]any{"c": conv, "a": agent}, &struct{}{})
}

func (f *timelineFixture) status(t *testing.T, conv, status string) {
	t.Helper()
	f.s.MustDo(t, f.tok, `mutation($c: ID!, $s: ConversationStatus!) { setConversationStatus(id: $c, status: $s) { id } }`,
		map[string]any{"c": conv, "s": status}, &struct{}{})
}

// reply sends an agent's message on B, now: the newest entry.
func (f *timelineFixture) reply(t *testing.T, body string) {
	t.Helper()
	f.s.Send(t, f.tok, f.convB, body)
	f.want = append(f.want, "message "+body)
}

// TestTimelineOrder: one chronological history across both channels, with
// the right entry types and the details of each step.
func TestTimelineOrder(t *testing.T) {
	f := newTimelineFixture(t)
	p := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": 100})
	if got := p.names(); !reflect.DeepEqual(got, f.want) {
		t.Fatalf("timeline =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(f.want, "\n  "))
	}
	if p.TotalCount != len(f.want) || p.PageInfo.HasNextPage || p.PageInfo.HasPreviousPage {
		t.Errorf("totalCount %d, pageInfo %+v; want %d and no more pages", p.TotalCount, p.PageInfo, len(f.want))
	}
	ids := map[string]bool{}
	for i, e := range p.Edges {
		n := e.Node
		if ids[n.ID] {
			t.Errorf("entry id %s twice", n.ID)
		}
		ids[n.ID] = true
		if i > 0 && n.OccurredAt.Before(p.Edges[i-1].Node.OccurredAt) {
			t.Errorf("entry %d (%s) at %s is before the one ahead of it", i, n, n.OccurredAt)
		}
		switch {
		case n.Message != nil:
			if n.ID == n.Message.ID {
				t.Errorf("MessageEntry id %s is its message's id", n.ID)
			}
			wantCh, wantConv := f.chA.ID, f.convA
			if strings.HasSuffix(n.Message.Body, "on B") {
				wantCh, wantConv = f.chBID, f.convB
			}
			if n.Message.Channel.ID != wantCh || n.Message.Conversation.ID != wantConv || n.Message.Private != (n.Message.Body == "VIP") {
				t.Errorf("%s: %+v", n, *n.Message)
			}
		case n.ActivityKind == "ASSIGNED":
			if n.Reason == nil || *n.Reason != "MANUAL" || n.Agent == nil || n.Agent.ID != f.admin || n.Actor == nil || n.Actor.ID != f.admin {
				t.Errorf("%s: reason %v agent %v actor %v, want MANUAL by and to the admin", n, n.Reason, n.Agent, n.Actor)
			}
		case n.ActivityKind == "OPENED" && n.Conversation.ID == f.convA, n.ActivityKind == "REOPENED" && n.Conversation.ID == f.convA:
			if n.Actor != nil {
				t.Errorf("%s by a customer's message has actor %v, want none", n, n.Actor)
			}
		case n.Typename == "ConversationActivity":
			if n.Actor == nil || n.Actor.ID != f.admin || n.Agent != nil || n.Reason != nil {
				t.Errorf("%s: actor %v agent %v reason %v, want the admin only", n, n.Actor, n.Agent, n.Reason)
			}
		}
	}
}

// TestTimelinePages: first: 2 forward and last: 2 backward walk the same
// history, each page ending where the next begins.
func TestTimelinePages(t *testing.T) {
	f := newTimelineFixture(t)
	var forward []string
	var after any
	for pages := 0; ; pages++ {
		p := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": 2, "after": after})
		if len(p.Edges) > 2 || pages > len(f.want) {
			t.Fatalf("page %d has %d entries", pages, len(p.Edges))
		}
		forward = append(forward, p.names()...)
		if p.PageInfo.HasPreviousPage != (after != nil) {
			t.Errorf("forward page %d: hasPreviousPage %v", pages, p.PageInfo.HasPreviousPage)
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		after = *p.PageInfo.EndCursor
	}
	var backward []string
	var before any
	for pages := 0; ; pages++ {
		p := timeline(t, f.s, f.tok, f.customer, map[string]any{"last": 2, "before": before})
		if len(p.Edges) > 2 || pages > len(f.want) {
			t.Fatalf("page %d has %d entries", pages, len(p.Edges))
		}
		backward = append(p.names(), backward...)
		if !p.PageInfo.HasPreviousPage {
			break
		}
		before = *p.PageInfo.StartCursor
	}
	if !reflect.DeepEqual(forward, f.want) || !reflect.DeepEqual(backward, f.want) {
		t.Fatalf("forward\n  %s\nbackward\n  %s\nwant\n  %s", strings.Join(forward, "\n  "),
			strings.Join(backward, "\n  "), strings.Join(f.want, "\n  "))
	}
}

// TestTimelineStableUnderInserts: entries recorded while a client pages
// show up once, at the end; an entry recorded with an older time (an
// import) never shifts the pages after a cursor.
func TestTimelineStableUnderInserts(t *testing.T) {
	f := newTimelineFixture(t)
	var seen, imported []string
	var after any
	for pages := 0; ; pages++ {
		p := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": 3, "after": after})
		seen = append(seen, p.names()...)
		if pages < 3 {
			f.reply(t, fmt.Sprint("new ", pages))
			imported = append(imported, f.backdate(t, fmt.Sprint("old ", pages)))
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		after = *p.PageInfo.EndCursor
	}
	if want := f.want[len(imported):]; !reflect.DeepEqual(seen, want) || !reflect.DeepEqual(f.want[:len(imported)], imported) {
		t.Fatalf("paged while inserting:\n  %s\nwant\n  %s", strings.Join(seen, "\n  "), strings.Join(want, "\n  "))
	}

	// Backward: the pages before a cursor stay what they were.
	all := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": 100})
	last := timeline(t, f.s, f.tok, f.customer, map[string]any{"last": 4})
	f.reply(t, "newest")
	prev := timeline(t, f.s, f.tok, f.customer, map[string]any{"last": 4, "before": *last.PageInfo.StartCursor})
	n := len(all.Edges)
	if got, want := prev.names(), all.names()[n-8:n-4]; !reflect.DeepEqual(got, want) {
		t.Errorf("page before the last one = %v, want %v", got, want)
	}
	if p := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": 100}); p.TotalCount != n+1 || len(p.Edges) != n+1 ||
		!slices.Contains(p.names()[:4], "message old 0") {
		t.Errorf("timeline after inserts: %d entries, totalCount %d: %v", len(p.Edges), p.TotalCount, p.names())
	}
}

// backdate stores a message on A as if imported from before the history
// began: it sorts before every entry and every cursor handed out so far,
// after the ones imported before it.
func (f *timelineFixture) backdate(t *testing.T, body string) string {
	t.Helper()
	c := f.s.App.Client
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	conv, err := c.Conversation.Get(ctx, gid.ID(f.convA))
	if err != nil {
		t.Fatal(err)
	}
	imported := 0
	for _, w := range f.want {
		if strings.HasPrefix(w, "message old ") {
			imported++
		}
	}
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(imported) * time.Millisecond)
	ctx = viewer.NewContext(ctx, viewer.System(conv.WorkspaceID))
	err = c.Message.Create().SetConversationID(conv.ID).SetChannelID(conv.ChannelID).SetCustomerID(conv.CustomerID).
		SetDirection("INBOUND").SetSenderKind("CUSTOMER").SetBody(body).SetCreatedAt(at).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.want = slices.Insert(f.want, imported, "message "+body)
	return "message " + body
}

// TestTimelineMerges: a merge of the customer shows as MERGED at its time
// and, once undone, UNMERGED at that time, on both customers' timelines.
func TestTimelineMerges(t *testing.T) {
	f := newTimelineFixture(t)
	var other struct{ CreateCustomer struct{ ID string } }
	f.s.MustDo(t, f.tok, `mutation { createCustomer(input: {name: "Other"}) { id } }`, nil, &other)

	c := f.s.App.Client
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	cust, err := c.Customer.Get(ctx, gid.ID(f.customer))
	if err != nil {
		t.Fatal(err)
	}
	ctx = viewer.NewContext(ctx, viewer.System(cust.WorkspaceID))
	now := time.Now().UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds
	merge, err := c.CustomerMerge.Create().SetPrimaryID(cust.ID).SetSecondaryID(gid.ID(other.CreateCustomer.ID)).
		SetMergedAt(now).SetUnmergedAt(now.Add(time.Second)).SetSnapshot(&schematype.MergeSnapshot{}).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := append(f.want, "merge MERGED", "merge UNMERGED")
	p := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": 100})
	if !reflect.DeepEqual(p.names(), want) || p.TotalCount != len(want) {
		t.Fatalf("timeline = %v (totalCount %d), want %v", p.names(), p.TotalCount, want)
	}
	m, u := p.Edges[len(want)-2].Node, p.Edges[len(want)-1].Node
	if m.Merge.ID != string(merge.ID) || u.Merge.ID != string(merge.ID) || m.ID == u.ID || m.ID == string(merge.ID) ||
		!m.OccurredAt.Equal(merge.MergedAt) || !u.OccurredAt.Equal(*merge.UnmergedAt) {
		t.Errorf("merge entries %+v %+v for merge %s at %s/%s", m, u, merge.ID, merge.MergedAt, merge.UnmergedAt)
	}
	q := timeline(t, f.s, f.tok, other.CreateCustomer.ID, map[string]any{"last": 1})
	if got := q.names(); !reflect.DeepEqual(got, []string{"merge UNMERGED"}) || q.TotalCount != 2 || !q.PageInfo.HasPreviousPage {
		t.Errorf("secondary's timeline = %v, totalCount %d, %+v", got, q.TotalCount, q.PageInfo)
	}
}

// TestTimelineIsolationAndInput: another workspace's customer is not
// found; bad arguments are INVALID_INPUT.
func TestTimelineIsolationAndInput(t *testing.T) {
	f := newTimelineFixture(t)
	tokB := f.s.NewWorkspace(t, "other", "b@example.com")
	r := f.s.Do(t, tokB, timelineQuery, map[string]any{"id": f.customer, "first": 5})
	if len(r.Errors) != 0 || string(r.Data) != `{"node":null}` {
		t.Errorf("B's view of A's customer timeline = %s %+v, want node null", r.Data, r.Errors)
	}
	p := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": 1})
	for _, c := range []struct {
		name string
		args map[string]any
		code string
	}{
		{"first and last", map[string]any{"first": 1, "last": 1}, "INVALID_INPUT"},
		{"over 100", map[string]any{"first": 101}, "INVALID_INPUT"},
		{"negative", map[string]any{"last": -1}, "INVALID_INPUT"},
		{"another connection's cursor", map[string]any{"after": f.customersCursor(t)}, "INVALID_INPUT"},
	} {
		vars := map[string]any{"id": f.customer}
		for k, v := range c.args {
			vars[k] = v
		}
		r := f.s.Do(t, f.tok, timelineQuery, vars)
		if codes := r.Codes(); len(codes) != 1 || codes[0] != c.code {
			t.Errorf("%s: errors %+v, want %s", c.name, r.Errors, c.code)
		}
	}
	// A cursor from A's timeline on B's own customer gives B's entries only.
	var own struct{ CreateCustomer struct{ ID string } }
	f.s.MustDo(t, tokB, `mutation { createCustomer(input: {name: "B's"}) { id } }`, nil, &own)
	if q := timeline(t, f.s, tokB, own.CreateCustomer.ID, map[string]any{"after": *p.PageInfo.EndCursor}); len(q.Edges) != 0 || q.TotalCount != 0 {
		t.Errorf("B's customer's timeline = %v", q.names())
	}
}

// customersCursor is a cursor of another connection.
func (f *timelineFixture) customersCursor(t *testing.T) string {
	var out struct {
		Customers struct{ Edges []struct{ Cursor string } }
	}
	f.s.MustDo(t, f.tok, `{ customers(first: 1) { edges { cursor } } }`, nil, &out)
	return out.Customers.Edges[0].Cursor
}

// TestTimelineStatementCount: a page costs the same number of SQL
// statements for a few entries of every kind as for many more.
func TestTimelineStatementCount(t *testing.T) {
	f := newTimelineFixture(t)
	few := len(f.want) // every kind of entry, with actors and assignees
	for i := 0; i < 30; i++ {
		f.reply(t, fmt.Sprint("more ", i))
	}
	count := func(first int) int64 {
		before := f.s.Statements.Load()
		if p := timeline(t, f.s, f.tok, f.customer, map[string]any{"first": first}); len(p.Edges) != first {
			t.Fatalf("page of %d has %d entries", first, len(p.Edges))
		}
		return f.s.Statements.Load() - before
	}
	small, large := count(few), count(few+30)
	t.Logf("statements: %d entries %d, %d entries %d", few, small, few+30, large)
	if small != large {
		t.Errorf("%d entries cost %d statements but %d cost %d: an N+1 crept in", few, small, few+30, large)
	}
}
