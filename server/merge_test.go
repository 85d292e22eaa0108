package server_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// customerState is everything a customer has, in a comparable form.
type customerState struct {
	ID, Name, Notes  string
	AvatarURL        string
	Vip              bool
	CustomAttributes map[string]any
	MergedIntoID     *string
	Tags             []string
	Identities       []string
	Conversations    []string
}

const customerStateQuery = `query($id: ID!) { customers(first: 100) { edges { node { id } } }
	node: nodes(ids: [$id]) { ... on Customer { id name notes avatarURL vip customAttributes mergedIntoID
		tags { id } identities { id kind value verified }
		conversations(first: 100) { edges { node { id } } } } } }`

// snapshotCustomer reads a customer straight from the database's view of
// the API (node follows merges, so tombstones are read by their own id
// through the customers' raw rows).
func snapshotCustomer(t *testing.T, s *testenv.Server, token, id string) customerState {
	t.Helper()
	var out struct {
		Node []struct {
			ID, Name, Notes, AvatarURL string
			Vip                        bool
			CustomAttributes           map[string]any
			MergedIntoID               *string
			Tags                       []struct{ ID string }
			Identities                 []struct {
				ID, Kind, Value string
				Verified        bool
			}
			Conversations struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}
	s.MustDo(t, token, customerStateQuery, map[string]any{"id": id}, &out)
	n := out.Node[0]
	st := customerState{ID: n.ID, Name: n.Name, Notes: n.Notes, AvatarURL: n.AvatarURL, Vip: n.Vip,
		CustomAttributes: n.CustomAttributes, MergedIntoID: n.MergedIntoID}
	for _, t := range n.Tags {
		st.Tags = append(st.Tags, t.ID)
	}
	for _, i := range n.Identities {
		b, _ := json.Marshal(i)
		st.Identities = append(st.Identities, string(b))
	}
	for _, e := range n.Conversations.Edges {
		st.Conversations = append(st.Conversations, e.Node.ID)
	}
	sort.Strings(st.Tags)
	sort.Strings(st.Identities)
	sort.Strings(st.Conversations)
	return st
}

// mergeFixture makes two customers with conversations, tags, attributes,
// notes and identities: Ann (created in the agent console) and a website
// visitor who says she is Ann.
func mergeFixture(t *testing.T, s *testenv.Server, admin string) (ann, visitorCustomer string) {
	t.Helper()
	for _, def := range []string{`{name: "plan", type: STRING}`, `{name: "orders", type: NUMBER}`, `{name: "since", type: DATE}`} {
		s.MustDo(t, admin, `mutation { createAttributeDefinition(input: `+def+`) { id } }`, nil, nil)
	}
	var tags struct {
		A, B, C struct{ ID string }
	}
	s.MustDo(t, admin, `mutation { a: createTag(input: {name: "gold"}) { id } b: createTag(input: {name: "churn-risk"}) { id } c: createTag(input: {name: "wholesale"}) { id } }`, nil, &tags)
	var c struct{ CreateCustomer struct{ ID string } }
	s.MustDo(t, admin, `mutation($tags: [ID!]) { createCustomer(input: {name: "Ann Lee", notes: "prefers email", tagIDs: $tags,
		customAttributes: {plan: "pro", orders: 3}}) { id } }`, map[string]any{"tags": []string{tags.A.ID, tags.B.ID}}, &c)
	ann = c.CreateCustomer.ID
	var ch struct{ CreateChannel struct{ ID string } }
	s.MustDo(t, admin, `mutation { createChannel(input: {kind: "api", name: "Shop"}) { id } }`, nil, &ch)
	addressable(t, s, admin, ann)
	s.MustDo(t, admin, `mutation($c: ID!, $ch: ID!) { startConversation(input: {customerID: $c, channelID: $ch, body: "Your order shipped"}) { id } }`,
		map[string]any{"c": ann, "ch": ch.CreateChannel.ID}, nil)

	// The visitor: a web chat customer with claims and a conversation.
	_, key := webChannel(t, s, admin)
	v := startVisitor(t, s, "", key, map[string]any{"name": "Ann L.", "email": "ann@example.com"})
	visitorSays(t, s, v.Token, "Where is my refund?")
	var conv struct{ VisitorConversation struct{ ID string } }
	s.MustDo(t, v.Token, `{ visitorConversation { id } }`, nil, &conv)
	var who struct {
		Node struct{ Customer struct{ ID string } }
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { id } } } }`, map[string]any{"id": conv.VisitorConversation.ID}, &who)
	visitorCustomer = who.Node.Customer.ID
	s.MustDo(t, admin, `mutation($id: ID!, $tags: [ID!]) { updateCustomer(id: $id, input: {vip: true, notes: "called twice",
		addTagIDs: $tags, customAttributes: {plan: "basic", since: "2024-02-29"}}) { id } }`,
		map[string]any{"id": visitorCustomer, "tags": []string{tags.B.ID, tags.C.ID}}, nil)
	return ann, visitorCustomer
}

// TestMergeAndUnmerge: a merge moves conversations, identities, tags and
// notes to the primary, keeps the primary's conflicting attributes and
// records the secondary's, and leaves the secondary's id resolving to the
// primary; unmerging restores both customers exactly.
func TestMergeAndUnmerge(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	ann, dup := mergeFixture(t, s, admin)
	beforeAnn, beforeDup := snapshotCustomer(t, s, admin, ann), snapshotCustomer(t, s, admin, dup)

	ws, err := s.DialWS(t, admin, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(`subscription { customerChanged { cursor type customer { id } merge { id } } }`, nil)
	s.WaitSubscribers(t, 1)

	var merged struct {
		MergeCustomers struct {
			ID                    string
			MergedAt              string
			Primary, Secondary    struct{ ID string }
			MergedBy              *struct{ ID string }
			MovedConversations    []struct{ ID string }
			ConflictingAttributes map[string]any
		}
	}
	s.MustDo(t, admin, `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) {
		id mergedAt primary { id } secondary { id } mergedBy { id } movedConversations { id } conflictingAttributes } }`,
		map[string]any{"p": ann, "s": dup}, &merged)
	m := merged.MergeCustomers
	if m.Primary.ID != ann || m.Secondary.ID != dup || m.MergedBy == nil || m.MergedAt == "" ||
		len(m.MovedConversations) != 1 || !reflect.DeepEqual(m.ConflictingAttributes, map[string]any{"plan": "basic"}) {
		t.Fatalf("merge: %+v", m)
	}

	after := snapshotCustomer(t, s, admin, ann)
	if len(after.Conversations) != 2 || len(after.Identities) != len(beforeAnn.Identities)+len(beforeDup.Identities) {
		t.Fatalf("primary after the merge: %+v", after)
	}
	if !after.Vip || after.CustomAttributes["plan"] != "pro" || after.CustomAttributes["since"] != "2024-02-29" ||
		!strings.Contains(after.Notes, "prefers email") || !strings.Contains(after.Notes, "called twice") || len(after.Tags) != 3 {
		t.Fatalf("primary after the merge: %+v", after)
	}
	// The secondary's id resolves to the primary; lists leave it out.
	var node struct{ Node struct{ ID string } }
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": dup}, &node)
	if node.Node.ID != ann {
		t.Fatalf("node(secondary) = %q, want the primary %q", node.Node.ID, ann)
	}
	var list struct{ Customers struct{ TotalCount int } }
	s.MustDo(t, admin, `{ customers { totalCount } }`, nil, &list)
	if list.Customers.TotalCount != 1 {
		t.Fatalf("%d customers listed after the merge, want 1", list.Customers.TotalCount)
	}
	var ev struct {
		CustomerChanged struct {
			Type     string
			Customer struct{ ID string }
			Merge    *struct{ ID string }
		}
	}
	sub.Next(t, &ev)
	if e := ev.CustomerChanged; e.Type != "MERGED" || e.Customer.ID != ann || e.Merge == nil || e.Merge.ID != m.ID {
		t.Fatalf("customerChanged after the merge: %+v", e)
	}

	// Refusals change nothing.
	for _, c := range []struct{ p, s, code string }{
		{ann, ann, "INVALID_INPUT"},
		{dup, ann, "CONFLICT"}, // into a tombstone
		{ann, dup, "CONFLICT"}, // a tombstone again
	} {
		r := s.Do(t, admin, `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) { id } }`, map[string]any{"p": c.p, "s": c.s})
		if codes := r.Codes(); !slices.Equal(codes, []string{c.code}) {
			t.Errorf("merge %s into %s: %v, want %s", c.s, c.p, codes, c.code)
		}
	}

	var un struct{ UnmergeCustomer []struct{ ID string } }
	s.MustDo(t, admin, `mutation($m: ID!) { unmergeCustomer(mergeID: $m) { id } }`, map[string]any{"m": m.ID}, &un)
	if len(un.UnmergeCustomer) != 2 {
		t.Fatalf("unmerge returned %+v", un)
	}
	if got := snapshotCustomer(t, s, admin, ann); !reflect.DeepEqual(got, beforeAnn) {
		t.Errorf("primary after unmerge:\n got %+v\nwant %+v", got, beforeAnn)
	}
	if got := snapshotCustomer(t, s, admin, dup); !reflect.DeepEqual(got, beforeDup) {
		t.Errorf("secondary after unmerge:\n got %+v\nwant %+v", got, beforeDup)
	}
	sub.Next(t, &ev)
	if e := ev.CustomerChanged; e.Type != "UNMERGED" || e.Customer.ID != dup || e.Merge == nil || e.Merge.ID != m.ID {
		t.Fatalf("customerChanged after the unmerge: %+v", e)
	}
	r := s.Do(t, admin, `mutation($m: ID!) { unmergeCustomer(mergeID: $m) { id } }`, map[string]any{"m": m.ID})
	if codes := r.Codes(); !slices.Equal(codes, []string{"CONFLICT"}) {
		t.Fatalf("unmerging twice: %v", codes)
	}
}

// TestUnmergeConflicts: an unmerge that cannot restore the secondary
// exactly is refused with CONFLICT naming why, and changes nothing.
func TestUnmergeConflicts(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	ann, dup := mergeFixture(t, s, admin)
	var third struct{ CreateCustomer struct{ ID string } }
	s.MustDo(t, admin, `mutation { createCustomer(input: {name: "Third"}) { id } }`, nil, &third)
	merge := func(p, sec string) string {
		t.Helper()
		var out struct{ MergeCustomers struct{ ID string } }
		s.MustDo(t, admin, `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) { id } }`, map[string]any{"p": p, "s": sec}, &out)
		return out.MergeCustomers.ID
	}
	first := merge(ann, dup)
	second := merge(third.CreateCustomer.ID, ann) // the primary is merged on
	before := snapshotCustomer(t, s, admin, third.CreateCustomer.ID)
	r := s.Do(t, admin, `mutation($m: ID!) { unmergeCustomer(mergeID: $m) { id } }`, map[string]any{"m": first})
	if codes := r.Codes(); !slices.Equal(codes, []string{"CONFLICT"}) || !strings.Contains(r.Errors[0].Message, ann) {
		t.Fatalf("unmerge under a later merge: %v %+v", codes, r.Errors)
	}
	if got := snapshotCustomer(t, s, admin, third.CreateCustomer.ID); !reflect.DeepEqual(got, before) {
		t.Fatal("a refused unmerge changed the customer")
	}
	// Undoing the later merge first makes the earlier one possible.
	s.MustDo(t, admin, `mutation($m: ID!) { unmergeCustomer(mergeID: $m) { id } }`, map[string]any{"m": second}, nil)
	s.MustDo(t, admin, `mutation($m: ID!) { unmergeCustomer(mergeID: $m) { id } }`, map[string]any{"m": first}, nil)
}

// TestMergeAcrossWorkspaces: another workspace's customers are not found,
// as the primary or the secondary, and nothing changes.
func TestMergeAcrossWorkspaces(t *testing.T) {
	s := testenv.New(t, testenv.SignupOpen)
	admin := s.AdminToken(t)
	var mine struct{ A, B struct{ ID string } }
	s.MustDo(t, admin, `mutation { a: createCustomer(input: {name: "A"}) { id } b: createCustomer(input: {name: "B"}) { id } }`, nil, &mine)
	other := s.NewWorkspace(t, "Other", "boss@other.example")
	var theirs struct{ CreateCustomer struct{ ID string } }
	s.MustDo(t, other, `mutation { createCustomer(input: {name: "Theirs"}) { id } }`, nil, &theirs)
	for _, c := range [][2]string{{mine.A.ID, theirs.CreateCustomer.ID}, {theirs.CreateCustomer.ID, mine.A.ID}} {
		r := s.Do(t, admin, `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) { id } }`, map[string]any{"p": c[0], "s": c[1]})
		if codes := r.Codes(); !slices.Equal(codes, []string{"NOT_FOUND"}) {
			t.Errorf("merge %v: %v", c, codes)
		}
	}
	var m struct{ MergeCustomers struct{ ID string } }
	s.MustDo(t, admin, `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) { id } }`, map[string]any{"p": mine.A.ID, "s": mine.B.ID}, &m)
	r := s.Do(t, other, `mutation($m: ID!) { unmergeCustomer(mergeID: $m) { id } }`, map[string]any{"m": m.MergeCustomers.ID})
	if codes := r.Codes(); !slices.Equal(codes, []string{"NOT_FOUND"}) {
		t.Errorf("unmerge of another workspace's merge: %v", codes)
	}
	var list struct{ Customers struct{ TotalCount int } }
	s.MustDo(t, other, `{ customers { totalCount } }`, nil, &list)
	if list.Customers.TotalCount != 1 {
		t.Errorf("the other workspace has %d customers", list.Customers.TotalCount)
	}
}
