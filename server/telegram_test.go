package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/telegram"
	"github.com/switchboard/switchboard/channels/telegram/tgtest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// tgEnv is a server with a verified Telegram channel on a fake Bot API,
// on a clock that stands still until moved; enable enables it.
type tgEnv struct {
	s      *testenv.Server
	f      *tgtest.Fake
	clock  *testenv.Clock
	tok    string
	id     string
	url    string // the channel's webhookURL
	hook   string // the same on the test server
	secret string // the secret_token setWebhook registered
}

func newTGEnv(t *testing.T) *tgEnv {
	t.Helper()
	e := &tgEnv{f: tgtest.New(t), clock: testenv.NewClock()}
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = e.clock.Now }})
	e.tok = e.s.AdminToken(t)
	var out struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	e.s.MustDo(t, e.tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "telegram", name: "Bot", settings: $s, secrets: $x}) { id webhookURL } }`,
		map[string]any{"s": e.f.Settings(), "x": e.f.Secrets()}, &out)
	e.id, e.url = out.CreateChannel.ID, out.CreateChannel.WebhookURL
	e.hook = e.s.URL + strings.TrimPrefix(e.url, e.s.Config.PublicURL)
	var v struct {
		VerifyChannel struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": e.id}, &v)
	if v.VerifyChannel.VerificationState != "VERIFIED" {
		t.Fatalf("verify: %+v", v.VerifyChannel)
	}
	return e
}

func (e *tgEnv) enable(t *testing.T, on bool) {
	t.Helper()
	e.s.MustDo(t, e.tok, `mutation($id: ID!, $on: Boolean!) { setChannelEnabled(id: $id, enabled: $on) { id } }`,
		map[string]any{"id": e.id, "on": on}, nil)
	if hooks, _ := e.f.Webhooks(); on && len(hooks) > 0 {
		e.secret = hooks[len(hooks)-1].Secret
	}
}

// post delivers an update as Telegram does, with secret in the header
// ("" for none), and returns the answer's status.
func (e *tgEnv) post(t *testing.T, body []byte, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.hook, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegram.SecretHeader, secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// conversations lists every conversation by its customer's name, each
// with its messages.
func (e *tgEnv) conversations(t *testing.T) map[string]waConv {
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

func (e *tgEnv) status(t *testing.T, id string) (string, string) {
	t.Helper()
	var out struct {
		Node struct{ DeliveryStatus, DeliveryError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
	return out.Node.DeliveryStatus, out.Node.DeliveryError
}

const tgAda int64 = 5123456789 // more than 32 bits

// TestTelegramChannel: enabling registers the webhook URL and a generated
// secret with setWebhook; updates with that secret are stored, a retried
// one once, and ones with a wrong or no secret are refused with nothing
// stored; a photo is fetched through getFile; a reply goes out with
// sendMessage; a 429 is retried after its retry_after and not before; a
// 403 (the user blocked the bot) fails the message for good; disabling
// calls deleteWebhook.
func TestTelegramChannel(t *testing.T) {
	e := newTGEnv(t)
	s, f := e.s, e.f
	if st := e.post(t, tgtest.Update(1, tgAda, "Ada", map[string]any{"text": "too early"}), "anything"); st/100 == 2 {
		t.Fatalf("an update to the disabled channel: %d", st)
	}
	e.enable(t, true)
	hooks, deleted := f.Webhooks()
	if len(hooks) != 1 || deleted != 0 || hooks[0].URL != e.url || !regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`).MatchString(hooks[0].Secret) ||
		!slices.Contains(hooks[0].AllowedUpdates, "message") {
		t.Fatalf("setWebhook calls %+v (deleted %d), want one with %s and a generated secret", hooks, deleted, e.url)
	}

	hello := tgtest.Update(1001, tgAda, "Ada", map[string]any{"text": "Hello, where is my order?", "from": map[string]any{
		"id": tgAda, "is_bot": false, "first_name": "Ada", "last_name": "Lovelace", "username": "ada"}})
	for range 2 { // Telegram retries what it thinks was not answered
		if st := e.post(t, hello, e.secret); st != 200 {
			t.Fatalf("update: %d", st)
		}
	}
	forged := tgtest.Update(1002, tgAda, "Ada", map[string]any{"text": "forged"})
	for name, secret := range map[string]string{"no secret": "", "another secret": "guessed-secret", "a prefix": e.secret[:len(e.secret)-1]} {
		if st := e.post(t, forged, secret); st != http.StatusUnauthorized {
			t.Fatalf("update with %s: %d, want 401", name, st)
		}
	}
	pic := pngOf(8, 8)
	f.AddFile("AgACAgIAAxkBAAIBY2", "photos/file_7.png", "image/png", pic)
	photo := tgtest.Update(1003, tgAda, "Ada", map[string]any{"caption": "the parcel", "photo": []map[string]any{
		{"file_id": "AgACAgIAAxkBAAIBYs", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 1200},
		{"file_id": "AgACAgIAAxkBAAIBY2", "file_unique_id": "l", "width": 800, "height": 800, "file_size": len(pic)}}})
	if st := e.post(t, photo, e.secret); st != 200 {
		t.Fatalf("photo update: %d", st)
	}
	convs := e.conversations(t)
	ada, ok := convs["Ada Lovelace"]
	if len(convs) != 1 || !ok || len(ada.Messages.Edges) != 2 {
		t.Fatalf("conversations %+v, want Ada Lovelace's with 2 messages", convs)
	}
	for _, m := range ada.Messages.Edges {
		if m.Node.Body == "forged" {
			t.Fatal("stored the forged update")
		}
	}
	testenv.EventuallyErr(t, func() error {
		for _, m := range e.conversations(t)["Ada Lovelace"].Messages.Edges {
			if a := m.Node.Attachments; len(a) == 1 {
				if a[0].Status != "READY" || a[0].URL == nil || m.Node.Body != "the parcel" {
					return fmt.Errorf("picture %+v", a[0])
				}
				res, body := fetchLink(t, s, *a[0].URL)
				if res.StatusCode != 200 || !bytes.Equal(body, pic) {
					return fmt.Errorf("fetched %d, %d bytes", res.StatusCode, len(body))
				}
				return nil
			}
		}
		return fmt.Errorf("no picture")
	})
	if f.Downloads() != 1 || f.Refused() != 0 {
		t.Fatalf("%d downloads, %d refused calls", f.Downloads(), f.Refused())
	}

	// A reply, by sendMessage with the token in the path.
	reply := s.Send(t, e.tok, ada.ID, "It left this morning")
	testenv.Eventually(t, func() bool { st, _ := e.status(t, reply); return st == "SENT" }, "the reply sent")
	if c := f.Calls(); len(c) != 1 || c[0].Method != "sendMessage" || c[0].ChatID != strconv.FormatInt(tgAda, 10) || c[0].Text != "It left this morning" {
		t.Fatalf("calls %+v", c)
	}

	// Rate limited: retried after retry_after, not before.
	f.Fail(429, "Too Many Requests: retry after 30", 30)
	limited := s.Send(t, e.tok, ada.ID, "One more thing")
	testenv.Eventually(t, func() bool { return len(f.Calls()) == 2 }, "the rate-limited attempt")
	if testenv.Within(300*time.Millisecond, func() bool { return len(f.Calls()) > 2 }) {
		t.Fatal("retried before retry_after")
	}
	if st, why := e.status(t, limited); st != "QUEUED" {
		t.Fatalf("rate-limited message is %s (%s), want QUEUED", st, why)
	}
	e.clock.Advance(31 * time.Second)
	testenv.Eventually(t, func() bool { st, _ := e.status(t, limited); return st == "SENT" }, "the retry after retry_after")
	if c := f.Calls(); len(c) != 3 || c[2].Text != "One more thing" {
		t.Fatalf("calls %+v", c)
	}

	// Blocked by the user: failed for good, not retried.
	f.Fail(403, "Forbidden: bot was blocked by the user", 0)
	blocked := s.Send(t, e.tok, ada.ID, "Are you there?")
	testenv.Eventually(t, func() bool { st, _ := e.status(t, blocked); return st == "FAILED" }, "the blocked send to fail")
	e.clock.Advance(time.Hour)
	if st, why := e.status(t, blocked); st != "FAILED" || !strings.Contains(why, "blocked") || len(f.Calls()) != 4 {
		t.Fatalf("blocked send %s (%s) after %d calls, want FAILED naming the block after 4", st, why, len(f.Calls()))
	}

	e.enable(t, false)
	if hooks, deleted := f.Webhooks(); len(hooks) != 1 || deleted != 1 {
		t.Fatalf("after disabling: %d setWebhook, %d deleteWebhook calls, want 1 and 1", len(hooks), deleted)
	}
}

