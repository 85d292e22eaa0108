package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"

	"github.com/switchboard/switchboard/internal/testenv"
)

// subscribeMessages opens a websocket as tok on s and subscribes to
// conv's messageAdded, once the server counts it.
func subscribeMessages(t *testing.T, s *testenv.Server, tok, conv string) (*testenv.WS, *testenv.Subscription) {
	t.Helper()
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(messageAdded, map[string]any{"c": conv})
	s.WaitSubscribers(t, 1)
	return ws, sub
}

const messageAdded = `subscription($c: ID, $after: EventCursor) {
	messageAdded(conversationID: $c, after: $after) { cursor message { id body } } }`

type messageEvent struct {
	MessageAdded struct {
		Cursor  string
		Message struct{ ID, Body string }
	}
}

// TestLiveDelivery: a second agent's client sees a message the moment it
// is sent, and the sender's own subscription sees it too.
func TestLiveDelivery(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	conv := s.Conversation(t, admin)
	var created struct{ CreateAgent struct{ ID string } }
	s.MustDo(t, admin, `mutation { createAgent(input: {name: "Bea", email: "bea@example.com", password: "bea-password"}) { id } }`, nil, &created)
	bea := s.SignIn(t, "bea@example.com", "bea-password")

	for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(proto, func(t *testing.T) {
			own, err := s.DialWS(t, admin, testenv.DialOptions{Subprotocol: proto})
			if err != nil {
				t.Fatal(err)
			}
			other, err := s.DialWS(t, bea, testenv.DialOptions{Subprotocol: proto})
			if err != nil {
				t.Fatal(err)
			}
			mine := own.Subscribe(messageAdded, map[string]any{"c": conv})
			theirs := other.Subscribe(messageAdded, nil)
			s.WaitSubscribers(t, 2)
			id := s.Send(t, admin, conv, "hello from "+proto)
			for _, sub := range []*testenv.Subscription{mine, theirs} {
				var ev messageEvent
				sub.Next(t, &ev)
				if ev.MessageAdded.Message.ID != id || ev.MessageAdded.Message.Body != "hello from "+proto || ev.MessageAdded.Cursor == "" {
					t.Fatalf("event = %+v", ev)
				}
			}
			own.Close()
			other.Close()
			s.WaitSubscribers(t, 0)
		})
	}
}

// TestResume: after a disconnect, a subscription resumed from the last
// cursor gets exactly the missed events, in order, none twice, then live
// ones.
func TestResume(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	conv := s.Conversation(t, tok)
	ws, sub := subscribeMessages(t, s, tok, conv)
	s.Send(t, tok, conv, "one")
	var ev messageEvent
	sub.Next(t, &ev)
	cursor := ev.MessageAdded.Cursor
	ws.Close()
	s.WaitSubscribers(t, 0)

	missed := []string{"two", "three", "four"}
	for _, b := range missed {
		s.Send(t, tok, conv, b)
	}
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub = ws.Subscribe(messageAdded, map[string]any{"c": conv, "after": cursor})
	for _, want := range missed {
		sub.Next(t, &ev)
		if ev.MessageAdded.Message.Body != want {
			t.Fatalf("replayed %q, want %q", ev.MessageAdded.Message.Body, want)
		}
	}
	s.WaitSubscribers(t, 1)
	s.Send(t, tok, conv, "five")
	sub.Next(t, &ev)
	if ev.MessageAdded.Message.Body != "five" {
		t.Fatalf("live after replay: %q", ev.MessageAdded.Message.Body)
	}
	sub.Quiet(t, 100*time.Millisecond, "an extra message")
}

// TestResumeUnderConcurrentWriters: 20 writers send while a subscriber
// keeps disconnecting and resuming from its cursor; it sees every message
// exactly once, in cursor order.
func TestResumeUnderConcurrentWriters(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	conv := s.Conversation(t, tok)
	const writers, each = 20, 10
	ws, sub := subscribeMessages(t, s, tok, conv)

	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s.Send(t, tok, conv, fmt.Sprintf("w%d-%d", w, i))
			}
		}()
	}
	seen := map[string]bool{}
	var cursor string
	for len(seen) < writers*each {
		var ev messageEvent
		sub.Next(t, &ev)
		body := ev.MessageAdded.Message.Body
		if seen[body] {
			t.Fatalf("%s delivered twice", body)
		}
		seen[body] = true
		cursor = ev.MessageAdded.Cursor
		if len(seen)%37 == 0 { // drop the connection and resume
			ws.Close()
			var err error
			if ws, err = s.DialWS(t, tok, testenv.DialOptions{}); err != nil {
				t.Fatal(err)
			}
			sub = ws.Subscribe(messageAdded, map[string]any{"c": conv, "after": cursor})
		}
	}
	wg.Wait()
	sub.Quiet(t, 100*time.Millisecond, "an extra message")
}

