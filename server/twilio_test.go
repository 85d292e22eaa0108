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

	"github.com/switchboard/switchboard/channels/smstwilio/twiliotest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// twilioEnv is a server with a verified, enabled Twilio SMS channel on
// the fake Twilio, on a clock that stands still until moved.
type twilioEnv struct {
	s     *testenv.Server
	f     *twiliotest.Fake
	clock *testenv.Clock
	tok   string
	id    string
	url   string // the channel's webhookURL: what Twilio signs
	hook  string // the same on the test server
}

func newTwilioEnv(t *testing.T) *twilioEnv {
	t.Helper()
	e := &twilioEnv{f: twiliotest.New(t), clock: testenv.NewClock()}
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = e.clock.Now }})
	e.tok = e.s.AdminToken(t)
	var out struct {
		CreateChannel struct {
			ID, WebhookURL string
			Enabled        bool
		}
	}
	e.s.MustDo(t, e.tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "sms_twilio", name: "SMS", settings: $s, secrets: $x}) { id webhookURL enabled } }`,
		map[string]any{"s": e.f.Settings(), "x": e.f.Secrets()}, &out)
	if out.CreateChannel.Enabled {
		t.Fatal("a Twilio channel starts enabled before its credentials are verified")
	}
	e.id, e.url = out.CreateChannel.ID, out.CreateChannel.WebhookURL
	e.hook = e.s.URL + strings.TrimPrefix(e.url, e.s.Config.PublicURL)
	var v struct {
		VerifyChannel struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": e.id}, &v)
	if v.VerifyChannel.VerificationState != "VERIFIED" || e.f.AccountCalls() != 1 {
		t.Fatalf("verify: %+v after %d account calls", v.VerifyChannel, e.f.AccountCalls())
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": e.id}, nil)
	return e
}

// post sends form to the webhook as Twilio does, signed for signedURL
// with token ("" for unsigned), and returns the answer.
func (e *twilioEnv) post(t *testing.T, form url.Values, signedURL, token string) (int, string) {
	t.Helper()
	r := twiliotest.Post(e.hook, signedURL, token, form)
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// twilio posts a genuine request.
func (e *twilioEnv) twilio(t *testing.T, form url.Values) {
	t.Helper()
	if st, body := e.post(t, form, e.url, twiliotest.AuthToken); st != 200 || !strings.Contains(body, "<Response/>") {
		t.Fatalf("Twilio's post answered %d %q, want 200 and empty TwiML", st, body)
	}
}

func (e *twilioEnv) conversations(t *testing.T) []waConv {
	t.Helper()
	e.tok = e.s.AdminToken(t)
	var out struct {
		Conversations struct{ Edges []struct{ Node waConv } }
	}
	e.s.MustDo(t, e.tok, `{ conversations(first: 20) { edges { node { id canReply replyBlockedReason customer { id name }
		messages(first: 50) { edges { node { id body direction deliveryStatus attachments { `+attachmentFields+` } } } } } } } }`, nil, &out)
	convs := make([]waConv, len(out.Conversations.Edges))
	for i, c := range out.Conversations.Edges {
		convs[i] = c.Node
	}
	return convs
}

func (e *twilioEnv) status(t *testing.T, id string) string {
	t.Helper()
	var out struct {
		Node struct{ DeliveryStatus, DeliveryError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
	return out.Node.DeliveryStatus
}

const twilioCustomer = "+14155550123"

// TestTwilioSMSChannel: a customer's SMS is stored once however often
// Twilio posts it; forged and malformed posts store nothing; an MMS's
// picture is fetched with the account's credentials; a reply goes out
// through the Messages API (Basic auth, the form's fields) and Twilio's
// status callbacks move it SENT → DELIVERED → READ on messageUpdated, a
// late "sent" never moving it back; STOP opts the customer out (sends
// refused OPTED_OUT) and START back in; a 20429 is retried.
func TestTwilioSMSChannel(t *testing.T) {
	e := newTwilioEnv(t)
	s, f := e.s, e.f

	sid := twiliotest.SID("SM", "first")
	first := twiliotest.Inbound(sid, twilioCustomer, "Hello, is my order shipped?")
	for range 2 { // Twilio retries what it thinks failed
		e.twilio(t, first)
	}
	// The same request signed for the URL with its default port.
	u, _ := url.Parse(e.url)
	u.Host += map[string]string{"https": ":443", "http": ":80"}[u.Scheme]
	withPort := u.String()
	if withPort == e.url {
		t.Fatalf("URL with port %q", withPort)
	}
	if st, _ := e.post(t, first, withPort, twiliotest.AuthToken); st != 200 {
		t.Fatalf("signed with the default port: %d", st)
	}

	// Forged and malformed posts store nothing.
	other := twiliotest.Inbound(twiliotest.SID("SM", "forged"), "+14155550999", "forged")
	tampered := twiliotest.Post(e.hook, e.url, twiliotest.AuthToken, other)
	tampered.Body = io.NopCloser(strings.NewReader(strings.Replace(other.Encode(), "forged", "forgeD", 1)))
	tampered.ContentLength = -1
	res, err := http.DefaultClient.Do(tampered)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("tampered body: %d, want 401", res.StatusCode)
	}
	for name, tc := range map[string]struct {
		form      url.Values
		signedURL string
		token     string
		want      int
	}{
		"unsigned":           {other, e.url, "", 401},
		"another token":      {other, e.url, "0123456789abcdef0123456789abcdef", 401},
		"another URL":        {other, e.url + "x", twiliotest.AuthToken, 401},
		"no MessageSid":      {url.Values{"AccountSid": {twiliotest.AccountSID}, "From": {"+14155550999"}, "Body": {"x"}}, e.url, twiliotest.AuthToken, 400},
		"From not a number":  {twiliotest.Inbound(twiliotest.SID("SM", "bad"), "client:bob", "x"), e.url, twiliotest.AuthToken, 400},
		"another account":    {url.Values{"AccountSid": {"AC00000000000000000000000000000000"}, "MessageSid": {twiliotest.SID("SM", "z")}, "From": {"+14155550999"}, "Body": {"x"}}, e.url, twiliotest.AuthToken, 403},
		"forged STOP status": {twiliotest.Status(sid, twilioCustomer, "failed", 30003), e.url, "", 401},
	} {
		if st, body := e.post(t, tc.form, tc.signedURL, tc.token); st != tc.want {
			t.Errorf("%s: %d %s, want %d", name, st, body, tc.want)
		}
	}
	convs := e.conversations(t)
	if len(convs) != 1 || len(convs[0].Messages.Edges) != 1 || convs[0].Messages.Edges[0].Node.Body != "Hello, is my order shipped?" {
		t.Fatalf("after duplicate, forged and malformed posts: %+v", convs)
	}
	conv := convs[0].ID

	// An MMS: the picture is fetched from Twilio with the credentials.
	pic := pngOf(8, 8)
	mms := twiliotest.SID("MM", "picture")
	media := twiliotest.SID("ME", "picture")
	f.AddMedia(mms, media, "image/png", pic)
	e.twilio(t, twiliotest.WithMedia(twiliotest.Inbound(mms, twilioCustomer, "Here is the label"), mms, [2]string{media, "image/png"}))
	testenv.EventuallyErr(t, func() error {
		c := e.conversations(t)
		if len(c) != 1 || len(c[0].Messages.Edges) != 2 {
			return fmt.Errorf("conversations %+v", c)
		}
		a := c[0].Messages.Edges[1].Node.Attachments
		if len(a) != 1 || a[0].Status != "READY" || a[0].URL == nil {
			return fmt.Errorf("attachments %+v", a)
		}
		res, body := fetchLink(t, s, *a[0].URL)
		if res.StatusCode != 200 || !bytes.Equal(body, pic) || a[0].ContentType != "image/png" {
			return fmt.Errorf("fetched %d, %d bytes", res.StatusCode, len(body))
		}
		return nil
	})
	if f.MediaCalls() != 1 || f.Refused() != 0 {
		t.Fatalf("%d downloads, %d refused calls", f.MediaCalls(), f.Refused())
	}

	// A reply, and its status callbacks on messageUpdated.
	ws, err := s.DialWS(t, e.tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	updates := ws.Subscribe(`subscription { messageUpdated { message { id deliveryStatus } } }`, nil)
	s.WaitSubscribers(t, 1)
	out := twiliotest.SID("SM", "reply-1")
	f.AnswerSID(out)
	reply := s.Send(t, e.tok, conv, "Yes, it left this morning")
	next := func(want string) {
		t.Helper()
		var ev struct {
			MessageUpdated struct {
				Message struct{ ID, DeliveryStatus string }
			}
		}
		updates.Next(t, &ev)
		for ev.MessageUpdated.Message.ID != reply { // the picture's message, its thumbnail done
			updates.Next(t, &ev)
		}
		if got := ev.MessageUpdated.Message; got.DeliveryStatus != want {
			t.Fatalf("messageUpdated = %+v, want %s %s", got, reply, want)
		}
	}
	next("SENT")
	if m := f.Messages(); len(m) != 1 || m[0].To != twilioCustomer || m[0].From != twiliotest.FromNumber || m[0].Body != "Yes, it left this morning" ||
		m[0].StatusCallback != e.url || m[0].MessagingServiceSid != "" {
		t.Fatalf("sent %+v", m)
	}
	for _, st := range []string{"delivered", "read"} {
		e.twilio(t, twiliotest.Status(out, twilioCustomer, st, 0))
		next(strings.ToUpper(st))
	}
	e.twilio(t, twiliotest.Status(out, twilioCustomer, "sent", 0))
	if st := e.status(t, reply); st != "READ" {
		t.Fatalf("a late sent status moved the reply back to %s", st)
	}

	// STOP: stored, and the customer is opted out on the channel.
	e.twilio(t, twiliotest.Inbound(twiliotest.SID("SM", "stop"), twilioCustomer, " stop "))
	testenv.EventuallyErr(t, func() error {
		c := e.conversations(t)
		if len(c) != 1 || c[0].CanReply || reason(c[0].ReplyBlockedReason) != "OPTED_OUT" {
			return fmt.Errorf("after STOP: %+v", c)
		}
		return nil
	})
	wantConflict(t, s.Do(t, e.tok, sendQ, map[string]any{"c": conv, "b": "please come back"}), "OPTED_OUT")
	if n := len(f.Messages()); n != 1 {
		t.Fatalf("%d sends after STOP", n)
	}
	// START: reachable again; a 20429 is retried after the delay.
	e.twilio(t, twiliotest.Inbound(twiliotest.SID("SM", "start"), twilioCustomer, "START"))
	if c := e.conversations(t); len(c) != 1 || !c[0].CanReply || len(c[0].Messages.Edges) != 5 {
		t.Fatalf("after START: %+v", c)
	}
	f.AnswerError(429, 20429, "Too Many Requests")
	limited := s.Send(t, e.tok, conv, "Welcome back")
	testenv.Eventually(t, func() bool { return len(f.Messages()) == 2 }, "the rate-limited attempt")
	if testenv.Within(300*time.Millisecond, func() bool { return len(f.Messages()) > 2 }) {
		t.Fatal("retried before the delay")
	}
	if st := e.status(t, limited); st != "QUEUED" {
		t.Fatalf("rate-limited message is %s, want QUEUED", st)
	}
	e.clock.Advance(time.Minute)
	testenv.Eventually(t, func() bool { return e.status(t, limited) == "SENT" }, "the retry after the delay")
	if m := f.Messages(); len(m) != 3 || m[2].Body != "Welcome back" {
		t.Fatalf("sends %+v", m)
	}
}

// TestTwilioSMSAuthRefused: a send Twilio refuses for the credentials
// (20003) fails the message and marks the channel FAILED; an invalid
// number (21211) fails the message only.
func TestTwilioSMSAuthRefused(t *testing.T) {
	e := newTwilioEnv(t)
	e.twilio(t, twiliotest.Inbound(twiliotest.SID("SM", "hi"), twilioCustomer, "hi"))
	conv := e.conversations(t)[0].ID
	e.f.AnswerError(400, 21211, "The 'To' number is not a valid phone number.")
	msg := e.s.Send(t, e.tok, conv, "Thanks!")
	testenv.Eventually(t, func() bool { return e.status(t, msg) == "FAILED" }, "the invalid number to fail")
	e.f.AnswerError(401, 20003, "Authenticate")
	msg = e.s.Send(t, e.tok, conv, "Thanks again!")
	testenv.Eventually(t, func() bool { return e.status(t, msg) == "FAILED" }, "the refused send to fail")
	var ch struct {
		Node struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Channel { verificationState verificationError } } }`, map[string]any{"id": e.id}, &ch)
	if ch.Node.VerificationState != "FAILED" || !strings.Contains(ch.Node.VerificationError, "20003") {
		t.Fatalf("channel %+v, want FAILED naming 20003", ch.Node)
	}
	if n := len(e.f.Messages()); n != 2 {
		t.Fatalf("%d sends, want 2 (none retried)", n)
	}
}
