package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/visitor"
)

const (
	startSession = `mutation($key: String!, $v: VisitorInput) {
		startVisitorSession(channelKey: $key, visitor: $v) {
			token expiresAt verified
			conversation { id status messages(last: 50) { totalCount edges { node { id body sender { kind name } deliveryStatus } } } }
		}
	}`
	visitorSend = `mutation($body: String!, $cid: String) {
		visitorSendMessage(body: $body, clientMessageID: $cid) { id body deliveryStatus createdAt attachments { id name status } sender { kind name } }
	}`
	visitorConv = `{ visitorConversation { id status messages(first: 50) { totalCount
		edges { node { id body deliveryStatus sender { kind name avatarURL } } } } } }`
)

type visitorMessage struct {
	ID, Body, DeliveryStatus string
	Sender                   struct{ Kind, Name string }
}

type visitorConversation struct {
	ID, Status string
	Messages   struct {
		TotalCount int
		Edges      []struct{ Node visitorMessage }
	}
}

func (c *visitorConversation) bodies() []string {
	var out []string
	for _, e := range c.Messages.Edges {
		out = append(out, e.Node.Sender.Kind+": "+e.Node.Body)
	}
	return out
}

type visitorSession struct {
	Token        string
	Verified     bool
	Conversation *visitorConversation
}

// webChannel creates an enabled web chat channel and returns its id and key.
func webChannel(t *testing.T, s *testenv.Server, admin string, origins ...string) (id, key string) {
	t.Helper()
	list := make([]any, len(origins))
	for i, o := range origins {
		list[i] = o
	}
	var out struct{ CreateChannel struct{ ID, Key string } }
	s.MustDo(t, admin, `mutation($s: Map) { createChannel(input: {kind: "web", name: "Site chat", settings: $s}) { id key } }`,
		map[string]any{"s": map[string]any{"allowedOrigins": list}}, &out)
	return out.CreateChannel.ID, out.CreateChannel.Key
}

func startVisitor(t *testing.T, s *testenv.Server, token, key string, v map[string]any) visitorSession {
	t.Helper()
	var out struct{ StartVisitorSession visitorSession }
	s.MustDo(t, token, startSession, map[string]any{"key": key, "v": v}, &out)
	if out.StartVisitorSession.Token == "" {
		t.Fatal("no visitor token")
	}
	return out.StartVisitorSession
}

func visitorSays(t *testing.T, s *testenv.Server, token, body string) visitorMessage {
	t.Helper()
	var out struct{ VisitorSendMessage visitorMessage }
	s.MustDo(t, token, visitorSend, map[string]any{"body": body}, &out)
	return out.VisitorSendMessage
}

func visitorConversationOf(t *testing.T, s *testenv.Server, token string) *visitorConversation {
	t.Helper()
	var out struct{ VisitorConversation *visitorConversation }
	s.MustDo(t, token, visitorConv, nil, &out)
	return out.VisitorConversation
}

