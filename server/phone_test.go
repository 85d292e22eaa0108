package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/phone/phonetest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/testenv"
)

const phoneSecret = "phone-test-secret-0123456789"

// phoneEnv is a server with a phone channel, on a clock that moves only
// when the test says (the webhook refuses timestamps 5 minutes off).
type phoneEnv struct {
	s     *testenv.Server
	tok   string
	clock *clock
	id    string
	hook  string
}

func newPhoneEnv(t *testing.T) *phoneEnv {
	t.Helper()
	e := &phoneEnv{clock: &clock{at: time.Now().UTC().Truncate(time.Second)}}
	// The recordings are on a local test server.
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = e.clock.Now }},
		func(c *config.Config) { c.AllowPrivateFetch = true })
	e.tok = e.s.AdminToken(t)
	var ch struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	e.s.MustDo(t, e.tok, `mutation($x: Map) { createChannel(input: {kind: "phone", name: "Phone", secrets: $x}) { id webhookURL } }`,
		map[string]any{"x": map[string]any{"secret": phoneSecret}}, &ch)
	e.id = ch.CreateChannel.ID
	e.hook = e.s.URL + strings.TrimPrefix(ch.CreateChannel.WebhookURL, e.s.Config.PublicURL)
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { verifyChannel(id: $id) { id } }`, map[string]any{"id": e.id}, nil)
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": e.id}, nil)
	return e
}

// post sends r and returns its status.
func (e *phoneEnv) do(t *testing.T, r *http.Request) int {
	t.Helper()
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// post signs ev as the telephony system would, now, and posts it.
func (e *phoneEnv) post(t *testing.T, ev phonetest.Event) int {
	t.Helper()
	return e.do(t, phonetest.Request(e.hook, phoneSecret, e.clock.Now(), phonetest.Body(ev)))
}

type phoneCall struct {
	ID, Status, Direction, From, To string
	StartedAt                       time.Time
	AnsweredAt, EndedAt             *time.Time
	DurationSeconds                 *int
	Agent                           *struct{ Email string }
	Conversation                    *struct{ ID, Status string }
	Customer                        struct{ ID string }
}

const phoneCallFields = `id status direction from to startedAt answeredAt endedAt durationSeconds agent { email } conversation { id status } customer { id }`

// calls lists the CallEntry nodes of cust's timeline, and how many
// entries it has in all.
func (e *phoneEnv) calls(t *testing.T, cust string) (calls []phoneCall, entries int) {
	t.Helper()
	var out struct {
		Node struct {
			Timeline struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Typename string `json:"__typename"`
						ID       string
						Call     *phoneCall
					}
				}
			}
		}
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Customer { timeline(first: 50) { totalCount edges { node { __typename id
		... on CallEntry { call { `+phoneCallFields+` } } } } } } } }`, map[string]any{"id": cust}, &out)
	for _, ed := range out.Node.Timeline.Edges {
		if ed.Node.Typename == "CallEntry" {
			if !strings.HasSuffix(ed.Node.ID, ":call") || ed.Node.Call == nil {
				t.Fatalf("CallEntry %+v", ed.Node)
			}
			calls = append(calls, *ed.Node.Call)
		}
	}
	return calls, out.Node.Timeline.TotalCount
}

func (e *phoneEnv) customerByPhone(t *testing.T, number string) (id string, identities []string) {
	t.Helper()
	var out struct {
		Customers struct {
			Edges []struct {
				Node struct {
					ID         string
					Identities []struct {
						Kind, Value string
						Verified    bool
					}
				}
			}
		}
	}
	e.s.MustDo(t, e.tok, `query($q: String) { customers(search: $q) { edges { node { id identities { kind value verified } } } } }`,
		map[string]any{"q": number}, &out)
	if len(out.Customers.Edges) != 1 {
		return "", nil
	}
	n := out.Customers.Edges[0].Node
	for _, i := range n.Identities {
		if i.Verified {
			identities = append(identities, i.Kind+":"+i.Value)
		}
	}
	return n.ID, identities
}

