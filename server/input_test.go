package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// wantErr fails unless the response has exactly one error, with the HTTP
// status and code given, and returns it.
func wantErr(t *testing.T, r *testenv.Response, status int, code string) testenv.Error {
	t.Helper()
	if r.Status != status || len(r.Errors) != 1 || r.Errors[0].Code() != code {
		t.Fatalf("got status %d errors %+v, want %d %s", r.Status, r.Errors, status, code)
	}
	return r.Errors[0]
}

// countOf returns the totalCount of a root connection, read as tok.
func countOf(t *testing.T, s *testenv.Server, tok, conn string) int {
	t.Helper()
	var out map[string]struct{ TotalCount int }
	s.MustDo(t, tok, `{ c: `+conn+` { totalCount } }`, nil, &out)
	return out["c"].TotalCount
}

// createID runs a mutation that must succeed and returns the id it returns.
func createID(t *testing.T, s *testenv.Server, tok, q string, vars map[string]any) string {
	t.Helper()
	var out map[string]struct{ ID string }
	s.MustDo(t, tok, q, vars, &out)
	for _, v := range out {
		return v.ID
	}
	t.Fatalf("no result for %s", q)
	return ""
}

// postRaw posts a body to /graphql with headers; length -1 sends it chunked.
func postRaw(t *testing.T, s *testenv.Server, headers map[string]string, body io.Reader, length int64) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// newAgent creates an agent with a role and returns its id and session token.
func newAgent(t *testing.T, s *testenv.Server, admin, email, role string) (string, string) {
	t.Helper()
	id := createID(t, s, admin, `mutation($e: String!, $r: Role!) { createAgent(input: {name: "A", email: $e, password: "password-1", role: $r}) { id } }`,
		map[string]any{"e": email, "r": role})
	return id, s.SignIn(t, email, "password-1")
}

func newAPIToken(t *testing.T, s *testenv.Server, tok, scope string) string {
	t.Helper()
	var out struct{ CreateApiToken struct{ Token string } }
	s.MustDo(t, tok, `mutation($s: ApiTokenScope!) { createApiToken(input: {name: "t", scopes: [$s]}) { token } }`,
		map[string]any{"s": scope}, &out)
	return out.CreateApiToken.Token
}

// world is a workspace with a conversation, and a snapshot of everything a
// refused request must leave alone.
type world struct {
	admin, channel, customer, conv string
	snapshot                       func() string
}

func newWorld(t *testing.T, s *testenv.Server) *world {
	t.Helper()
	w := &world{admin: s.AdminToken(t)}
	var setup struct {
		CreateChannel  struct{ ID string }
		CreateCustomer struct{ ID string }
	}
	s.MustDo(t, w.admin, `mutation { createChannel(input: {kind: "api", name: "App"}) { id } createCustomer(input: {name: "Ann"}) { id } }`, nil, &setup)
	w.channel, w.customer = setup.CreateChannel.ID, setup.CreateCustomer.ID
	addressable(t, s, w.admin, w.customer)
	w.conv = createID(t, s, w.admin, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"customerID": w.customer, "channelID": w.channel, "body": "hi"}})
	w.snapshot = func() string {
		r := s.Do(t, w.admin, `query($c: ID!) { tags { totalCount } teams { totalCount } agents { totalCount } apiTokens { totalCount }
			channels { edges { node { name } } } customers { edges { node { name notes } } } conversations { totalCount }
			node(id: $c) { ... on Conversation { status priority assignee { id } tags { id } messages { totalCount } } } }`, map[string]any{"c": w.conv})
		if len(r.Errors) > 0 {
			t.Fatalf("snapshot: %+v", r.Errors)
		}
		return string(r.Data)
	}
	return w
}

