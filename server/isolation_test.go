package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// Workspace isolation: every id of workspace A is invisible and immutable
// from workspace B, through node, nodes, connections, filters and every
// mutation, also as a referenced id; and an id of A behaves exactly like a
// well-formed id that never existed.

// wsIDs are the ids of one seeded workspace.
type wsIDs struct {
	Workspace, Admin, Agent, Team, Tag, Customer, Channel, Conversation, Message, APIToken string
	// Secret is an ADMIN-scoped API token of the workspace.
	Secret string
}

// named lists the ids with the placeholder names the tables use.
func (w wsIDs) named() map[string]string {
	return map[string]string{
		"wsp": w.Workspace, "adm": w.Admin, "agt": w.Agent, "team": w.Team, "tag": w.Tag,
		"cus": w.Customer, "chn": w.Channel, "cnv": w.Conversation, "msg": w.Message, "tok": w.APIToken,
	}
}

func (w wsIDs) list() []string {
	var out []string
	for _, id := range w.named() {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// fake returns a fake of the workspace: the same ids with their last
// characters changed, well formed and of the same type but never existing.
func (w wsIDs) fake() wsIDs {
	f := w
	for _, p := range []*string{&f.Workspace, &f.Admin, &f.Agent, &f.Team, &f.Tag, &f.Customer, &f.Channel, &f.Conversation, &f.Message, &f.APIToken} {
		*p = fakeID(*p)
	}
	return f
}

// fakeID changes the last four characters of a real id to other Crockford
// base32 characters.
func fakeID(id string) string {
	suffix := "zzzz"
	if strings.HasSuffix(id, suffix) {
		suffix = "0000"
	}
	return id[:len(id)-len(suffix)] + suffix
}

// expand replaces {name} placeholders with the workspace's ids.
func (w wsIDs) expand(s string) string {
	var pairs []string
	for k, v := range w.named() {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// seedWorkspace fills a workspace through the API: a second agent in a
// team, a tag, a tagged customer, a channel routed to the team, an assigned
// and tagged conversation with a message, and an API token. Both
// workspaces get the same names, so names collide across them.
func seedWorkspace(t *testing.T, s *testenv.Server, tok, domain string) wsIDs {
	t.Helper()
	var w wsIDs
	var v struct {
		Viewer struct {
			ID        string
			Workspace struct{ ID string }
		}
	}
	s.MustDo(t, tok, `{ viewer { id workspace { id } } }`, nil, &v)
	w.Admin, w.Workspace = v.Viewer.ID, v.Viewer.Workspace.ID

	var ag struct{ CreateAgent struct{ ID string } }
	s.MustDo(t, tok, `mutation($e: String!) { createAgent(input: {name: "Ada", email: $e, password: "password-ada-1"}) { id } }`,
		map[string]any{"e": "ada@" + domain}, &ag)
	w.Agent = ag.CreateAgent.ID

	var one struct {
		CreateTeam struct{ ID string }
		CreateTag  struct{ ID string }
	}
	s.MustDo(t, tok, `mutation($a: ID!) { createTeam(input: {name: "Support", agentIDs: [$a]}) { id } createTag(input: {name: "vip"}) { id } }`,
		map[string]any{"a": w.Agent}, &one)
	w.Team, w.Tag = one.CreateTeam.ID, one.CreateTag.ID

	var two struct {
		CreateCustomer struct{ ID string }
		CreateChannel  struct{ ID string }
		CreateAPIToken struct {
			Token    string
			APIToken struct{ ID string }
		} `json:"createApiToken"`
	}
	s.MustDo(t, tok, `mutation($tag: ID!, $team: ID!) {
		createCustomer(input: {name: "Ann", tagIDs: [$tag]}) { id }
		createChannel(input: {kind: "api", name: "App", teamID: $team}) { id }
		createApiToken(input: {name: "ci", scopes: [ADMIN]}) { token apiToken { id } } }`,
		map[string]any{"tag": w.Tag, "team": w.Team}, &two)
	w.Customer, w.Channel = two.CreateCustomer.ID, two.CreateChannel.ID
	w.APIToken, w.Secret = two.CreateAPIToken.APIToken.ID, two.CreateAPIToken.Token

	var conv struct {
		StartConversation struct {
			ID          string
			LastMessage struct{ ID string }
		}
	}
	addressable(t, s, tok, w.Customer)
	s.MustDo(t, tok, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id lastMessage { id } } }`,
		map[string]any{"in": map[string]any{"customerID": w.Customer, "channelID": w.Channel, "body": "Hello Ann"}}, &conv)
	w.Conversation, w.Message = conv.StartConversation.ID, conv.StartConversation.LastMessage.ID
	// The channel has no callback: delivery fails, asynchronously; settled
	// before any snapshot is taken.
	waitStatus(t, s, tok, w.Message, "FAILED")
	s.MustDo(t, tok, `mutation($c: ID!, $a: ID!, $tag: ID!) {
		assignConversation(id: $c, agentID: $a) { id } addConversationTags(id: $c, tagIDs: [$tag]) { id } }`,
		map[string]any{"c": w.Conversation, "a": w.Agent, "tag": w.Tag}, &struct{}{})
	return w
}

// isolation is two seeded workspaces on one server.
type isolation struct {
	s    *testenv.Server
	a, b wsIDs
	// tokA is A's admin session; actorsB are B's admin session and B's
	// ADMIN API token, the two kinds of caller.
	tokA    string
	actorsB []actor
}

type actor struct{ name, token string }

func newIsolation(t *testing.T) *isolation {
	t.Helper()
	s := testenv.New(t)
	tokA := s.AdminToken(t)
	tokB := s.NewWorkspace(t, "Beta", "admin@beta.test")
	iso := &isolation{s: s, tokA: tokA}
	iso.a = seedWorkspace(t, s, tokA, "alpha.test")
	iso.b = seedWorkspace(t, s, tokB, "beta.test")
	iso.actorsB = []actor{{"session", tokB}, {"apiToken", iso.b.Secret}}
	return iso
}

// noForeignIDs fails if raw mentions any id of A.
func (iso *isolation) noForeignIDs(t *testing.T, what string, raw []byte) {
	t.Helper()
	for _, id := range iso.a.list() {
		if strings.Contains(string(raw), id) {
			t.Errorf("%s shows A's id %s: %s", what, id, raw)
		}
	}
}

// normalized is a response with the given ids replaced by placeholders, so
// that answers about a foreign id and a never-existing id compare equal.
type normalized struct {
	Status int
	Data   string
	Errors []string
}

func normalize(r *testenv.Response, ids map[string]string) normalized {
	var pairs []string
	for k, v := range ids {
		pairs = append(pairs, v, "<"+k+">")
	}
	rep := strings.NewReplacer(pairs...)
	n := normalized{Status: r.Status, Data: rep.Replace(string(r.Data))}
	for _, e := range r.Errors {
		n.Errors = append(n.Errors, rep.Replace(fmt.Sprintf("%s %v %v %q", e.Code(), e.Extensions["field"], e.Path, e.Message)))
	}
	return n
}

// snapshotFragment reads everything a B request could have changed.
const snapshotFragment = `fragment all on Node { id __typename
	... on Workspace { name slug timezone defaultPhoneRegion updatedAt }
	... on Agent { name email role agentStatus: status active capacity skills { name level } avatarURL updatedAt teams { id } }
	... on Team { name updatedAt agents { id } }
	... on Tag { name color updatedAt }
	... on Customer { customerName: name vip notes avatarURL customAttributes updatedAt tags { id } conversations { totalCount } }
	... on Channel { name enabled channelPriority: priority teamID settings secretFieldsSet workingHours { timezone } updatedAt }
	... on Conversation { customerID channelID assigneeID teamID status convPriority: priority subject lastMessageAt resolvedAt snoozedUntil updatedAt
		tags { id } lastMessage { id } messages { totalCount } }
	... on Message { body private deliveryStatus updatedAt }
	... on ApiToken { name scopes revokedAt updatedAt }
}`

// snapshot returns a workspace's rows and counts as its own admin sees them.
func (iso *isolation) snapshot(t *testing.T, tok string, w wsIDs) json.RawMessage {
	t.Helper()
	var out json.RawMessage
	iso.s.MustDo(t, tok, `query($ids: [ID!]!) { nodes(ids: $ids) { ...all }
		conversations { totalCount } customers { totalCount } channels { totalCount } agents { totalCount }
		teams { totalCount } tags { totalCount } apiTokens { totalCount } }`+snapshotFragment,
		map[string]any{"ids": w.list()}, &out)
	return out
}

// TestIsolationNode: node(id:) from B is null, without error, for every id of
// A, exactly as for a never-existing id; A sees its own.
func TestIsolationNode(t *testing.T) {
	iso := newIsolation(t)
	const q = `query($id: ID!) { node(id: $id) { id } }`
	for name, id := range iso.a.named() {
		var own struct{ Node *struct{ ID string } }
		iso.s.MustDo(t, iso.tokA, q, map[string]any{"id": id}, &own)
		if own.Node == nil || own.Node.ID != id {
			t.Fatalf("A's node(%s) = %+v, want itself", name, own.Node)
		}
		for _, b := range iso.actorsB {
			foreign := iso.s.Do(t, b.token, q, map[string]any{"id": id})
			never := iso.s.Do(t, b.token, q, map[string]any{"id": fakeID(id)})
			if foreign.Status != http.StatusOK || len(foreign.Errors) != 0 || string(foreign.Data) != `{"node":null}` {
				t.Errorf("%s: node(A's %s) = %d %s %+v, want null without errors", b.name, name, foreign.Status, foreign.Data, foreign.Errors)
			}
			if f, n := normalize(foreign, map[string]string{"id": id}), normalize(never, map[string]string{"id": fakeID(id)}); !reflect.DeepEqual(f, n) {
				t.Errorf("%s: node(A's %s) = %+v, but a never-existing id gives %+v", b.name, name, f, n)
			}
		}
	}
}

// TestIsolationNodes: nodes(ids:) from B answers null with NOT_FOUND at the
// index of each id of A, exactly as for never-existing ids, next to B's own.
func TestIsolationNodes(t *testing.T) {
	iso := newIsolation(t)
	const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`
	for _, b := range iso.actorsB {
		for name, id := range iso.a.named() {
			never := fakeID(id)
			r := iso.s.Do(t, b.token, q, map[string]any{"ids": []string{iso.b.Conversation, id, never}})
			want := fmt.Sprintf(`{"nodes":[{"id":%q},null,null]}`, iso.b.Conversation)
			if r.Status != http.StatusOK || string(r.Data) != want {
				t.Errorf("%s: nodes([B's conversation, A's %s, never]) = %d %s, want %s", b.name, name, r.Status, r.Data, want)
			}
			if len(r.Errors) != 2 || r.Errors[0].Code() != "NOT_FOUND" || r.Errors[1].Code() != "NOT_FOUND" {
				t.Fatalf("%s: nodes with A's %s: errors %+v, want NOT_FOUND at indexes 1 and 2", b.name, name, r.Errors)
			}
			// The two errors are the same but for the id and the index.
			e1, e2 := r.Errors[0], r.Errors[1]
			if fmt.Sprint(e1.Path) != "[nodes 1]" || fmt.Sprint(e2.Path) != "[nodes 2]" ||
				strings.ReplaceAll(e1.Message, id, "<id>") != strings.ReplaceAll(e2.Message, never, "<id>") ||
				!reflect.DeepEqual(e1.Extensions, e2.Extensions) {
				t.Errorf("%s: foreign and never-existing %s differ: %+v vs %+v", b.name, name, e1, e2)
			}

			// Alone, a foreign id and a never-existing one get the same answer.
			foreign := iso.s.Do(t, b.token, q, map[string]any{"ids": []string{id}})
			alone := iso.s.Do(t, b.token, q, map[string]any{"ids": []string{never}})
			f, n := normalize(foreign, map[string]string{"id": id}), normalize(alone, map[string]string{"id": never})
			if !reflect.DeepEqual(f, n) || len(f.Errors) != 1 || !strings.HasPrefix(f.Errors[0], "NOT_FOUND ") {
				t.Errorf("%s: nodes([A's %s]) = %+v, nodes([never]) = %+v, want the same NOT_FOUND", b.name, name, f, n)
			}
		}
		// All of A at once.
		ids := iso.a.list()
		r := iso.s.Do(t, b.token, q, map[string]any{"ids": ids})
		want := `{"nodes":[` + strings.TrimSuffix(strings.Repeat("null,", len(ids)), ",") + `]}`
		if string(r.Data) != want || len(r.Errors) != len(ids) {
			t.Errorf("%s: nodes(all of A) = %s with %d errors, want %s with %d", b.name, r.Data, len(r.Errors), want, len(ids))
		}
		for _, e := range r.Errors {
			if e.Code() != "NOT_FOUND" {
				t.Errorf("%s: nodes(all of A) error %+v, want NOT_FOUND", b.name, e)
			}
		}
	}
}

// TestIsolationConnections: every connection from B shows none of A's rows,
// nested edges included, also when its where filter names A's ids; the
// same filters find A's rows for A, and behave for B as never-existing ids.
func TestIsolationConnections(t *testing.T) {
	iso := newIsolation(t)
	conns := []struct {
		field, sel string
		filters    []string
	}{
		{"conversations", `customerID channelID assigneeID customer { id } channel { id } assignee { id } tags { id } lastMessage { id }
			messages { edges { node { id author { id } } } }`, []string{
			`{id: "{cnv}"}`, `{idIn: ["{cnv}"]}`, `{customerID: "{cus}"}`, `{channelID: "{chn}"}`, `{assigneeID: "{agt}"}`,
			`{hasCustomerWith: [{id: "{cus}"}]}`, `{hasChannelWith: [{id: "{chn}"}]}`, `{hasAssigneeWith: [{id: "{agt}"}]}`,
			`{hasTagsWith: [{id: "{tag}"}]}`, `{hasMessagesWith: [{id: "{msg}"}]}`, `{hasLastMessageWith: [{id: "{msg}"}]}`,
			`{or: [{id: "{cnv}"}, {customerID: "{cus}"}]}`,
		}},
		{"customers", `tags { id } conversations { edges { node { id } } }`, []string{
			`{id: "{cus}"}`, `{hasTagsWith: [{id: "{tag}"}]}`, `{hasConversationsWith: [{id: "{cnv}"}]}`,
		}},
		{"channels", `teamID team { id agents { id } }`, []string{
			`{id: "{chn}"}`, `{teamID: "{team}"}`, `{hasTeamWith: [{id: "{team}"}]}`,
		}},
		{"agents", `teams { id }`, []string{
			`{id: "{agt}"}`, `{idIn: ["{adm}", "{agt}"]}`, `{hasTeamsWith: [{id: "{team}"}]}`,
		}},
		{"teams", `agents { id }`, []string{
			`{id: "{team}"}`, `{hasAgentsWith: [{id: "{agt}"}]}`,
		}},
		{"tags", ``, []string{`{id: "{tag}"}`, `{idIn: ["{tag}"]}`}},
		{"apiTokens", `createdByID createdBy { id }`, []string{
			`{id: "{tok}"}`, `{createdByID: "{adm}"}`, `{hasCreatedByWith: [{id: "{adm}"}]}`,
		}},
	}
	type page struct {
		TotalCount int
		Edges      []struct{ Node struct{ ID string } }
	}
	run := func(tok, field, query string) (page, []byte) {
		t.Helper()
		var out map[string]json.RawMessage
		iso.s.MustDo(t, tok, query, nil, &out)
		var p page
		if err := json.Unmarshal(out[field], &p); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return p, out[field]
	}
	for _, c := range conns {
		format := func(where string) string {
			arg := ""
			if where != "" {
				arg = "(where: " + where + ")"
			}
			return fmt.Sprintf(`{ %s%s { totalCount edges { node { id %s } } } }`, c.field, arg, c.sel)
		}
		// Unfiltered: B sees its own rows, and nothing of A's.
		for _, b := range iso.actorsB {
			p, raw := run(b.token, c.field, format(""))
			if p.TotalCount == 0 || p.TotalCount != len(p.Edges) {
				t.Errorf("%s: %s from B: totalCount %d, %d edges, want B's own rows", b.name, c.field, p.TotalCount, len(p.Edges))
			}
			iso.noForeignIDs(t, b.name+": "+c.field, raw)
		}
		for _, f := range c.filters {
			if p, _ := run(iso.tokA, c.field, format(iso.a.expand(f))); p.TotalCount == 0 {
				t.Errorf("%s(where: %s) finds nothing for A: the filter proves nothing", c.field, f)
			}
			for _, b := range iso.actorsB {
				for _, w := range []wsIDs{iso.a, iso.a.fake()} {
					q := format(w.expand(f))
					p, raw := run(b.token, c.field, q)
					if p.TotalCount != 0 || len(p.Edges) != 0 {
						t.Errorf("%s: %s from B = %s, want nothing", b.name, q, raw)
					}
					iso.noForeignIDs(t, b.name+": "+q, raw)
				}
			}
		}
	}

	// A cursor taken from A's connection pages B's own rows only.
	var pa struct {
		Conversations struct{ Edges []struct{ Cursor string } }
	}
	iso.s.MustDo(t, iso.tokA, `{ conversations(first: 1, orderBy: {field: CREATED_AT}) { edges { cursor } } }`, nil, &pa)
	for _, b := range iso.actorsB {
		for _, arg := range []string{"after", "before"} {
			var out json.RawMessage
			iso.s.MustDo(t, b.token, `query($c: Cursor) { conversations(`+arg+`: $c, orderBy: {field: CREATED_AT}) { totalCount edges { node { id } } } }`,
				map[string]any{"c": pa.Conversations.Edges[0].Cursor}, &out)
			iso.noForeignIDs(t, b.name+": conversations("+arg+": A's cursor)", out)
		}
	}
}

// TestIsolationMutations: every mutation that takes an id answers NOT_FOUND
// for an id of A, target or reference alike, exactly as for a never-existing
// id, and changes nothing: A's rows are unchanged afterwards and none of B's
// rows refers to A. Where B's own id fits the slot, the same mutation with it
// succeeds, so the NOT_FOUND is about the id under test.
func TestIsolationMutations(t *testing.T) {
	iso := newIsolation(t)
	a, b := iso.a, iso.b
	before := iso.snapshot(t, iso.tokA, a)
	beforeB := iso.snapshot(t, iso.actorsB[0].token, b)
	iso.noForeignIDs(t, "B before", beforeB)

	// Each case names the id under test $x: A's id, a never-existing one,
	// and B's own (own == "" skips that control). Other variables are B's,
	// or A's where the case attacks A's row with A's references.
	cases := []struct {
		name, query string
		vars        map[string]any
		x, own      string
	}{
		// Targets.
		{"updateCustomer", `mutation($x: ID!) { updateCustomer(id: $x, input: {name: "Mallory", vip: true}) { id } }`, nil, a.Customer, b.Customer},
		{"updateCustomer clearTags", `mutation($x: ID!) { updateCustomer(id: $x, input: {clearTags: true}) { id } }`, nil, a.Customer, ""},
		{"updateCustomer removeTagIDs of A", `mutation($x: ID!, $t: ID!) { updateCustomer(id: $x, input: {removeTagIDs: [$t]}) { id } }`, map[string]any{"t": a.Tag}, a.Customer, ""},
		{"updateChannel", `mutation($x: ID!) { updateChannel(id: $x, input: {name: "Mallory", priority: 9, secrets: {secret: "a-long-enough-secret"}}) { id } }`, nil, a.Channel, b.Channel},
		{"updateChannel clearTeam", `mutation($x: ID!) { updateChannel(id: $x, input: {clearTeam: true}) { id } }`, nil, a.Channel, ""},
		{"updateAgent", `mutation($x: ID!) { updateAgent(id: $x, input: {name: "Mallory", role: ADMIN, capacity: 1}) { id } }`, nil, a.Agent, b.Agent},
		{"updateAgent removeTeamIDs of A", `mutation($x: ID!, $t: ID!) { updateAgent(id: $x, input: {removeTeamIDs: [$t]}) { id } }`, map[string]any{"t": a.Team}, a.Agent, ""},
		{"setAgentSkills", `mutation($x: ID!) { setAgentSkills(id: $x, skills: [{name: "lockpicking", level: 10}]) { id } }`, nil, a.Agent, b.Agent},
		{"updateTeam", `mutation($x: ID!) { updateTeam(id: $x, input: {name: "Mallory"}) { id } }`, nil, a.Team, b.Team},
		{"updateTeam removeAgentIDs of A", `mutation($x: ID!, $ag: ID!) { updateTeam(id: $x, input: {removeAgentIDs: [$ag]}) { id } }`, map[string]any{"ag": a.Agent}, a.Team, ""},
		{"updateTag", `mutation($x: ID!) { updateTag(id: $x, input: {name: "Mallory", color: "#000000"}) { id } }`, nil, a.Tag, b.Tag},
		{"sendMessage", `mutation($x: ID!) { sendMessage(input: {conversationID: $x, body: "hi from B"}) { id } }`, nil, a.Conversation, b.Conversation},
		{"sendMessage private", `mutation($x: ID!) { sendMessage(input: {conversationID: $x, body: "note from B", private: true}) { id } }`, nil, a.Conversation, b.Conversation},
		{"assignConversation to B's agent", `mutation($x: ID!, $ag: ID!) { assignConversation(id: $x, agentID: $ag) { id } }`, map[string]any{"ag": b.Agent}, a.Conversation, b.Conversation},
		{"assignConversation unassign", `mutation($x: ID!) { assignConversation(id: $x, agentID: null) { id } }`, nil, a.Conversation, ""},
		{"setConversationStatus", `mutation($x: ID!) { setConversationStatus(id: $x, status: RESOLVED) { id } }`, nil, a.Conversation, ""},
		{"setConversationPriority", `mutation($x: ID!) { setConversationPriority(id: $x, priority: URGENT) { id } }`, nil, a.Conversation, b.Conversation},
		{"addConversationTags B's tag", `mutation($x: ID!, $t: ID!) { addConversationTags(id: $x, tagIDs: [$t]) { id } }`, map[string]any{"t": b.Tag}, a.Conversation, b.Conversation},
		{"removeConversationTags on A's conversation", `mutation($x: ID!, $t: ID!) { removeConversationTags(id: $x, tagIDs: [$t]) { id } }`, map[string]any{"t": a.Tag}, a.Conversation, ""},
		{"updateWorkspace", `mutation($x: ID!) { updateWorkspace(id: $x, input: {name: "Mallory", slug: "mallory"}) { id } }`, nil, a.Workspace, ""},

		// References: B's row, A's id.
		{"startConversation A's customer", `mutation($x: ID!, $ch: ID!) { startConversation(input: {customerID: $x, channelID: $ch, body: "hi"}) { id } }`, map[string]any{"ch": b.Channel}, a.Customer, b.Customer},
		{"startConversation A's channel", `mutation($x: ID!, $cu: ID!) { startConversation(input: {customerID: $cu, channelID: $x, body: "hi"}) { id } }`, map[string]any{"cu": b.Customer}, a.Channel, b.Channel},
		{"assignConversation A's agent", `mutation($x: ID!, $c: ID!) { assignConversation(id: $c, agentID: $x) { id } }`, map[string]any{"c": b.Conversation}, a.Agent, b.Admin},
		{"addConversationTags A's tag", `mutation($x: ID!, $c: ID!) { addConversationTags(id: $c, tagIDs: [$x]) { id } }`, map[string]any{"c": b.Conversation}, a.Tag, b.Tag},
		{"removeConversationTags A's tag", `mutation($x: ID!, $c: ID!) { removeConversationTags(id: $c, tagIDs: [$x]) { id } }`, map[string]any{"c": b.Conversation}, a.Tag, b.Tag},
		{"updateCustomer addTagIDs", `mutation($x: ID!, $cu: ID!) { updateCustomer(id: $cu, input: {addTagIDs: [$x]}) { id } }`, map[string]any{"cu": b.Customer}, a.Tag, b.Tag},
		{"updateCustomer removeTagIDs", `mutation($x: ID!, $cu: ID!) { updateCustomer(id: $cu, input: {removeTagIDs: [$x]}) { id } }`, map[string]any{"cu": b.Customer}, a.Tag, b.Tag},
		{"updateChannel teamID", `mutation($x: ID!, $ch: ID!) { updateChannel(id: $ch, input: {teamID: $x}) { id } }`, map[string]any{"ch": b.Channel}, a.Team, b.Team},
		{"updateAgent addTeamIDs", `mutation($x: ID!, $ag: ID!) { updateAgent(id: $ag, input: {addTeamIDs: [$x]}) { id } }`, map[string]any{"ag": b.Agent}, a.Team, b.Team},
		{"updateAgent removeTeamIDs", `mutation($x: ID!, $ag: ID!) { updateAgent(id: $ag, input: {removeTeamIDs: [$x]}) { id } }`, map[string]any{"ag": b.Agent}, a.Team, b.Team},
		{"updateTeam addAgentIDs", `mutation($x: ID!, $tm: ID!) { updateTeam(id: $tm, input: {addAgentIDs: [$x]}) { id } }`, map[string]any{"tm": b.Team}, a.Agent, b.Admin},
		{"updateTeam removeAgentIDs", `mutation($x: ID!, $tm: ID!) { updateTeam(id: $tm, input: {removeAgentIDs: [$x]}) { id } }`, map[string]any{"tm": b.Team}, a.Agent, b.Admin},
		{"createTeam agentIDs", `mutation($x: ID!) { createTeam(input: {name: "Sales", agentIDs: [$x]}) { id } }`, nil, a.Agent, b.Agent},
		{"createCustomer tagIDs", `mutation($x: ID!) { createCustomer(input: {name: "Bob", tagIDs: [$x]}) { id } }`, nil, a.Tag, b.Tag},
		{"createChannel teamID", `mutation($x: ID!) { createChannel(input: {kind: "api", name: "Other", teamID: $x}) { id } }`, nil, a.Team, b.Team},
		{"createAgent teamIDs", `mutation($x: ID!) { createAgent(input: {name: "Eve", email: "eve@beta.test", password: "password-eve-1", teamIDs: [$x]}) { id } }`, nil, a.Team, b.Team},

		// Last, as their controls remove or disable B's rows.
		{"deleteTag", `mutation($x: ID!) { deleteTag(id: $x) }`, nil, a.Tag, b.Tag},
		{"deactivateAgent", `mutation($x: ID!) { deactivateAgent(id: $x) { id } }`, nil, a.Agent, b.Agent},
		{"deactivateAgent A's admin", `mutation($x: ID!) { deactivateAgent(id: $x) { id } }`, nil, a.Admin, ""},
		{"revokeApiToken", `mutation($x: ID!) { revokeApiToken(id: $x) { id } }`, nil, a.APIToken, b.APIToken},
	}
	for _, c := range cases {
		vars := func(x string) map[string]any {
			v := map[string]any{"x": x}
			for k, val := range c.vars {
				v[k] = val
			}
			return v
		}
		never := fakeID(c.x)
		for _, actor := range iso.actorsB {
			foreign := iso.s.Do(t, actor.token, c.query, vars(c.x))
			if foreign.Status != http.StatusOK || len(foreign.Errors) != 1 || foreign.Errors[0].Code() != "NOT_FOUND" || string(foreign.Data) != "null" {
				t.Errorf("%s: %s with A's id = %d %s %+v, want NOT_FOUND", actor.name, c.name, foreign.Status, foreign.Data, foreign.Errors)
			}
			missing := iso.s.Do(t, actor.token, c.query, vars(never))
			if f, n := normalize(foreign, map[string]string{"x": c.x}), normalize(missing, map[string]string{"x": never}); !reflect.DeepEqual(f, n) {
				t.Errorf("%s: %s: A's id gives %+v, a never-existing id %+v", actor.name, c.name, f, n)
			}
		}
		if c.own != "" {
			if r := iso.s.Do(t, iso.actorsB[0].token, c.query, vars(c.own)); len(r.Errors) != 0 {
				t.Errorf("%s with B's own id: %+v, want success", c.name, r.Errors)
			}
		}
	}

	if after := iso.snapshot(t, iso.tokA, a); string(after) != string(before) {
		t.Errorf("A changed under B's mutations:\nbefore %s\nafter  %s", before, after)
	}
	// B's rows, old and new, refer to none of A's.
	var all json.RawMessage
	iso.s.MustDo(t, iso.actorsB[0].token, `{
		conversations { edges { node { ...all customer { ...all } channel { ...all } assignee { ...all } team { ...all } messages { edges { node { ...all } } } } } }
		customers { edges { node { ...all } } } channels { edges { node { ...all team { ...all } } } } agents { edges { node { ...all } } }
		teams { edges { node { ...all } } } tags { edges { node { ...all } } } apiTokens { edges { node { ...all createdBy { id } } } } }`+snapshotFragment, nil, &all)
	iso.noForeignIDs(t, "B after", all)
}
