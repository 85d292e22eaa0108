package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

const apiSecret = "integrator-shared-secret-42"

// integrator is a fake integrator: it receives Switchboard's outbound
// messages on its callback URL and checks their signatures itself.
type integrator struct {
	*httptest.Server
	mu         sync.Mutex
	deliveries map[string]int // delivery id -> times received
	bodies     []map[string]any
	failFirst  atomic.Int32 // answer 500 this many more times
	badSigs    atomic.Int32
}

func newIntegrator(t *testing.T) *integrator {
	in := &integrator{deliveries: map[string]int{}}
	in.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get("X-Switchboard-Timestamp")
		if r.Header.Get("X-Switchboard-Signature") != "sha256="+sign(apiSecret, ts, body) {
			in.badSigs.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if m["event"] == "ping" {
			return
		}
		if in.failFirst.Add(-1) >= 0 {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		in.mu.Lock()
		in.deliveries[r.Header.Get("X-Switchboard-Delivery")]++
		in.bodies = append(in.bodies, m)
		in.mu.Unlock()
	}))
	t.Cleanup(in.Close)
	return in
}

func (in *integrator) received() (map[string]int, []map[string]any) {
	in.mu.Lock()
	defer in.mu.Unlock()
	d := map[string]int{}
	for k, v := range in.deliveries {
		d[k] = v
	}
	return d, append([]map[string]any(nil), in.bodies...)
}

func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	return hex.EncodeToString(mac.Sum(nil))
}

type apiChannel struct {
	ID, WebhookURL string
}

func createAPIChannel(t *testing.T, s *testenv.Server, tok, callback string) apiChannel {
	t.Helper()
	var out struct{ CreateChannel apiChannel }
	settings := map[string]any{}
	if callback != "" {
		settings["callbackURL"] = callback
	}
	s.MustDo(t, tok, `mutation($s: Map) { createChannel(input: {kind: "api", name: "App", settings: $s, secrets: {secret: "`+apiSecret+`"}}) { id webhookURL } }`,
		map[string]any{"s": settings}, &out)
	// The webhook URL is built from the public URL; the test server listens elsewhere.
	out.CreateChannel.WebhookURL = s.URL + strings.TrimPrefix(out.CreateChannel.WebhookURL, s.Config.PublicURL)
	return out.CreateChannel
}

// post sends an inbound message to a webhook, signed at the given time.
func post(t *testing.T, url, secret string, at time.Time, payload any) (int, map[string]string) {
	t.Helper()
	body, _ := json.Marshal(payload)
	return postBody(t, url, secret, at, body)
}

// postBody is post with the raw body given (bytes JSON encoding would fix).
func postBody(t *testing.T, url, secret string, at time.Time, body []byte) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	ts := strconv.FormatInt(at.Unix(), 10)
	if secret != "" {
		req.Header.Set("X-Switchboard-Timestamp", ts)
		req.Header.Set("X-Switchboard-Signature", "sha256="+sign(secret, ts, body))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func inboundPayload(id, sender, text string) map[string]any {
	return map[string]any{"messageID": id, "sender": map[string]any{"externalID": sender, "name": "Dana"}, "text": text}
}

func countMessages(t *testing.T, s *testenv.Server, tok string) (customers, conversations, messages int) {
	t.Helper()
	var out struct {
		Customers     struct{ TotalCount int }
		Conversations struct {
			TotalCount int
			Edges      []struct {
				Node struct{ Messages struct{ TotalCount int } }
			}
		}
	}
	s.MustDo(t, tok, `{ customers { totalCount } conversations(first: 100) { totalCount edges { node { messages { totalCount } } } } }`, nil, &out)
	for _, e := range out.Conversations.Edges {
		messages += e.Node.Messages.TotalCount
	}
	return out.Customers.TotalCount, out.Conversations.TotalCount, messages
}

// TestAPIChannelInbound: signed messages land in the inbox; unsigned,
// forged, stale, malformed and oversized ones store nothing.
func TestAPIChannelInbound(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	now := time.Now()

	status, ids := post(t, ch.WebhookURL, apiSecret, now, inboundPayload("m-1", "user-7", "Where is my order?"))
	if status != http.StatusOK || ids["conversationID"] == "" || ids["messageID"] == "" {
		t.Fatalf("signed inbound: %d %v", status, ids)
	}
	var conv struct {
		Node struct {
			Customer    struct{ Name string }
			Status      string
			LastMessage struct{ Body, Direction, SenderKind string }
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { status customer { name } lastMessage { body direction senderKind } } } }`,
		map[string]any{"id": ids["conversationID"]}, &conv)
	if conv.Node.Customer.Name != "Dana" || conv.Node.LastMessage.Body != "Where is my order?" || conv.Node.LastMessage.Direction != "INBOUND" {
		t.Fatalf("stored conversation = %+v", conv.Node)
	}

	bad := []struct {
		name   string
		secret string
		at     time.Time
		body   any
		want   int
	}{
		{"unsigned", "", now, inboundPayload("m-2", "user-7", "x"), 401},
		{"forged", "not-the-secret-at-all", now, inboundPayload("m-3", "user-7", "x"), 401},
		{"stale", apiSecret, now.Add(-6 * time.Minute), inboundPayload("m-4", "user-7", "x"), 401},
		{"future", apiSecret, now.Add(6 * time.Minute), inboundPayload("m-5", "user-7", "x"), 401},
		{"malformed", apiSecret, now, map[string]any{"messageID": "m-6", "text": "no sender"}, 400},
		{"oversized", apiSecret, now, inboundPayload("m-7", "user-7", strings.Repeat("x", 2<<20)), 413},
	}
	before := fmt.Sprint(countMessages(t, s, tok))
	for _, c := range bad {
		if status, _ := post(t, ch.WebhookURL, c.secret, c.at, c.body); status != c.want {
			t.Errorf("%s: status %d, want %d", c.name, status, c.want)
		}
	}
	if after := fmt.Sprint(countMessages(t, s, tok)); after != before {
		t.Fatalf("refused requests stored something: %s -> %s", before, after)
	}
	if status, _ := post(t, s.URL+"/webhooks/api/nosuchkey", apiSecret, now, inboundPayload("m-8", "u", "x")); status != 404 {
		t.Errorf("unknown channel: %d", status)
	}
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { enabled } }`, map[string]any{"id": ch.ID}, &struct{}{})
	if status, _ := post(t, ch.WebhookURL, apiSecret, now, inboundPayload("m-9", "user-7", "x")); status != 403 {
		t.Errorf("disabled channel: %d", status)
	}
}