// TestInvalidInput refuses over-long values, malformed ids, page sizes out
// of range and malformed cursors with INVALID_INPUT naming the field, and
// writes nothing.
func TestInvalidInput(t *testing.T) {
	s := testenv.New(t)
	w := newWorld(t, s)
	admin, conv, customer := w.admin, w.conv, w.customer
	long := strings.Repeat("n", 256)
	body := strings.Repeat("b", 64<<10+1)

	cases := []struct {
		name, query, field string
		vars               map[string]any
	}{
		{"tag name", `mutation($v: String!) { createTag(input: {name: $v}) { id } }`, "name", map[string]any{"v": long}},
		{"team name", `mutation($v: String!) { createTeam(input: {name: $v}) { id } }`, "name", map[string]any{"v": long}},
		{"customer name", `mutation($v: String!) { createCustomer(input: {name: $v}) { id } }`, "name", map[string]any{"v": long}},
		{"customer rename", `mutation($id: ID!, $v: String!) { updateCustomer(id: $id, input: {name: $v}) { id } }`, "name", map[string]any{"v": long, "id": customer}},
		{"channel name", `mutation($v: String!) { createChannel(input: {kind: "api", name: $v}) { id } }`, "name", map[string]any{"v": long}},
		{"agent name", `mutation($v: String!) { createAgent(input: {name: $v, email: "x@example.com", password: "password-1"}) { id } }`, "name", map[string]any{"v": long}},
		{"api token name", `mutation($v: String!) { createApiToken(input: {name: $v, scopes: [READ]}) { token } }`, "name", map[string]any{"v": long}},
		{"message body", `mutation($c: ID!, $v: String!) { sendMessage(input: {conversationID: $c, body: $v}) { id } }`, "body", map[string]any{"v": body, "c": conv}},
		{"note body", `mutation($c: ID!, $v: String!) { sendMessage(input: {conversationID: $c, body: $v, private: true}) { id } }`, "body", map[string]any{"v": body, "c": conv}},
		{"first message body", `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, "body",
			map[string]any{"in": map[string]any{"customerID": customer, "channelID": w.channel, "body": body}}},
		{"malformed id", `mutation($id: ID!) { assignConversation(id: $id) { id } }`, "id", map[string]any{"id": "cnv_nope"}},
		{"malformed id literal", `mutation { setConversationPriority(id: "42", priority: HIGH) { id } }`, "id", nil},
		{"malformed id in input", `mutation($id: ID!) { sendMessage(input: {conversationID: $id, body: "x"}) { id } }`, "conversationID", map[string]any{"id": "../../etc"}},
		{"malformed id in list", `mutation($c: ID!) { addConversationTags(id: $c, tagIDs: ["tag_x"]) { id } }`, "tagIDs", map[string]any{"c": conv}},
		{"malformed node id", `{ node(id: "robert'); drop table agents;--") { id } }`, "id", nil},
		{"first over 100", `{ tags(first: 101) { totalCount } }`, "first", nil},
		{"last over 100", `{ tags(last: 101) { totalCount } }`, "last", nil},
		{"negative first", `{ tags(first: -1) { totalCount } }`, "first", nil},
		{"first from a variable", `query($n: Int) { customers(first: $n) { totalCount } }`, "first", map[string]any{"n": 1000}},
		{"nested first", `{ conversations { edges { node { messages(first: 500) { totalCount } } } } }`, "first", nil},
		{"nested last in a fragment", `query($c: ID!) { node(id: $c) { ...M } } fragment M on Conversation { messages(last: 101) { totalCount } }`, "last", map[string]any{"c": conv}},
		{"page size before a write", `mutation { createCustomer(input: {name: "ok"}) { id conversations(first: 101) { totalCount } } }`, "first", nil},
		{"malformed after", `{ tags(after: "not a cursor") { totalCount } }`, "after", nil},
		{"malformed before", `query($b: Cursor) { conversations(last: 2, before: $b) { totalCount } }`, "before", map[string]any{"b": "gqFp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.snapshot()
			e := wantErr(t, s.Do(t, admin, c.query, c.vars), http.StatusOK, "INVALID_INPUT")
			if f, _ := e.Extensions["field"].(string); f != c.field {
				t.Errorf("field = %q, want %q (%s)", f, c.field, e.Message)
			}
			if after := w.snapshot(); after != before {
				t.Fatalf("refused request changed data:\n%s\n%s", before, after)
			}
		})
	}

	// The limits themselves are allowed.
	var ok struct {
		CreateTag   struct{ Name string }
		SendMessage struct{ Body string }
		Tags        struct{ TotalCount int }
	}
	s.MustDo(t, admin, `mutation($n: String!, $b: String!, $c: ID!) {
		createTag(input: {name: $n}) { name }
		sendMessage(input: {conversationID: $c, body: $b}) { body }
	}`, map[string]any{"n": long[:255], "b": body[1:], "c": conv}, &ok)
	s.MustDo(t, admin, `{ tags(first: 100) { totalCount } t2: tags(last: 100) { totalCount } t3: tags(first: 0) { totalCount } }`, nil, &ok)
	if len(ok.CreateTag.Name) != 255 || len(ok.SendMessage.Body) != 64<<10 || ok.Tags.TotalCount != 1 {
		t.Fatalf("at the limits: %d %d %d", len(ok.CreateTag.Name), len(ok.SendMessage.Body), ok.Tags.TotalCount)
	}
}

// TestDefaultPageSize gives connections 20 items when neither first nor
// last is given, root and nested alike.
func TestDefaultPageSize(t *testing.T) {
	s := testenv.New(t)
	w := newWorld(t, s)
	admin, conv := w.admin, w.conv
	for i := 0; i < 25; i++ {
		s.MustDo(t, admin, `mutation($n: String!, $c: ID!) { createTag(input: {name: $n}) { id } sendMessage(input: {conversationID: $c, body: $n}) { id } }`,
			map[string]any{"n": fmt.Sprintf("tag %02d", i), "c": conv}, &struct{}{})
	}
	type conn struct {
		TotalCount int
		PageInfo   struct{ HasNextPage, HasPreviousPage bool }
		Edges      []struct{ Cursor string }
	}
	check := func(name string, c conn, total int) {
		t.Helper()
		if len(c.Edges) != 20 || c.TotalCount != total || !c.PageInfo.HasNextPage {
			t.Errorf("%s: %d edges of %d, hasNextPage %v; want 20 of %d with a next page", name, len(c.Edges), c.TotalCount, c.PageInfo.HasNextPage, total)
		}
	}
	const page = `{ totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor } }`
	var out struct {
		Tags          conn
		Node          struct{ Messages conn }
		Conversations struct {
			Edges []struct{ Node struct{ Messages conn } }
		}
	}
	s.MustDo(t, admin, `query($c: ID!) { tags `+page+` node(id: $c) { ... on Conversation { messages `+page+` } }
		conversations { edges { node { messages `+page+` } } } }`, map[string]any{"c": conv}, &out)
	check("tags", out.Tags, 25)
	check("node messages", out.Node.Messages, 26)
	if len(out.Conversations.Edges) != 1 {
		t.Fatalf("conversations = %d", len(out.Conversations.Edges))
	}
	check("conversations messages", out.Conversations.Edges[0].Node.Messages, 26)

	// The default applies to the omitted argument only: after a cursor it
	// pages on, 5 left.
	var next struct{ Tags conn }
	s.MustDo(t, admin, `query($a: Cursor) { tags(after: $a) `+page+` }`, map[string]any{"a": out.Tags.Edges[19].Cursor}, &next)
	if n := next.Tags; len(n.Edges) != 5 || n.PageInfo.HasNextPage || !n.PageInfo.HasPreviousPage {
		t.Fatalf("second page: %+v", n)
	}

	// first: null and last: null, given literally or through variables,
	// are the omitted argument: 20, root and nested alike.
	var nulls struct {
		Tags, T2, T3 conn
		Node         struct{ Messages conn }
	}
	s.MustDo(t, admin, `query($f: Int, $l: Int, $c: ID!) { tags(first: $f) `+page+` t2: tags(first: null, last: null) `+page+`
		t3: tags(first: $f, last: $l) `+page+` node(id: $c) { ... on Conversation { messages(first: $f) `+page+` } } }`,
		map[string]any{"f": nil, "l": nil, "c": conv}, &nulls)
	check("tags(first: $f = null)", nulls.Tags, 25)
	check("tags(first: null, last: null)", nulls.T2, 25)
	check("tags(first: $f, last: $l = null)", nulls.T3, 25)
	check("messages(first: $f = null)", nulls.Node.Messages, 26)
	var omitted struct{ Tags conn }
	s.MustDo(t, admin, `query($f: Int) { tags(first: $f) `+page+` }`, map[string]any{}, &omitted)
	check("tags(first: $f omitted)", omitted.Tags, 25)
}

// TestInvalidGraphQL keeps gqlgen's own codes and status for documents
// that do not parse or validate, and runs nothing.
func TestInvalidGraphQL(t *testing.T) {
	s := testenv.New(t)
	w := newWorld(t, s)
	admin, conv := w.admin, w.conv
	before := w.snapshot()
	cases := []struct {
		name, query, code string
		vars              map[string]any
	}{
		{"syntax error", `mutation { createTag(input: {name: "x"} { id } }`, "GRAPHQL_PARSE_FAILED", nil},
		{"unterminated string", `{ tags(where: {name: "x}) { totalCount } }`, "GRAPHQL_PARSE_FAILED", nil},
		{"unknown field", `{ tags { totalCount nope } }`, "GRAPHQL_VALIDATION_FAILED", nil},
		{"unknown mutation", `mutation { dropWorkspace(id: "x") }`, "GRAPHQL_VALIDATION_FAILED", nil},
		{"unknown input field", `mutation { createTag(input: {name: "x", workspaceID: "wsp_x"}) { id } }`, "GRAPHQL_VALIDATION_FAILED", nil},
		{"bad enum literal", `mutation($c: ID!) { setConversationPriority(id: $c, priority: HIGHEST) { id } }`, "GRAPHQL_VALIDATION_FAILED", map[string]any{"c": conv}},
		{"bad enum variable", `mutation($c: ID!, $p: Priority!) { setConversationPriority(id: $c, priority: $p) { id } }`, "GRAPHQL_VALIDATION_FAILED", map[string]any{"c": conv, "p": "HIGHEST"}},
		{"enum variable in lower case", `mutation($c: ID!, $p: Priority!) { setConversationPriority(id: $c, priority: $p) { id } }`, "GRAPHQL_VALIDATION_FAILED", map[string]any{"c": conv, "p": "urgent"}},
		{"string-bound enum in a list", `mutation($s: [ApiTokenScope!]!) { createApiToken(input: {name: "x", scopes: $s}) { token } }`, "GRAPHQL_VALIDATION_FAILED", map[string]any{"s": []string{"READ", "admin"}}},
		{"enum in a nested input", `query($w: ConversationWhereInput) { conversations(where: $w) { totalCount } }`, "GRAPHQL_VALIDATION_FAILED", map[string]any{"w": map[string]any{"or": []any{map[string]any{"status": "open"}}}}},
		{"missing argument", `mutation { createTag { id } }`, "GRAPHQL_VALIDATION_FAILED", nil},
		{"wrong type", `{ tags(first: "ten") { totalCount } }`, "GRAPHQL_VALIDATION_FAILED", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, admin, c.query, c.vars)
			if r.Status != http.StatusUnprocessableEntity || len(r.Errors) == 0 {
				t.Fatalf("status %d errors %+v, want 422", r.Status, r.Errors)
			}
			for _, e := range r.Errors {
				if e.Code() != c.code {
					t.Fatalf("code %q (%s), want %s", e.Code(), e.Message, c.code)
				}
			}
		})
	}
	if after := w.snapshot(); after != before {
		t.Fatalf("invalid documents changed data:\n%s\n%s", before, after)
	}
}

// TestBodyLimits accepts bodies of 1 MiB and refuses those over 2 MiB with
// 413, whether or not the client says how long they are.
func TestBodyLimits(t *testing.T) {
	s := testenv.New(t)
	w := newWorld(t, s)
	auth := map[string]string{"Authorization": "Bearer " + w.admin}
	body := func(size int, query string) string {
		pad := `{"query":` + fmt.Sprintf("%q", query) + `,"variables":{"v":"`
		return pad + strings.Repeat("x", size-len(pad)-3) + `"}}`
	}
	big := body(1<<20, `query($v: String) { customers(where: {name: $v}) { totalCount } }`)
	if len(big) != 1<<20 {
		t.Fatalf("body is %d bytes", len(big))
	}
	for _, length := range []int64{int64(len(big)), -1} {
		status, raw := postRaw(t, s, auth, strings.NewReader(big), length)
		if status != http.StatusOK || !strings.Contains(raw, `"totalCount":0`) {
			t.Fatalf("1 MiB body (length %d): %d %.300s", length, status, raw)
		}
	}
	before := w.snapshot()
	huge := body(2<<20+1, `mutation($v: String) { createCustomer(input: {notes: $v}) { id } }`)
	for _, length := range []int64{int64(len(huge)), -1} {
		status, raw := postRaw(t, s, auth, strings.NewReader(huge), length)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("2 MiB body (length %d): %d %.300s", length, status, raw)
		}
	}
	if after := w.snapshot(); after != before {
		t.Fatalf("refused body changed data")
	}
}

// TestNamesCountCharacters: name limits count characters, not bytes, so a
// 255-character Chinese name (765 bytes) is accepted and 256 is not.
func TestNamesCountCharacters(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	name := strings.Repeat("客", 255)
	var out struct{ CreateCustomer struct{ Name string } }
	s.MustDo(t, tok, `mutation($n: String!) { createCustomer(input: {name: $n}) { name } }`, map[string]any{"n": name}, &out)
	if out.CreateCustomer.Name != name {
		t.Fatal("name changed on the way")
	}
	r := s.Do(t, tok, `mutation($n: String!) { createCustomer(input: {name: $n}) { name } }`, map[string]any{"n": name + "客"})
	if got := r.Codes(); len(got) != 1 || got[0] != "INVALID_INPUT" {
		t.Fatalf("256 characters: %v", got)
	}
}