// TestSubscriptionIsolation: a subscriber of workspace B sees none of A's events.
func TestSubscriptionIsolation(t *testing.T) {
	s := testenv.New(t)
	a := s.AdminToken(t)
	b := s.NewWorkspace(t, "other", "other@example.com")
	convA, convB := s.Conversation(t, a), s.Conversation(t, b)
	ws, err := s.DialWS(t, b, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := ws.Subscribe(messageAdded, nil)
	named := ws.Subscribe(messageAdded, map[string]any{"c": convA})
	changes := ws.Subscribe(`subscription { conversationChanged { type conversation { id } } }`, nil)
	s.WaitSubscribers(t, 3)
	s.Send(t, a, convA, "secret of A")
	s.MustDo(t, a, `mutation($c: ID!) { setConversationStatus(id: $c, status: RESOLVED) { id } }`, map[string]any{"c": convA}, &struct{}{})
	s.Send(t, b, convB, "B's own")
	s.MustDo(t, b, `mutation($c: ID!) { setConversationPriority(id: $c, priority: HIGH) { id } }`, map[string]any{"c": convB}, &struct{}{})
	var ev messageEvent
	all.Next(t, &ev)
	if ev.MessageAdded.Message.Body != "B's own" {
		t.Fatalf("B received %q", ev.MessageAdded.Message.Body)
	}
	var ch struct {
		ConversationChanged struct {
			Type         string
			Conversation struct{ ID string }
		}
	}
	changes.Next(t, &ch)
	if ch.ConversationChanged.Conversation.ID != convB || ch.ConversationChanged.Type != "UPDATED" {
		t.Fatalf("B received %+v", ch)
	}
	named.Quiet(t, 100*time.Millisecond, "a subscription to A's conversation")
}

// TestConnectionInit: bad credentials close the socket with 4403.
func TestConnectionInit(t *testing.T) {
	s := testenv.New(t)
	for name, payload := range map[string]map[string]any{
		"none":      {},
		"garbage":   {"authorization": "Bearer nope"},
		"bad token": {"authToken": "sbt_notatoken"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.DialWS(t, "", testenv.DialOptions{InitPayload: payload})
			if err == nil {
				t.Fatal("connection accepted")
			}
			if got := fmt.Sprint(err); !strings.Contains(got, "4403") {
				t.Fatalf("error = %v, want a 4403 close", err)
			}
		})
	}
	// authToken is accepted as well as authorization.
	if _, err := s.DialWS(t, "", testenv.DialOptions{InitPayload: map[string]any{"authToken": s.AdminToken(t)}}); err != nil {
		t.Fatal(err)
	}
}

