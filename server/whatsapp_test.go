package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/meta/whatsapp/watest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// waEnv is a server with a connected, verified and enabled WhatsApp
// channel on a fake Cloud API, on a clock that stands still until moved.
type waEnv struct {
	s     *testenv.Server
	f     *watest.Fake
	clock *testenv.Clock
	tok   string
	id    string
	hook  string
}

func newWAEnv(t *testing.T) *waEnv {
	t.Helper()
	e := &waEnv{f: watest.New(t), clock: testenv.NewClock()}
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = e.clock.Now }})
	e.tok = e.s.AdminToken(t)
	var out struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	e.s.MustDo(t, e.tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "whatsapp", name: "Shop", settings: $s, secrets: $x}) { id webhookURL } }`,
		map[string]any{"s": e.f.Settings(), "x": e.f.Secrets()}, &out)
	e.id = out.CreateChannel.ID
	e.hook = e.s.URL + strings.TrimPrefix(out.CreateChannel.WebhookURL, e.s.Config.PublicURL)
	var v struct {
		VerifyChannel struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": e.id}, &v)
	if v.VerifyChannel.VerificationState != "VERIFIED" {
		t.Fatalf("verify: %+v", v.VerifyChannel)
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": e.id}, nil)
	return e
}

// post delivers a notification as Meta does, signed with secret ("" for
// none), and returns the answer's status.
func (e *waEnv) post(t *testing.T, body []byte, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.hook, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Hub-Signature-256", watest.Signature(secret, body))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

type waConv struct {
	ID                 string
	CanReply           bool
	ReplyBlockedReason *string
	Customer           struct{ ID, Name string }
	Messages           struct {
		Edges []struct {
			Node struct {
				ID, Body, Direction string
				DeliveryStatus      *string
				Attachments         []attachment
			}
		}
	}
}

// conversations lists every conversation, each with its messages.
func (e *waEnv) conversations(t *testing.T) map[string]waConv {
	t.Helper()
	e.tok = e.s.AdminToken(t) // the clock may have moved past a token's life
	var out struct {
		Conversations struct{ Edges []struct{ Node waConv } }
	}
	e.s.MustDo(t, e.tok, `{ conversations(first: 20) { edges { node { id canReply replyBlockedReason customer { id name }
		messages(first: 50) { edges { node { id body direction deliveryStatus attachments { `+attachmentFields+` } } } } } } } }`, nil, &out)
	byName := map[string]waConv{}
	for _, c := range out.Conversations.Edges {
		byName[c.Node.Customer.Name] = c.Node
	}
	return byName
}

func (e *waEnv) status(t *testing.T, id string) (string, string) {
	t.Helper()
	var out struct {
		Node struct{ DeliveryStatus, DeliveryError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
	return out.Node.DeliveryStatus, out.Node.DeliveryError
}

const (
	waAda = "8613800000000"
	waBo  = "15550001234"
	waCy  = "4915112345678"
)

// TestWhatsAppChannel: Meta's subscription check; a batch of two entries
// and five messages (a picture among them, and another phone number's
// change that is not this channel's), posted twice, stored once each;
// forged notifications store nothing; the picture is fetched by its media
// id; a reply goes out and statuses move it SENT → DELIVERED → READ on
// messageUpdated, a late "sent" never moving it back; a rate-limited send
// is retried only after its delay; 24 hours and a minute after the
// customer's last message free text is refused before anything is queued
// (TEMPLATE_REQUIRED) and an approved template goes out.
func TestWhatsAppChannel(t *testing.T) {
	e := newWAEnv(t)
	s, f := e.s, e.f

	res, err := http.Get(e.hook + "?" + url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {watest.VerifyToken}, "hub.challenge": {"1158201444"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	challenge, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(challenge) != "1158201444" {
		t.Fatalf("handshake: %d %q", res.StatusCode, challenge)
	}
	if res, _ := http.Get(e.hook + "?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("handshake with a wrong verify token: %d", res.StatusCode)
	}

	pic := pngOf(8, 8)
	f.AddMedia("1001", "image/png", pic)
	now := e.clock.Now()
	names := map[string]string{waAda: "Ada", waBo: "Bo", waCy: "Cy"}
	batch := watest.Notification(
		[]map[string]any{
			watest.Value("", names, []map[string]any{
				watest.Text("wamid.1", waAda, "Hello, is my order shipped?", now),
				watest.Message("wamid.2", waAda, "image", map[string]any{"id": "1001", "mime_type": "image/png", "sha256": "x"}, now),
				watest.Message("wamid.3", waBo, "interactive", map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": "track", "title": "Track my parcel"}}, now),
			}, nil),
			watest.Value("999000111", map[string]string{"33612345678": "Other"}, []map[string]any{watest.Text("wamid.other", "33612345678", "to another number", now)}, nil),
		},
		[]map[string]any{watest.Value("", names, []map[string]any{
			watest.Message("wamid.4", waBo, "location", map[string]any{"latitude": 48.8566, "longitude": 2.3522, "name": "Home"}, now),
			watest.Text("wamid.5", waCy, "Hallo!", now),
		}, nil)},
	)
	for range 2 { // Meta retries what it thinks was not answered
		if st := e.post(t, batch, watest.AppSecret); st != 200 {
			t.Fatalf("notification: %d", st)
		}
	}
	forged := bytes.Replace(batch, []byte("Hallo!"), []byte("Hallo?"), 1)
	for name, st := range map[string]int{"another secret": e.post(t, forged, "another-app-secret"), "unsigned": e.post(t, forged, ""),
		"signature of the original": func() int {
			req, _ := http.NewRequest(http.MethodPost, e.hook, bytes.NewReader(forged))
			req.Header.Set("X-Hub-Signature-256", watest.Signature(watest.AppSecret, batch))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}()} {
		if st != http.StatusUnauthorized {
			t.Fatalf("forged notification (%s): %d, want 401", name, st)
		}
	}
	convs := e.conversations(t)
	inbound := 0
	for _, c := range convs {
		for _, m := range c.Messages.Edges {
			if m.Node.Direction == "INBOUND" {
				inbound++
			}
			if strings.Contains(m.Node.Body, "Hallo?") || strings.Contains(m.Node.Body, "another number") {
				t.Fatalf("stored %q", m.Node.Body)
			}
		}
	}
	if len(convs) != 3 || inbound != 5 || len(convs["Ada"].Messages.Edges) != 2 || len(convs["Bo"].Messages.Edges) != 2 {
		t.Fatalf("%d conversations with %d messages, want Ada's, Bo's and Cy's with 5", len(convs), inbound)
	}

	// The picture, fetched by its media id with the token.
	testenv.EventuallyErr(t, func() error {
		for _, m := range e.conversations(t)["Ada"].Messages.Edges {
			if a := m.Node.Attachments; len(a) == 1 {
				if a[0].Status != "READY" || a[0].URL == nil {
					return fmt.Errorf("picture %+v", a[0])
				}
				res, body := fetchLink(t, s, *a[0].URL)
				if res.StatusCode != 200 || !bytes.Equal(body, pic) || a[0].ContentType != "image/png" {
					return fmt.Errorf("fetched %d, %d bytes", res.StatusCode, len(body))
				}
				return nil
			}
		}
		return fmt.Errorf("no picture")
	})
	if f.MediaCalls() != 1 || f.Refused() != 0 {
		t.Fatalf("%d downloads, %d refused calls", f.MediaCalls(), f.Refused())
	}

	// A reply, and its statuses on messageUpdated.
	ws, err := s.DialWS(t, e.tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	updates := ws.Subscribe(`subscription { messageUpdated { message { id deliveryStatus } } }`, nil)
	s.WaitSubscribers(t, 1)
	ada := convs["Ada"]
	f.Answer(channelstest.Answer{ID: "wamid.reply-1"})
	reply := s.Send(t, e.tok, ada.ID, "Yes, it left this morning")
	next := func(want string) {
		t.Helper()
		var ev struct {
			MessageUpdated struct {
				Message struct{ ID, DeliveryStatus string }
			}
		}
		updates.Next(t, &ev)
		if got := ev.MessageUpdated.Message; got.ID != reply || got.DeliveryStatus != want {
			t.Fatalf("messageUpdated = %+v, want %s %s", got, reply, want)
		}
	}
	next("SENT")
	if c := f.Calls(); len(c) != 1 || c[0].To != waAda || c[0].Type != "text" || c[0].Text != "Yes, it left this morning" {
		t.Fatalf("sent %+v", c)
	}
	statusOf := func(st string) []byte {
		return watest.Notification([]map[string]any{watest.Value("", nil, nil, []map[string]any{
			watest.Status("wamid.reply-1", st, waAda, e.clock.Now(), 0, "")})})
	}
	for _, st := range []string{"delivered", "read"} {
		if e.post(t, statusOf(st), watest.AppSecret) != 200 {
			t.Fatalf("%s status refused", st)
		}
		next(strings.ToUpper(st))
	}
	if e.post(t, statusOf("sent"), watest.AppSecret) != 200 {
		t.Fatal("late sent status refused")
	}
	if st, _ := e.status(t, reply); st != "READ" {
		t.Fatalf("a late sent status moved the reply back to %s", st)
	}

	// Rate limited: retried after the minute Meta's limits ask for, not
	// before.
	f.Fail(watest.Failure{Status: 400, Code: 130429, Message: "(#130429) Rate limit hit"})
	limited := s.Send(t, e.tok, ada.ID, "One more thing")
	testenv.Eventually(t, func() bool { return len(f.Calls()) == 2 }, "the rate-limited attempt")
	if testenv.Within(300*time.Millisecond, func() bool { return len(f.Calls()) > 2 }) {
		t.Fatal("retried before the delay")
	}
	if st, why := e.status(t, limited); st != "QUEUED" {
		t.Fatalf("rate-limited message is %s (%s), want QUEUED", st, why)
	}
	e.clock.Advance(61 * time.Second)
	testenv.Eventually(t, func() bool { st, _ := e.status(t, limited); return st == "SENT" }, "the retry after the delay")
	if c := f.Calls(); len(c) != 3 || c[2].Text != "One more thing" {
		t.Fatalf("calls %+v", c)
	}

	// A day and a minute after Ada's last message: templates only.
	e.clock.Advance(24*time.Hour + time.Minute)
	ada = e.conversations(t)["Ada"]
	if ada.CanReply || reason(ada.ReplyBlockedReason) != "TEMPLATE_REQUIRED" {
		t.Fatalf("after the window: canReply %v, reason %v", ada.CanReply, reason(ada.ReplyBlockedReason))
	}
	before := len(ada.Messages.Edges)
	wantConflict(t, s.Do(t, e.tok, sendQ, map[string]any{"c": ada.ID, "b": "Are you still there?"}), "TEMPLATE_REQUIRED")
	if n := len(e.conversations(t)["Ada"].Messages.Edges); n != before {
		t.Fatalf("the refused reply was stored: %d messages, want %d", n, before)
	}
	// The template list is a day old: fetched again within the send's
	// transaction, and cached after it.
	var sent struct{ SendMessage struct{ ID, Body string } }
	s.MustDo(t, e.tok, sendQ, map[string]any{"c": ada.ID, "b": "", "t": map[string]any{"templateID": "order_update", "language": "en_US",
		"params": map[string]any{"1": "Ada", "2": "A-17"}}}, &sent)
	if sent.SendMessage.Body != "Hi Ada, your order A-17 has shipped." {
		t.Fatalf("stored body %q", sent.SendMessage.Body)
	}
	if n := f.TemplateCalls(); n != 6 {
		t.Fatalf("%d template pages fetched, want 6 (at verify, then again a day later)", n)
	}
	testenv.Eventually(t, func() bool { st, _ := e.status(t, sent.SendMessage.ID); return st == "SENT" }, "the template sent")
	if c := f.Calls()[3]; c.Type != "template" || c.Template != "order_update" || c.Language != "en_US" || c.To != waAda ||
		c.Text != "Hi Ada, your order A-17 has shipped." || len(c.Params) != 2 || c.Params[0].Text != "Ada" {
		t.Fatalf("template sent as %+v", c)
	}
	// The list the agent picks from.
	var tpl struct {
		Node struct {
			Templates []struct{ ID, Language string }
		}
	}
	s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Channel { templates { id language } } } }`, map[string]any{"id": e.id}, &tpl)
	if len(tpl.Node.Templates) != 3 {
		t.Fatalf("Channel.templates = %+v, want the 3 approved ones", tpl.Node.Templates)
	}
}

