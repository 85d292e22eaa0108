package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestRolesAndScopes runs mutations as every kind of actor: those below the
// required role (or READ tokens, for any mutation) get FORBIDDEN and change
// nothing; the others succeed and change what they should.
func TestRolesAndScopes(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	channel := createID(t, s, admin, `mutation { createChannel(input: {kind: "api", name: "App"}) { id } }`, nil)
	customer := createID(t, s, admin, `mutation { createCustomer(input: {name: "Cy"}) { id } }`, nil)
	agentID, agentTok := newAgent(t, s, admin, "agent@example.com", "AGENT")
	_, supTok := newAgent(t, s, admin, "sup@example.com", "SUPERVISOR")

	// level: what the actor may do; 0 reads only.
	actors := []struct {
		name  string
		tok   string
		level int
	}{
		{"READ token", newAPIToken(t, s, admin, "READ"), 0},
		{"AGENT", agentTok, 1},
		{"SUPERVISOR", supTok, 2},
		{"WRITE token", newAPIToken(t, s, admin, "WRITE"), 2},
		{"ADMIN token", newAPIToken(t, s, admin, "ADMIN"), 3},
		{"ADMIN", admin, 3},
	}
	addressable(t, s, admin, customer)
	conversation := func(t *testing.T) string {
		return createID(t, s, admin, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"customerID": customer, "channelID": channel, "body": "hi"}})
	}
	node := func(typ, field string) func(t *testing.T, id string) string {
		return func(t *testing.T, id string) string {
			var out struct{ Node map[string]any }
			s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on `+typ+` { `+field+` } } }`, map[string]any{"id": id}, &out)
			return fmt.Sprint(out.Node)
		}
	}
	total := func(conn string) func(t *testing.T, _ string) string {
		return func(t *testing.T, _ string) string { return fmt.Sprint(countOf(t, s, admin, conn)) }
	}
	unique := func() string { return fmt.Sprintf("u%d@example.com", time.Now().UnixNano()) }
	agent := func(t *testing.T) string {
		return createID(t, s, admin, `mutation($e: String!) { createAgent(input: {name: "D", email: $e, password: "password-1"}) { id } }`, map[string]any{"e": unique()})
	}
	tag := func(t *testing.T) string {
		return createID(t, s, admin, `mutation($n: String!) { createTag(input: {name: $n}) { id } }`, map[string]any{"n": unique()})
	}
	ops := []struct {
		name  string
		level int
		setup func(t *testing.T) string // an object the mutation acts on
		query string
		state func(t *testing.T, id string) string
	}{
		{"createCustomer", 1, nil, `mutation { createCustomer(input: {name: "New"}) { id } }`, total("customers")},
		{"sendMessage", 1, conversation, `mutation($id: ID!) { sendMessage(input: {conversationID: $id, body: "x"}) { id } }`, node("Conversation", "messages { totalCount }")},
		{"setConversationStatus", 1, conversation, `mutation($id: ID!) { setConversationStatus(id: $id, status: RESOLVED) { id } }`, node("Conversation", "status")},
		{"assignConversation", 2, conversation, `mutation($id: ID!, $a: ID!) { assignConversation(id: $id, agentID: $a) { id } }`, node("Conversation", "assignee { id }")},
		{"createChannel", 3, nil, `mutation { createChannel(input: {kind: "api", name: "C"}) { id } }`, total("channels")},
		{"updateChannel", 3, func(*testing.T) string { return channel }, `mutation($id: ID!, $n: String!) { updateChannel(id: $id, input: {name: $n}) { id } }`, node("Channel", "name")},
		{"createAgent", 3, nil, `mutation($n: String!) { createAgent(input: {name: "N", email: $n, password: "password-1"}) { id } }`, total("agents")},
		{"deactivateAgent", 3, agent, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, node("Agent", "active")},
		{"createTeam", 3, nil, `mutation($n: String!) { createTeam(input: {name: $n}) { id } }`, total("teams")},
		{"createTag", 3, nil, `mutation($n: String!) { createTag(input: {name: $n}) { id } }`, total("tags")},
		{"deleteTag", 3, tag, `mutation($id: ID!) { deleteTag(id: $id) }`, total("tags")},
		{"createApiToken", 3, nil, `mutation { createApiToken(input: {name: "x", scopes: [ADMIN]}) { token } }`, total("apiTokens")},
	}
	for _, op := range ops {
		for _, a := range actors {
			t.Run(op.name+"/"+a.name, func(t *testing.T) {
				var id string
				if op.setup != nil {
					id = op.setup(t)
				}
				vars := map[string]any{"a": agentID, "n": unique(), "id": id}
				before := op.state(t, id)
				r := s.Do(t, a.tok, op.query, vars)
				after := op.state(t, id)
				if a.level < op.level {
					wantErr(t, r, http.StatusOK, "FORBIDDEN")
					if before != after {
						t.Fatalf("forbidden %s changed %s to %s", op.name, before, after)
					}
					return
				}
				if len(r.Errors) > 0 || before == after {
					t.Fatalf("allowed %s: errors %+v, state %s -> %s", op.name, r.Errors, before, after)
				}
			})
		}
	}

	// Every actor may read; only ADMIN roles and scopes may list API tokens.
	for _, a := range actors {
		var out struct {
			Viewer        struct{ Email string }
			Conversations struct{ TotalCount int }
		}
		s.MustDo(t, a.tok, `{ viewer { email } conversations { totalCount } }`, nil, &out)
		if out.Conversations.TotalCount == 0 || out.Viewer.Email == "" {
			t.Fatalf("%s read %+v", a.name, out)
		}
		r := s.Do(t, a.tok, `{ apiTokens { totalCount } }`, nil)
		if a.level < 3 {
			wantErr(t, r, http.StatusOK, "FORBIDDEN")
		} else if len(r.Errors) > 0 {
			t.Fatalf("%s apiTokens: %+v", a.name, r.Errors)
		}
	}
}

// TestAPITokens covers an API token's life: its secret shown once, its use
// recorded, and revocation.
func TestAPITokens(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	var created struct {
		CreateApiToken struct {
			Token    string
			ApiToken struct {
				ID, TokenPrefix string
				Scopes          []string
				LastUsedAt      *string
			}
		}
	}
	s.MustDo(t, admin, `mutation { createApiToken(input: {name: "CRM", scopes: [WRITE, READ, WRITE]}) {
		token apiToken { id tokenPrefix scopes lastUsedAt } } }`, nil, &created)
	secret, tok := created.CreateApiToken.Token, created.CreateApiToken.ApiToken
	if !strings.HasPrefix(secret, "sbt_") || len(secret) < 40 || !strings.HasPrefix(secret, tok.TokenPrefix) ||
		len(tok.TokenPrefix) >= len(secret)/2 || len(tok.Scopes) != 2 || tok.LastUsedAt != nil {
		t.Fatalf("created %q %+v", secret, tok)
	}

	// The secret is never readable again: not in the connection, and the
	// type has no field that could hold it.
	const list = `{ apiTokens { edges { node { id name tokenPrefix scopes createdBy { email } lastUsedAt revokedAt } } } }`
	r := s.Do(t, admin, list, nil)
	if len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte(tok.ID)) || bytes.Contains(r.Data, []byte(secret)) {
		t.Fatalf("apiTokens = %s %+v", r.Data, r.Errors)
	}
	r = s.Do(t, admin, `{ __type(name: "ApiToken") { fields { name } } }`, nil)
	if low := strings.ToLower(string(r.Data)); len(r.Errors) > 0 || !strings.Contains(low, `"tokenprefix"`) ||
		strings.Contains(low, `"token"`) || strings.Contains(low, "secret") || strings.Contains(low, "hash") {
		t.Fatalf("ApiToken fields: %s %+v", r.Data, r.Errors)
	}
	wantErr(t, s.Do(t, admin, `{ apiTokens { edges { node { token } } } }`, nil), http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED")

	// The token works, as the agent who created it, and its use is recorded.
	var v struct{ Viewer struct{ Email string } }
	s.MustDo(t, secret, `{ viewer { email } }`, nil, &v)
	s.MustDo(t, secret, `mutation { createCustomer(input: {name: "Via API"}) { id } }`, nil, &struct{}{})
	if v.Viewer.Email != testenv.AdminEmail {
		t.Fatalf("viewer of token = %+v", v)
	}
	var used struct {
		Node struct{ LastUsedAt, RevokedAt *string }
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on ApiToken { lastUsedAt revokedAt } } }`, map[string]any{"id": tok.ID}, &used)
	if used.Node.LastUsedAt == nil || used.Node.RevokedAt != nil {
		t.Fatalf("after use: %+v", used.Node)
	}

	// Revoked: refused with 401 before GraphQL; revoking again keeps the time.
	var rev [2]struct{ RevokeApiToken struct{ RevokedAt *string } }
	for i := range rev {
		s.MustDo(t, admin, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, map[string]any{"id": tok.ID}, &rev[i])
	}
	if rev[0].RevokeApiToken.RevokedAt == nil || *rev[0].RevokeApiToken.RevokedAt != *rev[1].RevokeApiToken.RevokedAt {
		t.Fatalf("revoked at %+v", rev)
	}
	customers := countOf(t, s, admin, "customers")
	wantErr(t, s.Do(t, secret, `mutation { createCustomer(input: {name: "Late"}) { id } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
	wantErr(t, s.Do(t, secret, `{ viewer { email } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
	if n := countOf(t, s, admin, "customers"); n != customers {
		t.Fatalf("revoked token created a customer")
	}
}

// signJWT signs claims the way the server does, with a chosen method and key.
func signJWT(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// fakeRS256 signs with HMAC under an RS256 header (key confusion).
type fakeRS256 struct{ *jwt.SigningMethodHMAC }

func (fakeRS256) Alg() string { return "RS256" }

// TestBadCredentials refuses, with 401 and without changing anything, every
// credential that is not a live session or API token of an active agent.
func TestBadCredentials(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	var me struct {
		Viewer struct {
			ID        string
			Workspace struct{ ID string }
		}
	}
	s.MustDo(t, admin, `{ viewer { id workspace { id } } }`, nil, &me)
	other := s.NewWorkspace(t, "Other", "other@example.com")
	var them struct{ Viewer struct{ ID string } }
	s.MustDo(t, other, `{ viewer { id } }`, nil, &them)

	// An ADMIN agent with a session and an API token of its own; deactivating
	// the agent ends both. The first admin's token lives on.
	goneID, goneSession := newAgent(t, s, admin, "gone@example.com", "ADMIN")
	goneToken := newAPIToken(t, s, goneSession, "ADMIN")
	keptToken := newAPIToken(t, s, admin, "ADMIN")
	s.MustDo(t, goneToken, `{ viewer { id } }`, nil, &struct{}{})
	s.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": goneID}, &struct{}{})
	var revoked map[string]struct{ TotalCount int }
	s.MustDo(t, admin, `query($a: ID!) { live: apiTokens(where: {createdByID: $a, revokedAtIsNil: true}) { totalCount }
		revoked: apiTokens(where: {createdByID: $a, revokedAtNotNil: true}) { totalCount } }`, map[string]any{"a": goneID}, &revoked)
	if revoked["live"].TotalCount != 0 || revoked["revoked"].TotalCount != 1 {
		t.Fatalf("tokens of deactivated agent: %+v", revoked)
	}

	now := time.Now()
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "switchboard", "aud": []string{"switchboard-api"}, "sub": me.Viewer.ID, "wsp": me.Viewer.Workspace.ID,
			"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
		if change != nil {
			change(c)
		}
		return c
	}
	key := s.Config.JWTSecret
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	none := signJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))

	// A token forged right is accepted: the cases below fail for their one flaw.
	s.MustDo(t, signJWT(t, jwt.SigningMethodHS256, key, claims(nil)), `{ viewer { id } }`, nil, &struct{}{})
	s.MustDo(t, keptToken, `{ viewer { id } }`, nil, &struct{}{})

	cases := []struct{ name, token string }{
		{"expired", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-13*time.Hour).Unix(), now.Add(-13*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}))},
		{"no expiry", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"not yet valid", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))},
		{"wrong key", signJWT(t, jwt.SigningMethodHS256, []byte("not-the-server-key-not-the-server-key"), claims(nil))},
		{"alg none", none},
		{"alg none, signature kept", strings.TrimSuffix(none, ".") + "." + strings.Split(signJWT(t, jwt.SigningMethodHS256, key, claims(nil)), ".")[2]},
		{"HS512", signJWT(t, jwt.SigningMethodHS512, key, claims(nil))},
		{"RS256", signJWT(t, jwt.SigningMethodRS256, rsaKey, claims(nil))},
		{"RS256 header, HMAC signature", signJWT(t, fakeRS256{jwt.SigningMethodHS256}, key, claims(nil))},
		{"other issuer", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["iss"] = "someone-else" }))},
		{"no issuer", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { delete(c, "iss") }))},
		{"other audience", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["aud"] = "other-api" }))},
		{"no audience", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { delete(c, "aud") }))},
		{"agent of another workspace", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["sub"] = them.Viewer.ID }))},
		{"malformed subject", signJWT(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["sub"] = "admin" }))},
		{"deactivated agent's session", goneSession},
		{"deactivated agent's API token", goneToken},
		{"unknown API token", "sbt_" + strings.Repeat("a", 52)},
		{"API token prefix only", "sbt_"},
		{"garbage", "not-a-token"},
		{"three dots", "a.b.c"},
		{"truncated", admin[:len(admin)-5]},
		{"tampered payload", strings.Replace(admin, ".", ".e30", 1)},
		{"spaces", "   "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			customers := countOf(t, s, admin, "customers")
			r := s.Do(t, c.token, `mutation { createCustomer(input: {name: "Eve"}) { id } }`, nil)
			wantErr(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
			if n := countOf(t, s, admin, "customers"); n != customers {
				t.Fatalf("customers %d -> %d", customers, n)
			}
		})
	}

	// Other schemes and an empty bearer are refused too.
	for _, h := range []string{"Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer ", "Token " + admin, admin} {
		q := `{"query":"mutation { createCustomer(input: {name: \"Eve\"}) { id } }"}`
		status, body := postRaw(t, s, map[string]string{"Authorization": h}, strings.NewReader(q), int64(len(q)))
		if status != http.StatusUnauthorized || !strings.Contains(body, `"UNAUTHENTICATED"`) {
			t.Fatalf("Authorization %q: %d %s", h, status, body)
		}
	}
	if n := countOf(t, s, admin, "customers"); n != 0 {
		t.Fatalf("customers = %d, want 0", n)
	}
}