// TestTokenExpiry: a subscription whose token expires ends with UNAUTHENTICATED.
func TestTokenExpiry(t *testing.T) {
	s := testenv.New(t)
	var v struct {
		Viewer struct {
			ID        string
			Workspace struct{ ID string }
		}
	}
	s.MustDo(t, s.AdminToken(t), `{ viewer { id workspace { id } } }`, nil, &v)
	now := time.Now()
	short, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "switchboard", "aud": "switchboard-api", "sub": v.Viewer.ID, "wsp": v.Viewer.Workspace.ID,
		"iat": now.Unix(), "exp": now.Add(time.Second).Unix(),
	}).SignedString(s.Config.JWTSecret)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := s.DialWS(t, short, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(messageAdded, nil)
	select {
	case m, ok := <-sub.C:
		if !ok || m.Type != "error" || !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
			t.Fatalf("got %v %s, want an UNAUTHENTICATED error", ok, m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription outlived its token")
	}
}

func containsCode(payload []byte, code string) bool {
	return strings.Contains(string(payload), `"code":"`+code+`"`)
}

func workspaceID(s string) gid.ID { return gid.ID(s) }

// TestCursorExpired: a cursor older than the retention is refused with
// CURSOR_EXPIRED; a fresh one still works.
func TestCursorExpired(t *testing.T) {
	// No routing consumer: pruning waits for durable consumers, and this
	// test prunes at once.
	s := testenv.New(t, testenv.NoRouting, testenv.NoAutomation)
	tok := s.AdminToken(t)
	conv := s.Conversation(t, tok)
	ws, sub := subscribeMessages(t, s, tok, conv)
	s.Send(t, tok, conv, "old")
	var ev messageEvent
	sub.Next(t, &ev)
	old := ev.MessageAdded.Cursor
	s.Send(t, tok, conv, "newer")
	sub.Next(t, &ev)
	if n, err := s.App.Events.Prune(context.Background(), time.Now().Add(time.Hour)); err != nil || n == 0 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	expired := ws.Subscribe(messageAdded, map[string]any{"after": old})
	select {
	case m := <-expired.C:
		if !containsCode(m.Payload, "CURSOR_EXPIRED") {
			t.Fatalf("got %s %s, want CURSOR_EXPIRED", m.Type, m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	bad := ws.Subscribe(messageAdded, map[string]any{"after": "not-a-cursor"})
	if m := <-bad.C; !containsCode(m.Payload, "INVALID_INPUT") {
		t.Fatalf("malformed cursor: %s", m.Payload)
	}
}

// TestOrigins: browsers may connect from the configured consoles and the
// server's own origin; other origins are refused; clients without an
// Origin header are not browsers and are allowed.
func TestOrigins(t *testing.T) {
	s := testenv.New(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://console.example.com"} })
	tok := s.AdminToken(t)
	for origin, ok := range map[string]bool{
		"":                            true,
		"https://console.example.com": true,
		"https://evil.example.com":    false,
		"http://console.example.com":  false,
		s.URL:                         true,
	} {
		_, err := s.DialWS(t, tok, testenv.DialOptions{Origin: origin})
		if (err == nil) != ok {
			t.Errorf("websocket from %q: err = %v, want allowed=%v", origin, err, ok)
		}
		req, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		allowed := res.Header.Get("Access-Control-Allow-Origin") == origin && res.StatusCode < 300
		if origin != "" && allowed != ok {
			t.Errorf("CORS preflight from %q: %d %q, want allowed=%v", origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), ok)
		}
	}
}

// TestRevokedCredentialEndsSubscriptions: revoking an API token, or
// deactivating an agent, ends their open subscriptions with UNAUTHENTICATED.
func TestRevokedCredentialEndsSubscriptions(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	var tok struct {
		CreateApiToken struct {
			Token    string
			ApiToken struct{ ID string }
		}
	}
	s.MustDo(t, admin, `mutation { createApiToken(input: {name: "bot", scopes: [READ]}) { token apiToken { id } } }`, nil, &tok)
	var ag struct{ CreateAgent struct{ ID string } }
	s.MustDo(t, admin, `mutation { createAgent(input: {name: "Eve", email: "eve@example.com", password: "eve-password"}) { id } }`, nil, &ag)
	eve := s.SignIn(t, "eve@example.com", "eve-password")

	subs := map[string]*testenv.Subscription{}
	for name, cred := range map[string]string{"token": tok.CreateApiToken.Token, "agent": eve} {
		ws, err := s.DialWS(t, cred, testenv.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		subs[name] = ws.Subscribe(messageAdded, nil)
	}
	s.WaitSubscribers(t, 2)
	s.MustDo(t, admin, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": tok.CreateApiToken.ApiToken.ID}, &struct{}{})
	s.MustDo(t, admin, `mutation($id: ID!) { deactivateAgent(id: $id) { id } }`, map[string]any{"id": ag.CreateAgent.ID}, &struct{}{})
	for name, sub := range subs {
		select {
		case m := <-sub.C:
			if m.Type != "error" || !containsCode(m.Payload, "UNAUTHENTICATED") {
				t.Fatalf("%s: got %s %s, want an UNAUTHENTICATED error", name, m.Type, m.Payload)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the subscription outlived its revoked credential", name)
		}
	}
}

// TestResumeUnderConcurrentWebhooks: 32 senders post webhooks at once
// while a subscriber to the whole workspace drops its connection and
// resumes from its cursor every 50 messages; it receives every message
// exactly once, in increasing positions. On PostgreSQL this is the
// settled-horizon rule at work: writers commit in any order, and no
// reader ever passes a position that a running transaction may still
// fill.
func TestResumeUnderConcurrentWebhooks(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	const senders, each = 32, 10
	const sub = `subscription($after: EventCursor) { messageAdded(after: $after) { cursor message { id body } } }`
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stream := ws.Subscribe(sub, nil)
	s.WaitSubscribers(t, 1)

	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body, _ := json.Marshal(inboundPayload(fmt.Sprintf("m-%d-%d", w, i), fmt.Sprint("sender-", w), fmt.Sprintf("w%d-%d", w, i)))
				req, _ := http.NewRequest(http.MethodPost, ch.WebhookURL, bytes.NewReader(body))
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req.Header.Set("X-Switchboard-Timestamp", ts)
				req.Header.Set("X-Switchboard-Signature", "sha256="+sign(apiSecret, ts, body))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("webhook: status %d", res.StatusCode)
					return
				}
			}
		}()
	}
	seen := map[string]bool{}
	var cursor string
	var last int64
	for len(seen) < senders*each && !t.Failed() {
		var ev messageEvent
		stream.Next(t, &ev)
		body := ev.MessageAdded.Message.Body
		if seen[body] {
			t.Fatalf("%s delivered twice", body)
		}
		seen[body] = true
		cursor = ev.MessageAdded.Cursor
		pos, err := events.ParseCursor(cursor)
		if err != nil {
			t.Fatal(err)
		}
		if pos <= last {
			t.Fatalf("position %d after %d", pos, last)
		}
		last = pos
		if len(seen)%50 == 0 { // drop the connection and resume
			ws.Close()
			if ws, err = s.DialWS(t, tok, testenv.DialOptions{}); err != nil {
				t.Fatal(err)
			}
			stream = ws.Subscribe(sub, map[string]any{"after": cursor})
		}
	}
	wg.Wait()
	stream.Quiet(t, 100*time.Millisecond, "an extra message")
}