// TestVisitorChat: a visitor starts a session, writes, an agent answers
// and adds a private note; the visitor sees their message and the answer
// (with the agent's name) but never the note; the session continues with
// its token and renews; a retried send is stored once.
func TestVisitorChat(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	_, key := webChannel(t, s, admin)

	v := startVisitor(t, s, "", key, map[string]any{"name": "Vera", "email": "Vera@Example.com"})
	if v.Verified || v.Conversation != nil {
		t.Fatalf("new visitor: verified=%v conversation=%v", v.Verified, v.Conversation)
	}
	if c := visitorConversationOf(t, s, v.Token); c != nil {
		t.Fatalf("conversation before the first message: %+v", c)
	}
	m := visitorSays(t, s, v.Token, "Do you ship to Norway?")
	if m.Sender.Kind != "CUSTOMER" || m.Sender.Name != "Vera" || m.DeliveryStatus != "SENT" {
		t.Fatalf("visitor's message: %+v", m)
	}

	// The agent sees it in the inbox, from the customer Vera, and answers.
	var inbox struct {
		Conversations struct {
			Edges []struct {
				Node struct {
					ID       string
					Customer struct {
						Name       string
						Identities []struct {
							Kind, Value string
							Verified    bool
						}
					}
					LastMessage struct{ Body string }
				}
			}
		}
	}
	s.MustDo(t, admin, `{ conversations(first: 5) { edges { node { id customer { name identities { kind value verified } } lastMessage { body } } } } }`, nil, &inbox)
	if len(inbox.Conversations.Edges) != 1 {
		t.Fatalf("inbox: %+v", inbox)
	}
	conv := inbox.Conversations.Edges[0].Node
	if conv.Customer.Name != "Vera" || conv.LastMessage.Body != "Do you ship to Norway?" {
		t.Fatalf("inbox conversation: %+v", conv)
	}
	var claimed bool
	for _, id := range conv.Customer.Identities {
		if id.Kind == "EMAIL" {
			claimed = id.Value == "vera@example.com" && !id.Verified
		}
	}
	if !claimed {
		t.Fatalf("the visitor's email is not recorded as an unverified claim: %+v", conv.Customer.Identities)
	}
	s.Send(t, admin, conv.ID, "Yes, in 3 days.")
	s.MustDo(t, admin, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "VIP? check order history", private: true}) { id } }`,
		map[string]any{"c": conv.ID}, nil)

	c := visitorConversationOf(t, s, v.Token)
	want := []string{"CUSTOMER: Do you ship to Norway?", "AGENT: Yes, in 3 days."}
	if c == nil || c.ID != conv.ID || !slices.Equal(c.bodies(), want) || c.Messages.TotalCount != 2 {
		t.Fatalf("visitor's conversation = %+v, want %q", c, want)
	}
	if n := c.Messages.Edges[1].Node.Sender.Name; n == "" {
		t.Fatal("the agent's reply carries no agent name")
	}

	// Continuing with the token keeps the visitor and their history.
	again := startVisitor(t, s, v.Token, key, nil)
	if again.Conversation == nil || again.Conversation.ID != conv.ID || !slices.Equal(again.Conversation.bodies(), want) {
		t.Fatalf("continued session: %+v", again.Conversation)
	}
	var renewed struct{ RenewVisitorSession visitorSession }
	s.MustDo(t, again.Token, `mutation { renewVisitorSession { token conversation { id } } }`, nil, &renewed)
	if r := renewed.RenewVisitorSession; r.Token == "" || r.Conversation == nil || r.Conversation.ID != conv.ID {
		t.Fatalf("renewed session: %+v", r)
	}

	// A retry with the same clientMessageID is stored once.
	var first, retry struct{ VisitorSendMessage visitorMessage }
	vars := map[string]any{"body": "Thanks!", "cid": "c-123"}
	s.MustDo(t, renewed.RenewVisitorSession.Token, visitorSend, vars, &first)
	s.MustDo(t, renewed.RenewVisitorSession.Token, visitorSend, vars, &retry)
	if first.VisitorSendMessage.ID != retry.VisitorSendMessage.ID {
		t.Fatalf("a retried send was stored twice: %s and %s", first.VisitorSendMessage.ID, retry.VisitorSendMessage.ID)
	}
	if c := visitorConversationOf(t, s, v.Token); c.Messages.TotalCount != 3 {
		t.Fatalf("%d messages after a retried send, want 3", c.Messages.TotalCount)
	}

	// An empty body changes nothing.
	r := s.Do(t, v.Token, visitorSend, map[string]any{"body": "  "})
	if codes := r.Codes(); !slices.Equal(codes, []string{"INVALID_INPUT"}) {
		t.Fatalf("empty body: %v", codes)
	}
}

// TestVisitorIsolation: a visitor token reaches the visitor API only, and
// only its own conversation; agents' credentials do not reach the visitor
// API; a visitor's subscription carries neither private notes nor other
// visitors' messages.
func TestVisitorIsolation(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	_, key := webChannel(t, s, admin)
	ann := startVisitor(t, s, "", key, map[string]any{"name": "Ann"})
	bob := startVisitor(t, s, "", key, map[string]any{"name": "Bob"})
	visitorSays(t, s, ann.Token, "Ann's question")
	visitorSays(t, s, bob.Token, "Bob's question")
	annConv := visitorConversationOf(t, s, ann.Token)
	bobConv := visitorConversationOf(t, s, bob.Token)
	if annConv.ID == bobConv.ID || !slices.Equal(bobConv.bodies(), []string{"CUSTOMER: Bob's question"}) {
		t.Fatalf("visitors share a conversation: %+v %+v", annConv, bobConv)
	}

	agentSide := []string{
		`{ viewer { id } }`,
		`{ conversations(first: 5) { totalCount } }`,
		`{ customers(first: 5) { totalCount } }`,
		`{ agents(first: 5) { totalCount } }`,
		`{ channels(first: 5) { totalCount } }`,
		`{ tags(first: 5) { totalCount } }`,
		`query($id: ID!) { node(id: $id) { id } }`,
		`query($id: ID!) { nodes(ids: [$id]) { id } }`,
		`mutation($id: ID!) { sendMessage(input: {conversationID: $id, body: "x"}) { id } }`,
		`mutation($id: ID!) { sendMessage(input: {conversationID: $id, body: "x", private: true}) { id } }`,
		`mutation($id: ID!) { setConversationStatus(id: $id, status: RESOLVED) { id } }`,
		`mutation($id: ID!) { markConversationRead(id: $id) { id } }`,
		`mutation($id: ID!) { setTyping(conversationID: $id, typing: true) }`,
	}
	for _, q := range agentSide {
		r := s.Do(t, ann.Token, q, map[string]any{"id": bobConv.ID})
		if codes := r.Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) || !strings.Contains(string(r.Data), "null") {
			t.Errorf("visitor token on %s: codes %v data %s", q, codes, r.Data)
		}
	}
	for _, q := range []string{visitorConv, `mutation { renewVisitorSession { token } }`, `mutation { visitorSendMessage(body: "x") { id } }`} {
		if codes := s.Do(t, admin, q, nil).Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
			t.Errorf("agent token on %s: %v", q, codes)
		}
		if codes := s.Do(t, "", q, nil).Codes(); !slices.Equal(codes, []string{"UNAUTHENTICATED"}) {
			t.Errorf("no token on %s: %v", q, codes)
		}
	}
	if codes := s.Do(t, admin, startSession, map[string]any{"key": key}).Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
		t.Errorf("agent token on startVisitorSession: %v", codes)
	}

	// Subscriptions: Ann's stream carries the answer to Ann, and nothing
	// of Bob's conversation or of the agents' notes.
	ws, err := s.DialWS(t, ann.Token, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := ws.Subscribe(`subscription { messageAdded { cursor } }`, nil).First(t); !strings.Contains(string(m.Payload), "FORBIDDEN") {
		t.Errorf("a visitor subscribed to the agents' messageAdded: %s %s", m.Type, m.Payload)
	}
	sub := ws.Subscribe(`subscription { visitorMessageAdded { cursor message { id body sender { kind name } } } }`, nil)
	s.WaitSubscribers(t, 1)
	s.Send(t, admin, bobConv.ID, "for Bob")
	s.MustDo(t, admin, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "note on Ann", private: true}) { id } }`,
		map[string]any{"c": annConv.ID}, nil)
	s.Send(t, admin, annConv.ID, "for Ann")
	var ev struct {
		VisitorMessageAdded struct {
			Cursor  string
			Message visitorMessage
		}
	}
	sub.Next(t, &ev)
	if got := ev.VisitorMessageAdded.Message; got.Body != "for Ann" || got.Sender.Kind != "AGENT" {
		t.Fatalf("Ann's first event: %+v", got)
	}
	// Resuming from before everything replays exactly Ann's messages.
	resumed := ws.Subscribe(`subscription($after: EventCursor) { visitorMessageAdded(after: $after) { message { body } } }`,
		map[string]any{"after": events.Cursor(0)})
	var r struct {
		VisitorMessageAdded struct{ Message visitorMessage }
	}
	for _, want := range []string{"Ann's question", "for Ann"} {
		resumed.Next(t, &r)
		if r.VisitorMessageAdded.Message.Body != want {
			t.Fatalf("replayed %q, want %q", r.VisitorMessageAdded.Message.Body, want)
		}
	}
}