// TestInboundRetriesStoredOnce: one message delivered five times is stored
// once and acknowledged five times with the same ids.
func TestInboundRetriesStoredOnce(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	var first map[string]string
	for i := 0; i < 5; i++ {
		status, ids := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload("same-id", "user-1", "hello"))
		if status != 200 {
			t.Fatalf("delivery %d: %d", i, status)
		}
		if first == nil {
			first = ids
		} else if ids["messageID"] != first["messageID"] || ids["conversationID"] != first["conversationID"] {
			t.Fatalf("delivery %d acknowledged %v, first %v", i, ids, first)
		}
	}
	if cu, cv, m := countMessages(t, s, tok); cu != 1 || cv != 1 || m != 1 {
		t.Fatalf("stored %d customers, %d conversations, %d messages; want 1 each", cu, cv, m)
	}
}

// TestConcurrentFirstMessages: 50 messages from one new sender at once
// make one customer and one conversation.
func TestConcurrentFirstMessages(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, _ := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload(fmt.Sprint("c-", i), "newcomer", "hi")); status != 200 {
				t.Errorf("message %d: status %d", i, status)
			}
		}()
	}
	wg.Wait()
	if cu, cv, m := countMessages(t, s, tok); cu != 1 || cv != 1 || m != 50 {
		t.Fatalf("stored %d customers, %d conversations, %d messages; want 1, 1, 50", cu, cv, m)
	}
}

// TestReopenAndDisabled: a customer's message reopens a recently resolved
// conversation (or starts a new one once the window has passed), and a
// disabled channel refuses replies.
func TestReopenAndDisabled(t *testing.T) {
	s := testenv.New(t, func(c *config.Config) { c.ReopenWindow = time.Hour })
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	_, first := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload("r-1", "user-9", "hi"))
	resolve := func(id string) {
		s.MustDo(t, tok, `mutation($id: ID!) { setConversationStatus(id: $id, status: RESOLVED) { id } }`, map[string]any{"id": id}, &struct{}{})
	}
	resolve(first["conversationID"])
	_, again := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload("r-2", "user-9", "one more thing"))
	if again["conversationID"] != first["conversationID"] {
		t.Fatalf("a message right after resolving started %s, want %s reopened", again["conversationID"], first["conversationID"])
	}
	var st struct{ Node struct{ Status string } }
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { status } } }`, map[string]any{"id": first["conversationID"]}, &st)
	if st.Node.Status != "OPEN" {
		t.Fatalf("reopened conversation is %s", st.Node.Status)
	}
	// Resolved two hours ago: outside the window, a new conversation starts.
	resolve(first["conversationID"])
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	s.App.Client.Conversation.UpdateOneID(gid.ID(first["conversationID"])).SetResolvedAt(time.Now().Add(-2 * time.Hour)).ExecX(ctx)
	_, later := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload("r-3", "user-9", "new topic"))
	if later["conversationID"] == first["conversationID"] {
		t.Fatal("a message long after resolving reopened the old conversation")
	}

	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { id } }`, map[string]any{"id": ch.ID}, &struct{}{})
	r := s.Do(t, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "hello?"}) { id } }`, map[string]any{"c": later["conversationID"]})
	if got := r.Codes(); len(got) != 1 || got[0] != "CONFLICT" {
		t.Fatalf("reply on a disabled channel: %v", got)
	}
	r = s.Do(t, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "note", private: true}) { id } }`, map[string]any{"c": later["conversationID"]})
	if len(r.Errors) != 0 {
		t.Fatalf("notes work on a disabled channel: %v", r.Errors)
	}
}
