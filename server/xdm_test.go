package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/xdm/xdmtest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// xEnv is a server with a connected, verified and enabled X DM channel on
// a fake X API, on a clock that stands still until moved.
type xEnv struct {
	s     *testenv.Server
	f     *xdmtest.Fake
	clock *testenv.Clock
	tok   string
	id    string
	hook  string
}

func newXEnv(t *testing.T) *xEnv {
	t.Helper()
	e := &xEnv{f: xdmtest.New(t), clock: testenv.NewClock()}
	e.f.SetNow(e.clock.Now)
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Now = e.clock.Now
		o.HTTPClient = e.f.Client() // trusts the fake's certificate
	}})
	e.tok = e.s.AdminToken(t)
	var out struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	e.s.MustDo(t, e.tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "x_dm", name: "Acme on X", settings: $s, secrets: $x}) { id webhookURL } }`,
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

// post delivers a body as X does, with the signature header sig ("" for
// none), and returns the answer's status.
func (e *xEnv) post(t *testing.T, body []byte, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.hook, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if sig != "" {
		req.Header.Set("x-twitter-webhooks-signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

type xConv struct {
	ID       string
	Customer struct{ ID, Name string }
	Messages struct {
		Edges []struct {
			Node struct {
				ID, Body, Direction string
				DeliveryStatus      *string
				Attachments         []attachment
			}
		}
	}
}

// conversations lists every conversation by its customer's name.
func (e *xEnv) conversations(t *testing.T) map[string]xConv {
	t.Helper()
	e.tok = e.s.AdminToken(t) // the clock may have moved past a token's life
	var out struct {
		Conversations struct{ Edges []struct{ Node xConv } }
	}
	e.s.MustDo(t, e.tok, `{ conversations(first: 20) { edges { node { id customer { id name }
		messages(first: 50) { edges { node { id body direction deliveryStatus attachments { `+attachmentFields+` } } } } } } } }`, nil, &out)
	byName := map[string]xConv{}
	for _, c := range out.Conversations.Edges {
		byName[c.Node.Customer.Name] = c.Node
	}
	return byName
}

func (e *xEnv) inbound(t *testing.T) (n int, bodies []string) {
	t.Helper()
	for _, c := range e.conversations(t) {
		for _, m := range c.Messages.Edges {
			if m.Node.Direction == "INBOUND" {
				n++
				bodies = append(bodies, m.Node.Body)
			}
		}
	}
	return n, bodies
}

func (e *xEnv) status(t *testing.T, id string) (string, string) {
	t.Helper()
	var out struct {
		Node struct{ DeliveryStatus, DeliveryError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
	return out.Node.DeliveryStatus, out.Node.DeliveryError
}

// xSign is X's signature, computed here from the spec.
func xSign(secret string, data []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(data)
	return "sha256=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

const (
	xAda = "2244994945"
	xBo  = "783214"
)

// TestXDMChannel: the CRC challenge is answered; a batch with the
// account's own reply, Ada's text and Bo's photo, posted twice, stores
// Ada's and Bo's messages once each and not the account's; forged and
// malformed posts store nothing; Bo's photo is fetched with the token; a
// reply goes out through the DM API with the bearer token and is READ
// once Ada's read event comes; a 429 is retried only once the
// x-rate-limit-reset time has come.
func TestXDMChannel(t *testing.T) {
	e := newXEnv(t)
	s, f := e.s, e.f

	res, err := http.Get(e.hook + "?" + url.Values{"crc_token": {"x-crc-0123"}, "nonce": {"MTU2"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var crc map[string]string
	if err := json.NewDecoder(res.Body).Decode(&crc); err != nil || res.StatusCode != 200 ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || crc["response_token"] != xSign(xdmtest.ConsumerSecret, []byte("x-crc-0123")) {
		t.Fatalf("CRC: %d %s %v (%v)", res.StatusCode, res.Header.Get("Content-Type"), crc, err)
	}
	res.Body.Close()
	if res, _ := http.Get(e.hook); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("GET without crc_token: %d", res.StatusCode)
	}

	pic := pngOf(8, 8)
	f.SetMedia("image/png", pic)
	now := e.clock.Now()
	users := xdmtest.Users(xAda, xBo, xdmtest.AccountID)
	users[xAda].(map[string]any)["name"] = "Ada"
	users[xBo].(map[string]any)["name"] = "Bo"
	batch := xdmtest.Body(xdmtest.AccountID, []map[string]any{
		xdmtest.DM("1500000000000000001", xdmtest.AccountID, xAda, "Thanks for writing!", now),
		xdmtest.DM("1500000000000000002", xAda, xdmtest.AccountID, "Where is my order?", now),
		xdmtest.WithPhoto(xdmtest.DM("1500000000000000003", xBo, xdmtest.AccountID, "The box arrived broken", now), f.MediaURL()),
	}, users)
	for range 2 { // X retries what it thinks was not answered
		if st := e.post(t, batch, xSign(xdmtest.ConsumerSecret, batch)); st != 200 {
			t.Fatalf("event: %d", st)
		}
	}
	forged := bytes.Replace(batch, []byte("Where is my order?"), []byte("Send me a refund!"), 1)
	for name, sig := range map[string]string{
		"another secret":            xSign("another-consumer-secret", forged),
		"unsigned":                  "",
		"signature of the original": xSign(xdmtest.ConsumerSecret, batch),
		"without its prefix":        strings.TrimPrefix(xSign(xdmtest.ConsumerSecret, forged), "sha256="),
	} {
		if st := e.post(t, forged, sig); st != http.StatusUnauthorized {
			t.Fatalf("forged event (%s): %d, want 401", name, st)
		}
	}
	for _, bad := range []string{`{"direct_message_events":[]}`, `{"for_user_id":"` + xdmtest.AccountID + `","direct_message_events":[{"type":"message_create","id":"9"}]}`, `{"for_user_id":`} {
		if st := e.post(t, []byte(bad), xSign(xdmtest.ConsumerSecret, []byte(bad))); st != http.StatusBadRequest {
			t.Fatalf("malformed %s: %d, want 400", bad, st)
		}
	}
	convs := e.conversations(t)
	n, bodies := e.inbound(t)
	if len(convs) != 2 || n != 2 || len(convs["Ada"].Messages.Edges) != 1 || len(convs["Bo"].Messages.Edges) != 1 {
		t.Fatalf("%d conversations with %d messages %q, want Ada's and Bo's with one each", len(convs), n, bodies)
	}
	if b := convs["Ada"].Messages.Edges[0].Node.Body; b != "Where is my order?" {
		t.Fatalf("Ada's message %q", b)
	}
	if b := convs["Bo"].Messages.Edges[0].Node.Body; b != "The box arrived broken" {
		t.Fatalf("Bo's message %q, want the photo's link out of the text", b)
	}

	// Bo's photo, fetched with the token.
	testenv.EventuallyErr(t, func() error {
		a := e.conversations(t)["Bo"].Messages.Edges[0].Node.Attachments
		if len(a) != 1 || a[0].Status != "READY" || a[0].URL == nil {
			return fmt.Errorf("photo %+v", a)
		}
		res, body := fetchLink(t, s, *a[0].URL)
		if res.StatusCode != 200 || !bytes.Equal(body, pic) || a[0].ContentType != "image/png" {
			return fmt.Errorf("fetched %d, %d bytes, %s", res.StatusCode, len(body), a[0].ContentType)
		}
		return nil
	})
	if f.MediaFetches() != 1 {
		t.Fatalf("%d media downloads, want 1", f.MediaFetches())
	}

	// A reply through the DM API.
	ada := convs["Ada"]
	reply := s.Send(t, e.tok, ada.ID, "It left this morning")
	testenv.Eventually(t, func() bool { st, _ := e.status(t, reply); return st == "SENT" }, "the reply sent")
	raw := f.Raw()
	if len(raw) != 1 || raw[0].Participant != xAda || raw[0].Header.Get("Authorization") != "Bearer "+xdmtest.AccessToken {
		t.Fatalf("sent %+v", raw)
	}
	var body map[string]any
	if err := json.Unmarshal(raw[0].Body, &body); err != nil || len(body) != 1 || body["text"] != "It left this morning" {
		t.Fatalf("sent body %s", raw[0].Body)
	}

	// Ada reads the conversation: the reply is READ.
	read := []byte(`{"for_user_id":"` + xdmtest.AccountID + `","direct_message_mark_read_events":[{"created_timestamp":"` +
		xdmtest.Millis(e.clock.Now().Add(time.Second)) + `","sender_id":"` + xAda + `","target":{"recipient_id":"` + xdmtest.AccountID +
		`"},"last_read_event_id":"` + "1790000000000000001" + `"}]}`)
	if st := e.post(t, read, xSign(xdmtest.ConsumerSecret, read)); st != 200 {
		t.Fatalf("mark read: %d", st)
	}
	testenv.Eventually(t, func() bool { st, _ := e.status(t, reply); return st == "READ" }, "the reply read")

	// Rate limited for two minutes: retried once x-rate-limit-reset has
	// come, not before.
	f.AnswerHTTP(http.StatusTooManyRequests, 2*time.Minute)
	limited := s.Send(t, e.tok, ada.ID, "One more thing")
	testenv.Eventually(t, func() bool { return len(f.Raw()) == 2 }, "the rate-limited attempt")
	if testenv.Within(300*time.Millisecond, func() bool { return len(f.Raw()) > 2 }) {
		t.Fatal("retried before the reset")
	}
	if st, why := e.status(t, limited); st != "QUEUED" {
		t.Fatalf("rate-limited message is %s (%s), want QUEUED", st, why)
	}
	e.clock.Advance(time.Minute)
	if testenv.Within(300*time.Millisecond, func() bool { return len(f.Raw()) > 2 }) {
		t.Fatal("retried a minute before the reset")
	}
	e.clock.Advance(time.Minute + 3*time.Second)
	testenv.Eventually(t, func() bool { st, _ := e.status(t, limited); return st == "SENT" }, "the retry after the reset")
	if raw := f.Raw(); len(raw) != 3 || !strings.Contains(string(raw[2].Body), "One more thing") {
		t.Fatalf("sends %d", len(raw))
	}
}

// TestXDMTokenRevoked: a send X refuses with 401 fails the message and
// marks the channel FAILED; a 403 (the customer takes no DMs from the
// account) fails the message only.
func TestXDMTokenRevoked(t *testing.T) {
	e := newXEnv(t)
	body := xdmtest.Body(xdmtest.AccountID, []map[string]any{xdmtest.DM("1500000000000000009", xAda, xdmtest.AccountID, "hi", e.clock.Now())},
		map[string]any{xAda: map[string]any{"name": "Ada", "screen_name": "ada"}})
	if st := e.post(t, body, xSign(xdmtest.ConsumerSecret, body)); st != 200 {
		t.Fatalf("event: %d", st)
	}
	conv := e.conversations(t)["Ada"].ID
	channelState := func() (string, string) {
		var ch struct {
			Node struct{ VerificationState, VerificationError string }
		}
		e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Channel { verificationState verificationError } } }`, map[string]any{"id": e.id}, &ch)
		return ch.Node.VerificationState, ch.Node.VerificationError
	}
	e.f.AnswerHTTP(http.StatusForbidden, 0)
	msg := e.s.Send(t, e.tok, conv, "Thank you!")
	testenv.Eventually(t, func() bool { st, _ := e.status(t, msg); return st == "FAILED" }, "the 403 send to fail")
	if st, _ := channelState(); st != "VERIFIED" {
		t.Fatalf("a 403 made the channel %s", st)
	}
	e.f.AnswerHTTP(http.StatusUnauthorized, 0)
	msg = e.s.Send(t, e.tok, conv, "Thank you again!")
	testenv.Eventually(t, func() bool { st, _ := e.status(t, msg); return st == "FAILED" }, "the 401 send to fail")
	if st, why := channelState(); st != "FAILED" || !strings.Contains(why, "401") || len(e.f.Raw()) != 2 {
		t.Fatalf("channel %s (%s) after a 401, %d sends (want FAILED naming the error, 2 sends)", st, why, len(e.f.Raw()))
	}
}