// TestVisitorIdentity: a correct identityHash verifies the identity and
// joins the customer's history from any browser; a wrong one is refused
// and stores nothing; a claimed email never attaches to the customer who
// has it verified.
func TestVisitorIdentity(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	id, key := webChannel(t, s, admin)
	var rot struct {
		RotateChannelSecret struct {
			Secret  string
			Channel struct{ SecretFieldsSet []string }
		}
	}
	s.MustDo(t, admin, `mutation($id: ID!) { rotateChannelSecret(id: $id, field: "identitySecret") { secret channel { secretFieldsSet } } }`,
		map[string]any{"id": id}, &rot)
	secret := rot.RotateChannelSecret.Secret
	if len(secret) < 32 || !slices.Contains(rot.RotateChannelSecret.Channel.SecretFieldsSet, "identitySecret") {
		t.Fatalf("rotated secret: %+v", rot)
	}

	// A signed-in user of the site, on their laptop.
	laptop := startVisitor(t, s, "", key, map[string]any{
		"externalID": "user-42", "identityHash": visitor.IdentityHash(secret, "user-42"), "name": "Quinn",
	})
	if !laptop.Verified {
		t.Fatal("a correct identityHash did not verify")
	}
	visitorSays(t, s, laptop.Token, "order 1001 is late")

	// The same user on their phone joins the same history.
	phone := startVisitor(t, s, "", key, map[string]any{
		"externalID": "user-42", "identityHash": strings.ToUpper(visitor.IdentityHash(secret, "user-42")),
	})
	if !phone.Verified || phone.Conversation == nil || !slices.Equal(phone.Conversation.bodies(), []string{"CUSTOMER: order 1001 is late"}) {
		t.Fatalf("verified session on a second device: %+v", phone)
	}

	customers := func() int {
		var out struct{ Customers struct{ TotalCount int } }
		s.MustDo(t, admin, `{ customers { totalCount } }`, nil, &out)
		return out.Customers.TotalCount
	}
	before := customers()

	// Wrong hashes are refused and store nothing.
	for _, v := range []map[string]any{
		{"externalID": "user-42", "identityHash": visitor.IdentityHash("wrong-secret-0123456789", "user-42")},
		{"externalID": "user-42", "identityHash": visitor.IdentityHash(secret, "user-43")},
		{"externalID": "user-42", "identityHash": "not hex"},
		{"email": "quinn@example.com", "identityHash": visitor.IdentityHash(secret, "user-42")},
	} {
		if codes := s.Do(t, "", startSession, map[string]any{"key": key, "v": v}).Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
			t.Errorf("wrong hash %v: %v", v, codes)
		}
	}
	if got := customers(); got != before {
		t.Fatalf("refused sessions created customers: %d, then %d", before, got)
	}

	// A verified email, then someone merely claiming it: a new customer
	// who sees nothing of the first.
	verified := startVisitor(t, s, "", key, map[string]any{
		"email": "kim@example.com", "identityHash": visitor.IdentityHash(secret, "kim@example.com"),
	})
	visitorSays(t, s, verified.Token, "my address changed")
	claim := startVisitor(t, s, "", key, map[string]any{"email": "KIM@example.com", "name": "Kim?"})
	if claim.Verified || claim.Conversation != nil {
		t.Fatalf("a claimed email reached the verified customer's history: %+v", claim)
	}
	if c := visitorConversationOf(t, s, claim.Token); c != nil {
		t.Fatalf("claimed email sees a conversation: %+v", c)
	}
	// Agents are told, as a suggestion they may accept or dismiss.
	var suggested bool
	for _, d := range duplicates(t, s, admin) {
		for _, e := range d.Evidence {
			suggested = suggested || (e.Kind == "EMAIL" && e.Value == "kim@example.com" && e.CustomerVerified && !e.DuplicateVerified)
		}
	}
	if !suggested {
		t.Fatalf("a claim of a verified customer's email made no duplicate suggestion: %+v", duplicates(t, s, admin))
	}
	// A claimed externalID does not either.
	if c := startVisitor(t, s, "", key, map[string]any{"externalID": "user-42"}); c.Conversation != nil || c.Verified {
		t.Fatalf("a claimed externalID reached the verified customer's history: %+v", c)
	}

	// An anonymous visitor who signs in keeps chatting as the verified user.
	anon := startVisitor(t, s, "", key, nil)
	signedIn := startVisitor(t, s, anon.Token, key, map[string]any{
		"externalID": "user-42", "identityHash": visitor.IdentityHash(secret, "user-42"),
	})
	if !signedIn.Verified || signedIn.Conversation == nil || signedIn.Conversation.Messages.TotalCount != 1 {
		t.Fatalf("signing in an anonymous visitor: %+v", signedIn)
	}

	// Rotating the secret invalidates hashes made with the old one.
	s.MustDo(t, admin, `mutation($id: ID!) { rotateChannelSecret(id: $id, field: "identitySecret") { secret } }`, map[string]any{"id": id}, nil)
	r := s.Do(t, "", startSession, map[string]any{"key": key, "v": map[string]any{
		"externalID": "user-42", "identityHash": visitor.IdentityHash(secret, "user-42"),
	}})
	if codes := r.Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
		t.Fatalf("hash with a rotated-out secret: %v", codes)
	}
}