// TestSignIn answers unknown emails, wrong passwords and deactivated agents
// alike (signin_test.go: how failures slow sign-in down).
func TestSignIn(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	leftID, _ := newAgent(t, s, admin, "left@example.com", "AGENT")
	s.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": leftID}, &struct{}{})
	signIn := func(email, password string) *testenv.Response {
		return s.Do(t, "", `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, map[string]any{"e": email, "p": password})
	}

	unknown := signIn("nobody@example.com", "password-1")
	want := wantErr(t, unknown, http.StatusOK, "UNAUTHENTICATED")
	for _, c := range [][2]string{{testenv.AdminEmail, "wrong-password"}, {"left@example.com", "password-1"}, {"Nobody@Example.com", ""}} {
		r := signIn(c[0], c[1])
		got := wantErr(t, r, http.StatusOK, "UNAUTHENTICATED")
		if got.Message != want.Message || fmt.Sprint(got.Extensions) != fmt.Sprint(want.Extensions) || string(r.Data) != string(unknown.Data) {
			t.Fatalf("%s: %+v %s, unknown email gave %+v %s", c[0], got, r.Data, want, unknown.Data)
		}
	}
}

// TestSignUp is refused while sign-up is closed, creates a workspace with
// its admin when open, and refuses an email address already in use.
func TestSignUp(t *testing.T) {
	const q = `mutation($in: SignUpInput!) { signUp(input: $in) { token agent { email role workspace { name } } } }`
	in := func(email string) map[string]any {
		return map[string]any{"in": map[string]any{"workspaceName": "Acme", "name": "Founder", "email": email, "password": "password-1"}}
	}
	workspaces := func(s *testenv.Server) int {
		n, err := s.App.Client.Workspace.Query().Count(privacy.DecisionContext(context.Background(), privacy.Allow))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	closed := testenv.New(t)
	wantErr(t, closed.Do(t, "", q, in("founder@acme.test")), http.StatusOK, "FORBIDDEN")
	wantErr(t, closed.Do(t, "", `mutation { signIn(email: "founder@acme.test", password: "password-1") { token } }`, nil), http.StatusOK, "UNAUTHENTICATED")
	if n := workspaces(closed); n != 1 {
		t.Fatalf("closed sign-up: %d workspaces", n)
	}

	s := testenv.New(t, testenv.SignupOpen)
	r := s.Do(t, "", q, in(" Founder@Acme.test"))
	var out struct{ SignUp struct{ Token string } }
	if r.Decode(t, &out); !strings.Contains(string(r.Data), `"agent":{"email":"founder@acme.test","role":"ADMIN","workspace":{"name":"Acme"}}`) {
		t.Fatalf("signed up %s", r.Data)
	}
	var v struct {
		Viewer struct{ Workspace struct{ Name string } }
		Agents struct{ TotalCount int }
	}
	s.MustDo(t, out.SignUp.Token, `{ viewer { workspace { name } } agents { totalCount } }`, nil, &v)
	if v.Viewer.Workspace.Name != "Acme" || v.Agents.TotalCount != 1 {
		t.Fatalf("new workspace seen as %+v", v)
	}
	for _, email := range []string{"founder@acme.test", "FOUNDER@acme.test", testenv.AdminEmail} {
		wantErr(t, s.Do(t, "", q, in(email)), http.StatusOK, "CONFLICT")
	}
	e := wantErr(t, s.Do(t, "", q, map[string]any{"in": map[string]any{"workspaceName": "Short", "name": "S", "email": "s@acme.test", "password": "short"}}), http.StatusOK, "INVALID_INPUT")
	if e.Extensions["field"] != "password" {
		t.Fatalf("short password: %+v", e)
	}
	if n := workspaces(s); n != 2 {
		t.Fatalf("%d workspaces, want the first and Acme only", n)
	}
}

// TestDemotedCreatorDemotesTokens: a token never acts beyond its creator's
// current role.
func TestDemotedCreatorDemotesTokens(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	var out struct {
		CreateAgent struct{ ID string }
	}
	s.MustDo(t, admin, `mutation { createAgent(input: {name: "Deb", email: "deb@example.com", password: "deb-password", role: ADMIN}) { id } }`, nil, &out)
	deb := s.SignIn(t, "deb@example.com", "deb-password")
	var tok struct{ CreateApiToken struct{ Token string } }
	s.MustDo(t, deb, `mutation { createApiToken(input: {name: "ci", scopes: [ADMIN]}) { token } }`, nil, &tok)
	const createTag = `mutation($n: String!) { createTag(input: {name: $n}) { id } }`
	s.MustDo(t, tok.CreateApiToken.Token, createTag, map[string]any{"n": "before"}, &struct{}{})
	s.MustDo(t, admin, `mutation($id: ID!) { updateAgent(id: $id, input: {role: AGENT}) { role } }`, map[string]any{"id": out.CreateAgent.ID}, &struct{}{})
	r := s.Do(t, tok.CreateApiToken.Token, createTag, map[string]any{"n": "after"})
	if got := r.Codes(); len(got) != 1 || got[0] != "FORBIDDEN" {
		t.Fatalf("admin-scope token of a demoted admin: %v, want FORBIDDEN", got)
	}
}