// TestWhatsAppTokenRevoked: a send Meta refuses for the token (190) fails
// the message and marks the channel FAILED.
func TestWhatsAppTokenRevoked(t *testing.T) {
	e := newWAEnv(t)
	if st := e.post(t, watest.Notification([]map[string]any{watest.Value("", map[string]string{waAda: "Ada"},
		[]map[string]any{watest.Text("wamid.1", waAda, "hi", e.clock.Now())}, nil)}), watest.AppSecret); st != 200 {
		t.Fatalf("notification: %d", st)
	}
	e.f.Fail(watest.Failure{Status: 401, Code: 190, Message: "Error validating access token: The session has been invalidated"})
	msg := e.s.Send(t, e.tok, e.conversations(t)["Ada"].ID, "Thank you!")
	testenv.Eventually(t, func() bool { st, _ := e.status(t, msg); return st == "FAILED" }, "the send to fail")
	var ch struct {
		Node struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Channel { verificationState verificationError } } }`, map[string]any{"id": e.id}, &ch)
	if ch.Node.VerificationState != "FAILED" || !strings.Contains(ch.Node.VerificationError, "190") || len(e.f.Calls()) != 1 {
		t.Fatalf("channel %+v after a 190, %d calls (want FAILED naming the error, one call)", ch.Node, len(e.f.Calls()))
	}
}

// TestWhatsAppJoinsByPhone: a customer who wrote from a number elsewhere
// (an integrator vouching for it) is the WhatsApp customer of that
// number.
func TestWhatsAppJoinsByPhone(t *testing.T) {
	e := newWAEnv(t)
	api := createAPIChannel(t, e.s, e.tok, "")
	onAPI := customerOf(t, e.s, e.tok, mustPost(t, api, senderPayload("a1", "shop-user-7", "", "+86 138 0000 0000", "order question")))
	if st := e.post(t, watest.Notification([]map[string]any{watest.Value("", map[string]string{waAda: "Ada"},
		[]map[string]any{watest.Text("wamid.1", waAda, "it's me on WhatsApp", e.clock.Now())}, nil)}), watest.AppSecret); st != 200 {
		t.Fatalf("notification: %d", st)
	}
	var onWA string
	for _, c := range e.conversations(t) {
		for _, m := range c.Messages.Edges {
			if m.Node.Body == "it's me on WhatsApp" {
				onWA = c.Customer.ID
			}
		}
	}
	if onWA != onAPI {
		t.Fatalf("the WhatsApp sender is customer %q, not %q who has the same number", onWA, onAPI)
	}
}