func (e *phoneEnv) count(t *testing.T) (customers, conversations int) {
	t.Helper()
	var out struct {
		Customers, Conversations struct{ TotalCount int }
	}
	e.s.MustDo(t, e.tok, `{ customers { totalCount } conversations { totalCount } }`, nil, &out)
	return out.Customers.TotalCount, out.Conversations.TotalCount
}

// TestPhoneCalls: a known number's call goes RINGING → ANSWERED → ENDED
// as one CallEntry on their timeline, joined to the phone conversation
// the answer opened, with its agent, times and duration; a duplicate or
// late event changes nothing; a second call joins the open conversation;
// an unknown number becomes a customer with that PHONE identity; a
// missed call opens a conversation that waits in the routing queue, and
// reopens a resolved one; forged, stale and malformed events store
// nothing; an agent logs a call by hand.
func TestPhoneCalls(t *testing.T) {
	e := newPhoneEnv(t)
	s, tok := e.s, e.tok

	var cu struct{ CreateCustomer struct{ ID string } }
	s.MustDo(t, tok, `mutation { createCustomer(input: {name: "Dana"}) { id } }`, nil, &cu)
	dana := cu.CreateCustomer.ID
	s.MustDo(t, tok, `mutation($c: ID!) { addCustomerIdentity(customerID: $c, kind: PHONE, value: "+1 415 555 0100", verified: true) { id } }`,
		map[string]any{"c": dana}, nil)

	start := e.clock.Now().Add(-time.Minute)
	ring := phonetest.Event{CallID: "pbx-1", Status: "RINGING", From: "+14155550100", To: "+18005550199",
		StartedAt: start.Format(time.RFC3339)}
	if code := e.post(t, ring); code != 200 {
		t.Fatalf("RINGING: %d", code)
	}
	calls, _ := e.calls(t, dana)
	if len(calls) != 1 || calls[0].Status != "RINGING" || calls[0].Conversation != nil || calls[0].Direction != "INBOUND" ||
		!calls[0].StartedAt.Equal(start) || calls[0].Customer.ID != dana {
		t.Fatalf("after RINGING: %+v", calls)
	}
	answered := ring
	answered.Status, answered.AnsweredAt = "ANSWERED", start.Add(10*time.Second).Format(time.RFC3339)
	answered.Agent = &phonetest.Agent{Email: testenv.AdminEmail}
	if code := e.post(t, answered); code != 200 {
		t.Fatalf("ANSWERED: %d", code)
	}
	endedEv := answered
	endedEv.Status, endedEv.EndedAt, endedEv.DurationSeconds = "ENDED", start.Add(52*time.Second).Format(time.RFC3339), ptrInt(42)
	recording := append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), make([]byte, 2048)...)
	pbx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/recordings/pbx-1.mp3" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "audio/mpeg")
		_, _ = w.Write(recording)
	}))
	t.Cleanup(pbx.Close)
	endedEv.RecordingURL = pbx.URL + "/recordings/pbx-1.mp3"
	for i := range 2 { // the PBX retries: stored once
		if code := e.post(t, endedEv); code != 200 {
			t.Fatalf("ENDED #%d: %d", i+1, code)
		}
	}
	if code := e.post(t, answered); code != 200 { // late: never backwards
		t.Fatalf("late ANSWERED: %d", code)
	}
	calls, _ = e.calls(t, dana)
	if len(calls) != 1 {
		t.Fatalf("%d calls after one call's events", len(calls))
	}
	c := calls[0]
	if c.Status != "ENDED" || c.DurationSeconds == nil || *c.DurationSeconds != 42 || c.AnsweredAt == nil || c.EndedAt == nil ||
		!c.EndedAt.Equal(start.Add(52*time.Second)) || c.Agent == nil || c.Agent.Email != testenv.AdminEmail ||
		c.Conversation == nil || c.Conversation.Status != "OPEN" || c.From != "+14155550100" || c.To != "+18005550199" {
		t.Fatalf("the ended call: %+v", c)
	}
	conv := c.Conversation.ID
	var cv struct {
		Node struct {
			Channel  struct{ ID string }
			Customer struct{ ID string }
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { channel { id } customer { id } } } }`, map[string]any{"id": conv}, &cv)
	if cv.Node.Channel.ID != e.id || cv.Node.Customer.ID != dana {
		t.Fatalf("the call's conversation: %+v", cv.Node)
	}
	// The recording is fetched into an Attachment.
	testenv.EventuallyErr(t, func() error {
		var rec struct {
			Node struct {
				Recording *struct {
					Status, URL, ContentType, Name string
					Size                           int
				}
			}
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Call { recording { status url contentType name size } } } }`, map[string]any{"id": c.ID}, &rec)
		if r := rec.Node.Recording; r == nil || r.Status != "READY" || r.URL == "" || r.ContentType != "audio/mpeg" || r.Size != len(recording) || r.Name != "pbx-1.mp3" {
			return fmt.Errorf("the call's recording: %+v", r)
		}
		return nil
	})
	// The call as a node.
	var node struct{ Node phoneCall }
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Call { `+phoneCallFields+` } } }`, map[string]any{"id": c.ID}, &node)
	if node.Node.ID != c.ID || node.Node.Status != "ENDED" {
		t.Fatalf("node(call) = %+v", node.Node)
	}

	// A second call of Dana's joins her open phone conversation.
	if code := e.post(t, phonetest.Event{CallID: "pbx-2", Status: "ANSWERED", From: "+14155550100", To: "+18005550199"}); code != 200 {
		t.Fatalf("second call: %d", code)
	}
	calls, _ = e.calls(t, dana)
	if len(calls) != 2 || calls[1].Conversation == nil || calls[1].Conversation.ID != conv {
		t.Fatalf("after a second call: %+v", calls)
	}

	// Forged, stale and malformed events: refused, nothing stored.
	custBefore, convBefore := e.count(t)
	stranger := phonetest.Body(phonetest.Event{CallID: "pbx-x", Status: "MISSED", From: "+14155550111", To: "100"})
	refused := map[string]struct {
		r    *http.Request
		want int
	}{
		"wrong secret": {phonetest.Request(e.hook, "not-the-secret-0123456789", e.clock.Now(), stranger), 401},
		"stale":        {phonetest.Request(e.hook, phoneSecret, e.clock.Now().Add(-6*time.Minute), stranger), 401},
		"malformed":    {phonetest.Request(e.hook, phoneSecret, e.clock.Now(), []byte(`{"callID":"pbx-x","status":"HELD"}`)), 400},
		"national":     {phonetest.Request(e.hook, phoneSecret, e.clock.Now(), []byte(`{"callID":"pbx-x","status":"MISSED","from":"4155550111","to":"1"}`)), 400},
	}
	unsigned := phonetest.Request(e.hook, phoneSecret, e.clock.Now(), stranger)
	unsigned.Header.Del("X-Switchboard-Signature")
	refused["unsigned"] = struct {
		r    *http.Request
		want int
	}{unsigned, 401}
	for name, tc := range refused {
		if code := e.do(t, tc.r); code != tc.want {
			t.Errorf("%s: %d, want %d", name, code, tc.want)
		}
	}
	if cus, cnv := e.count(t); cus != custBefore || cnv != convBefore {
		t.Fatalf("refused events stored something: customers %d→%d, conversations %d→%d", custBefore, cus, convBefore, cnv)
	}

	// An unknown number that hangs up unanswered: a new customer with
	// that PHONE identity, and a conversation waiting in the queue.
	if code := e.post(t, phonetest.Event{CallID: "pbx-3", Status: "RINGING", From: "+447700900123", To: "+18005550199"}); code != 200 {
		t.Fatalf("stranger RINGING: %d", code)
	}
	if code := e.post(t, phonetest.Event{CallID: "pbx-3", Status: "MISSED", From: "+447700900123", To: "+18005550199"}); code != 200 {
		t.Fatalf("stranger MISSED: %d", code)
	}
	lee, ids := e.customerByPhone(t, "+447700900123")
	if lee == "" || !strings.Contains(strings.Join(ids, ","), "PHONE:+447700900123") {
		t.Fatalf("the unknown caller: %q %v", lee, ids)
	}
	calls, _ = e.calls(t, lee)
	if len(calls) != 1 || calls[0].Status != "MISSED" || calls[0].Conversation == nil || calls[0].Conversation.Status != "OPEN" {
		t.Fatalf("the missed call: %+v", calls)
	}
	missedConv := calls[0].Conversation.ID
	var q struct {
		RoutingQueue []struct{ Conversation struct{ ID string } }
	}
	s.MustDo(t, tok, `query($ch: ID) { routingQueue(channelID: $ch) { conversation { id } } }`, map[string]any{"ch": e.id}, &q)
	inQueue := false
	for _, en := range q.RoutingQueue {
		inQueue = inQueue || en.Conversation.ID == missedConv
	}
	if !inQueue {
		t.Fatalf("the missed call's conversation is not in the routing queue: %+v", q.RoutingQueue)
	}

	// Resolved, then missed again: the conversation reopens.
	s.MustDo(t, tok, `mutation($id: ID!) { setConversationStatus(id: $id, status: RESOLVED) { id } }`, map[string]any{"id": missedConv}, nil)
	if code := e.post(t, phonetest.Event{CallID: "pbx-4", Status: "MISSED", From: "+447700900123", To: "+18005550199"}); code != 200 {
		t.Fatalf("second MISSED: %d", code)
	}
	calls, _ = e.calls(t, lee)
	if len(calls) != 2 || calls[1].Conversation == nil || calls[1].Conversation.ID != missedConv || calls[1].Conversation.Status != "OPEN" {
		t.Fatalf("a missed call after resolving: %+v", calls)
	}

	// An agent logs a call made elsewhere.
	var logged struct {
		LogCall struct {
			phoneCall
		}
	}
	s.MustDo(t, tok, `mutation($c: ID!, $cv: ID, $at: Time!) { logCall(input: {customerID: $c, conversationID: $cv, from: "+18005550199", to: "+14155550100",
		startedAt: $at, durationSeconds: 90}) { `+phoneCallFields+` } }`,
		map[string]any{"c": dana, "cv": conv, "at": e.clock.Now().Format(time.RFC3339)}, &logged)
	l := logged.LogCall
	if l.Status != "ENDED" || l.Direction != "OUTBOUND" || l.Agent == nil || l.Agent.Email != testenv.AdminEmail ||
		l.Conversation == nil || l.Conversation.ID != conv || l.DurationSeconds == nil || *l.DurationSeconds != 90 {
		t.Fatalf("logCall = %+v", l)
	}
	calls, _ = e.calls(t, dana)
	if len(calls) != 3 || calls[2].ID != l.ID {
		t.Fatalf("after logCall: %+v", calls)
	}
	wantInvalid := func(r *testenv.Response, what string) {
		t.Helper()
		if len(r.Errors) == 0 {
			t.Errorf("%s: accepted", what)
		}
	}
	wantInvalid(s.Do(t, tok, `mutation($c: ID!, $at: Time!) { logCall(input: {customerID: $c, status: RINGING, from: "1", to: "2", startedAt: $at}) { id } }`,
		map[string]any{"c": dana, "at": e.clock.Now().Format(time.RFC3339)}), "a RINGING logged call")
	wantInvalid(s.Do(t, tok, `mutation($c: ID!, $cv: ID, $at: Time!) { logCall(input: {customerID: $c, conversationID: $cv, from: "1", to: "2", startedAt: $at}) { id } }`,
		map[string]any{"c": dana, "cv": missedConv, "at": e.clock.Now().Format(time.RFC3339)}), "another customer's conversation")
}

func ptrInt(i int) *int { return &i }