// TestVisitorOrigins: browsers reach a web channel's visitor API from its
// allowed origins only, and nothing but the visitor API from them; API
// clients (no Origin) always; a channel without origins is closed to
// browsers.
func TestVisitorOrigins(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	const shop, blog, evil = "https://shop.example", "https://blog.example", "https://evil.example"
	_, shopKey := webChannel(t, s, admin, shop+"/")
	_, blogKey := webChannel(t, s, admin, blog)
	_, apiKey := webChannel(t, s, admin)

	// From the shop: a session on the shop's channel, not on the others.
	r := s.DoFrom(t, "HTTPS://SHOP.example", "", startSession, map[string]any{"key": shopKey})
	if len(r.Errors) > 0 {
		t.Fatalf("session from an allowed origin: %+v", r.Errors)
	}
	var got struct{ StartVisitorSession visitorSession }
	r.Decode(t, &got)
	tok := got.StartVisitorSession.Token
	for _, k := range []string{blogKey, apiKey} {
		if codes := s.DoFrom(t, shop, "", startSession, map[string]any{"key": k}).Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
			t.Errorf("session on another channel from the shop: %v", codes)
		}
	}
	if r := s.DoFrom(t, shop, tok, visitorSend, map[string]any{"body": "from the shop"}); len(r.Errors) > 0 {
		t.Fatalf("visitor message from the shop: %+v", r.Errors)
	}
	// The shop's visitor token from the blog (allowed by another channel): 403.
	if r := s.DoFrom(t, blog, tok, visitorConv, nil); r.Status != http.StatusForbidden || !slices.Equal(r.Codes(), []string{"FORBIDDEN"}) {
		t.Errorf("shop token from the blog: %d %v", r.Status, r.Codes())
	}
	// The agent API is not for the shop's pages.
	if codes := s.DoFrom(t, shop, "", `mutation { signIn(email: "admin@example.com", password: "admin-password-1") { token } }`, nil).Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
		t.Errorf("signIn from a chat origin: %v", codes)
	}
	if codes := s.DoFrom(t, shop, admin, `{ viewer { id } }`, nil).Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
		t.Errorf("agent API from a chat origin: %v", codes)
	}
	// Elsewhere: refused before GraphQL.
	if r := s.DoFrom(t, evil, "", startSession, map[string]any{"key": shopKey}); r.Status != http.StatusForbidden {
		t.Errorf("evil origin: status %d", r.Status)
	}
	// No Origin: an API client, allowed on every channel.
	startVisitor(t, s, "", apiKey, nil)
	startVisitor(t, s, tok, shopKey, nil)

	// CORS preflight from the shop, and from elsewhere.
	for origin, want := range map[string]int{shop: http.StatusNoContent, evil: http.StatusForbidden} {
		req, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want || (want == http.StatusNoContent && res.Header.Get("Access-Control-Allow-Origin") != origin) {
			t.Errorf("preflight from %s: %d %v", origin, res.StatusCode, res.Header)
		}
	}

	// Websockets: the shop's visitor from the shop subscribes; from the
	// blog the token is refused (4403); from elsewhere the upgrade is.
	ws, err := s.DialWS(t, tok, testenv.DialOptions{Origin: shop})
	if err != nil {
		t.Fatalf("websocket from the shop: %v", err)
	}
	ws.Close()
	if _, err := s.DialWS(t, tok, testenv.DialOptions{Origin: blog}); err == nil {
		t.Error("the shop's token opened a websocket from the blog")
	}
	if _, err := s.DialWS(t, tok, testenv.DialOptions{Origin: evil}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("websocket from an unknown origin: %v", err)
	}
}

