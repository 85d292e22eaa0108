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

	"github.com/switchboard/switchboard/channels/meta/metatest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/testenv"
)

type metaEnv struct {
	s     *testenv.Server
	f     *metatest.Fake
	clock *testenv.Clock
	tok   string
	id    string
	hook  string
}

// newMetaEnv starts a server with a connected, verified and enabled
// channel of kind on a fake Meta platform.
func newMetaEnv(t *testing.T, kind string, f *metatest.Fake) *metaEnv {
	t.Helper()
	e := &metaEnv{f: f, clock: testenv.NewClock()}
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = e.clock.Now }},
		func(c *config.Config) { c.AllowPrivateFetch = true })
	e.tok = e.s.AdminToken(t)
	var out struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	e.s.MustDo(t, e.tok, `mutation($k: String!, $s: Map, $x: Map) { createChannel(input: {kind: $k, name: "Shop", settings: $s, secrets: $x}) { id webhookURL } }`,
		map[string]any{"k": kind, "s": f.Settings(), "x": f.Secrets()}, &out)
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

// post delivers a notification as Meta does, signed with secret.
func (e *metaEnv) post(t *testing.T, body []byte, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.hook, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Hub-Signature-256", metatest.Signature(secret, body))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

type metaConv struct {
	ID                 string
	CanReply           bool
	ReplyBlockedReason *string
	Customer           struct{ Name string }
	Messages           struct {
		Edges []struct {
			Node struct {
				ID, Body, Direction string
				DeliveryStatus      *string
				Attachments         []struct{ Status, Name, ContentType string }
			}
		}
	}
}

func (e *metaEnv) conversations(t *testing.T) []metaConv {
	t.Helper()
	e.tok = e.s.AdminToken(t) // the clock may have moved past a token's life
	var out struct {
		Conversations struct{ Edges []struct{ Node metaConv } }
	}
	e.s.MustDo(t, e.tok, `{ conversations(first: 20) { edges { node { id canReply replyBlockedReason customer { name }
		messages(first: 50) { edges { node { id body direction deliveryStatus attachments { status name contentType } } } } } } } }`, nil, &out)
	var convs []metaConv
	for _, c := range out.Conversations.Edges {
		convs = append(convs, c.Node)
	}
	return convs
}

func countInbound(convs []metaConv) int {
	n := 0
	for _, c := range convs {
		for _, m := range c.Messages.Edges {
			if m.Node.Direction == "INBOUND" {
				n++
			}
		}
	}
	return n
}

// TestMessengerChannel: Meta's subscription check; a batch of two entries
// and five messages (one a picture) plus an echo of our own send, posted
// twice, stored once each and the echo never; forged notifications store
// nothing; the agent's reply goes out as RESPONSE and delivery and read
// reports move it to DELIVERED and READ; after 24 hours replies carry the
// HUMAN_AGENT tag; after 7 days they are refused before anything is
// queued, naming the window.
func TestMessengerChannel(t *testing.T) {
	f := metatest.NewMessenger(t)
	e := newMetaEnv(t, "messenger", f)
	s := e.s

	// The subscription check Meta makes when the callback URL is saved.
	res, err := http.Get(e.hook + "?" + url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {metatest.VerifyToken}, "hub.challenge": {"8421"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "8421" {
		t.Fatalf("handshake: %d %q", res.StatusCode, body)
	}
	if res, _ := http.Get(e.hook + "?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("handshake with a wrong token: %d", res.StatusCode)
	}

	now := e.clock.Now()
	picture := f.CDN("p.png", pngOf(8, 8))
	batch := []byte(fmt.Sprintf(`{"object":"page","entry":[
	 {"id":%[1]q,"time":%[2]d,"messaging":[
	  {"sender":{"id":"PSID-1"},"recipient":{"id":%[1]q},"timestamp":%[2]d,"message":{"mid":"m.1","text":"Hello, is my order shipped?"}},
	  {"sender":{"id":%[1]q},"recipient":{"id":"PSID-1"},"timestamp":%[2]d,"message":{"mid":"m.echo","text":"sent from the Page inbox","is_echo":true}},
	  {"sender":{"id":"PSID-1"},"recipient":{"id":%[1]q},"timestamp":%[2]d,"message":{"mid":"m.2","text":"Order 1001"}},
	  {"sender":{"id":"PSID-2"},"recipient":{"id":%[1]q},"timestamp":%[2]d,"message":{"mid":"m.3","text":"Do you ship to Lyon?"}}]},
	 {"id":%[1]q,"time":%[2]d,"messaging":[
	  {"sender":{"id":"PSID-2"},"recipient":{"id":%[1]q},"timestamp":%[2]d,"message":{"mid":"m.4","attachments":[{"type":"image","payload":{"url":%[3]q}}]}},
	  {"sender":{"id":"PSID-3"},"recipient":{"id":%[1]q},"timestamp":%[2]d,"message":{"mid":"m.5","text":"Hi"}}]}]}`,
		metatest.AccountID, now.UnixMilli(), picture))
	for range 2 { // Meta retries what it thinks was not answered
		if st := e.post(t, batch, metatest.AppSecret); st != 200 {
			t.Fatalf("notification: %d", st)
		}
	}
	// Forged: another app's secret, no signature, a changed body.
	forged := bytes.Replace(batch, []byte("m.5"), []byte("m.6"), 1)
	for _, st := range []int{e.post(t, forged, "another-app-secret"), e.post(t, forged, ""), e.post(t, forged, "")} {
		if st != http.StatusUnauthorized {
			t.Fatalf("forged notification: %d, want 401", st)
		}
	}
	convs := e.conversations(t)
	if len(convs) != 3 || countInbound(convs) != 5 {
		t.Fatalf("%d conversations with %d messages, want 3 with 5 (each stored once, the echo never)", len(convs), countInbound(convs))
	}
	testenv.Eventually(t, func() bool {
		for _, c := range e.conversations(t) {
			for _, m := range c.Messages.Edges {
				if len(m.Node.Attachments) == 1 && m.Node.Attachments[0].Status == "READY" {
					return true
				}
			}
		}
		return false
	}, "the picture fetched")

	var first metaConv
	for _, c := range e.conversations(t) {
		for _, m := range c.Messages.Edges {
			if m.Node.Body == "Order 1001" {
				first = c // PSID-1's
			}
		}
	}
	reply := s.Send(t, e.tok, first.ID, "Yes, it left this morning")
	testenv.Eventually(t, func() bool { return len(f.Calls()) == 1 }, "the reply")
	if c := f.Calls()[0]; c.To != "PSID-1" || c.MessagingType != "RESPONSE" || c.Tag != "" || c.Text != "Yes, it left this morning" {
		t.Fatalf("sent %+v", c)
	}
	status := func(id string) string {
		var out struct {
			Node struct{ DeliveryStatus string }
		}
		s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus } } }`, map[string]any{"id": id}, &out)
		return out.Node.DeliveryStatus
	}
	testenv.Eventually(t, func() bool { return status(reply) == "SENT" }, "SENT")
	at := e.clock.Now().Add(time.Second).UnixMilli()
	delivered := []byte(fmt.Sprintf(`{"object":"page","entry":[{"id":%[1]q,"time":%[2]d,"messaging":[{"sender":{"id":"PSID-1"},"recipient":{"id":%[1]q},"timestamp":%[2]d,"delivery":{"mids":["m_metatest-1"],"watermark":%[2]d}}]}]}`, metatest.AccountID, at))
	read := []byte(fmt.Sprintf(`{"object":"page","entry":[{"id":%[1]q,"time":%[2]d,"messaging":[{"sender":{"id":"PSID-1"},"recipient":{"id":%[1]q},"timestamp":%[2]d,"read":{"watermark":%[2]d}}]}]}`, metatest.AccountID, at))
	if e.post(t, delivered, metatest.AppSecret) != 200 || status(reply) != "DELIVERED" {
		t.Fatalf("after the delivery report: %s", status(reply))
	}
	if e.post(t, read, metatest.AppSecret) != 200 || status(reply) != "READ" {
		t.Fatalf("after the read report: %s", status(reply))
	}
	if e.post(t, delivered, metatest.AppSecret) != 200 || status(reply) != "READ" {
		t.Fatalf("a late delivery report moved the reply back to %s", status(reply))
	}

	// A day later: still answerable, with the HUMAN_AGENT tag.
	e.clock.Advance(25 * time.Hour)
	e.tok = s.AdminToken(t) // the earlier one expired
	s.Send(t, e.tok, first.ID, "Any news on your side?")
	testenv.Eventually(t, func() bool { return len(f.Calls()) == 2 }, "the tagged reply")
	if c := f.Calls()[1]; c.MessagingType != "MESSAGE_TAG" || c.Tag != "HUMAN_AGENT" {
		t.Fatalf("after 25 hours sent %+v, want the HUMAN_AGENT tag", c)
	}
	// A week and a minute: refused before anything is queued.
	e.clock.Advance(6*24*time.Hour + time.Minute)
	for _, c := range e.conversations(t) {
		if c.ID == first.ID && (c.CanReply || c.ReplyBlockedReason == nil || *c.ReplyBlockedReason != "WINDOW_CLOSED") {
			t.Fatalf("after 7 days: canReply %v, reason %v", c.CanReply, c.ReplyBlockedReason)
		}
	}
	r := s.Do(t, e.tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "too late"}) { id } }`, map[string]any{"c": first.ID})
	wantConflict(t, r, "WINDOW_CLOSED")
	if !strings.Contains(r.Errors[0].Message, "7 days") {
		t.Fatalf("the refusal does not name the window: %s", r.Errors[0].Message)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(f.Calls()); n != 2 {
		t.Fatalf("%d sends after the refusal, want 2", n)
	}
}

// TestMetaTokenRevoked: a send Meta refuses for the token (error 190)
// fails the message and marks the channel FAILED, telling the admin to
// paste a new token.
func TestMetaTokenRevoked(t *testing.T) {
	f := metatest.NewInstagram(t)
	e := newMetaEnv(t, "instagram", f)
	if st := e.post(t, f.Notification(metatest.Text("ig.1", "IGSID-1", "Love the new colours!", e.clock.Now())), metatest.AppSecret); st != 200 {
		t.Fatalf("notification: %d", st)
	}
	conv := e.conversations(t)[0]
	// The admin's token was revoked on Meta's side.
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { updateChannel(id: $id, input: {secrets: {accessToken: "EAArevoked"}}) { id } }`, map[string]any{"id": e.id}, nil)
	msg := e.s.Send(t, e.tok, conv.ID, "Thank you!")
	var out struct {
		Node struct{ DeliveryStatus, DeliveryError string }
	}
	testenv.Eventually(t, func() bool {
		e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": msg}, &out)
		return out.Node.DeliveryStatus == "FAILED"
	}, "the send to fail")
	var ch struct {
		Node struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Channel { verificationState verificationError } } }`, map[string]any{"id": e.id}, &ch)
	if ch.Node.VerificationState != "FAILED" || !strings.Contains(ch.Node.VerificationError, "paste a new one") || f.Refused() != 1 {
		t.Fatalf("channel %+v after a 190, %d refused calls (want FAILED naming the fix, one call)", ch.Node, f.Refused())
	}
}