// TestTelegramBlockAndToken: the user blocking the bot (my_chat_member
// kicked) opts them out; unblocking opts them in again; a send Telegram
// refuses for the token (401) fails and marks the channel FAILED.
func TestTelegramBlockAndToken(t *testing.T) {
	e := newTGEnv(t)
	e.enable(t, true)
	if st := e.post(t, tgtest.Update(1, tgAda, "Ada", map[string]any{"text": "/start"}), e.secret); st != 200 {
		t.Fatalf("update: %d", st)
	}
	if st := e.post(t, tgtest.Blocked(2, tgAda, "kicked"), e.secret); st != 200 {
		t.Fatalf("blocked update: %d", st)
	}
	ada := e.conversations(t)["Ada"]
	if ada.CanReply || ada.Messages.Edges[0].Node.Body != "/start" {
		t.Fatalf("after the block: canReply %v (%s), messages %+v", ada.CanReply, reason(ada.ReplyBlockedReason), ada.Messages.Edges)
	}
	if st := e.post(t, tgtest.Blocked(3, tgAda, "member"), e.secret); st != 200 {
		t.Fatalf("unblocked update: %d", st)
	}
	if ada = e.conversations(t)["Ada"]; !ada.CanReply {
		t.Fatalf("after the unblock: canReply false (%s)", reason(ada.ReplyBlockedReason))
	}
	e.f.Fail(401, "Unauthorized", 0)
	msg := e.s.Send(t, e.tok, ada.ID, "Thank you!")
	testenv.Eventually(t, func() bool { st, _ := e.status(t, msg); return st == "FAILED" }, "the send to fail")
	var ch struct {
		Node struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Channel { verificationState verificationError } } }`, map[string]any{"id": e.id}, &ch)
	if ch.Node.VerificationState != "FAILED" || !strings.Contains(ch.Node.VerificationError, "401") || len(e.f.Calls()) != 1 {
		t.Fatalf("channel %+v after a 401, %d calls (want FAILED naming the error, one call)", ch.Node, len(e.f.Calls()))
	}
}