// TestVisitorLimitsAndChannelState: sessions and messages are rate
// limited; a disabled channel refuses new sessions and ends visitors'
// tokens; an admin rotates only generated secrets.
func TestVisitorLimitsAndChannelState(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	id, key := webChannel(t, s, admin)
	v := startVisitor(t, s, "", key, nil)
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		r := s.Do(t, v.Token, visitorSend, map[string]any{"body": "spam"})
		limited = slices.Equal(r.Codes(), []string{"RATE_LIMITED"})
		if !limited && len(r.Errors) > 0 {
			t.Fatalf("message %d: %+v", i, r.Errors)
		}
	}
	if !limited {
		t.Fatal("40 messages in a row were not rate limited")
	}
	limited = false
	for i := 0; i < 40 && !limited; i++ {
		limited = slices.Equal(s.Do(t, "", startSession, map[string]any{"key": key}).Codes(), []string{"RATE_LIMITED"})
	}
	if !limited {
		t.Fatal("40 sessions from one address were not rate limited")
	}

	var ch struct {
		Node struct {
			WidgetSnippet   string
			SecretFieldsSet []string
		}
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Channel { widgetSnippet secretFieldsSet } } }`, map[string]any{"id": id}, &ch)
	if !strings.Contains(ch.Node.WidgetSnippet, `/widget.js" data-channel-key="`+key+`"`) || !slices.Equal(ch.Node.SecretFieldsSet, []string{"identitySecret"}) {
		t.Fatalf("new web channel: %+v", ch.Node)
	}
	r := s.Do(t, admin, `mutation($id: ID!) { rotateChannelSecret(id: $id, field: "nope") { secret } }`, map[string]any{"id": id})
	if codes := r.Codes(); !slices.Equal(codes, []string{"INVALID_INPUT"}) {
		t.Fatalf("rotating an unknown secret: %v", codes)
	}
	_, agent := newAgent(t, s, admin, "bea@example.com", "AGENT")
	r = s.Do(t, agent, `mutation($id: ID!) { rotateChannelSecret(id: $id, field: "identitySecret") { secret } }`, map[string]any{"id": id})
	if codes := r.Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
		t.Fatalf("an agent rotating a secret: %v", codes)
	}

	s.MustDo(t, admin, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { id } }`, map[string]any{"id": id}, nil)
	if r := s.Do(t, v.Token, visitorConv, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("visitor token on a disabled channel: %d %v", r.Status, r.Codes())
	}
	if codes := s.Do(t, "", startSession, map[string]any{"key": key}).Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
		t.Fatalf("session on a disabled channel: %v", codes)
	}
	if codes := s.Do(t, "", startSession, map[string]any{"key": "no-such-key"}).Codes(); !slices.Equal(codes, []string{"NOT_FOUND"}) {
		t.Fatalf("session on an unknown key: %v", codes)
	}
}
