package server_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/qq/qqtest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// qqPost posts body to a QQ webhook, signed with secret at time at (no
// signature headers when secret is ""); it returns the status and body.
func qqPost(t *testing.T, url string, body []byte, secret string, at time.Time) (int, []byte) {
	t.Helper()
	r := qqtest.Request(url, body, secret, at)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header = r.Header
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type qqConv struct {
	ID       string
	Customer struct {
		Identities []struct{ Kind, Value string }
	}
	Messages struct {
		Edges []struct{ Node struct{ ID, Body string } }
	}
}

// qqConversations lists the conversations, oldest first.
func qqConversations(t *testing.T, s *testenv.Server, tok string) []qqConv {
	t.Helper()
	var out struct {
		Conversations struct{ Edges []struct{ Node qqConv } }
	}
	s.MustDo(t, tok, `{ conversations(orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id
		customer { identities { kind value } } messages { edges { node { id body } } } } } } }`, nil, &out)
	convs := make([]qqConv, len(out.Conversations.Edges))
	for i, e := range out.Conversations.Edges {
		convs[i] = e.Node
	}
	return convs
}

// TestQQChannel: a QQ bot connected through GraphQL answers QQ's op 13
// validation at its webhook URL; a C2C message and a group @-message are
// stored (each sender a customer, the group member's reply addressed to
// the group); forged, unsigned and malformed events store nothing; a
// retried event is stored once; replies go out as passive replies with
// msg_id and msg_seq; after 60 minutes a reply is refused naming the
// window.
func TestQQChannel(t *testing.T) {
	p := qqtest.NewFake(t)
	clock := testenv.NewClock()
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = clock.Now }})
	tok := s.AdminToken(t)

	var ch struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	s.MustDo(t, tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "qq", name: "QQ bot", settings: $s, secrets: $x}) { id webhookURL } }`,
		map[string]any{"s": p.Settings(), "x": p.Secrets()}, &ch)
	var verified struct {
		VerifyChannel struct{ VerificationState, VerificationError string }
	}
	s.MustDo(t, tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": ch.CreateChannel.ID}, &verified)
	if verified.VerifyChannel.VerificationState != "VERIFIED" {
		t.Fatalf("verify: %+v", verified.VerifyChannel)
	}
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": ch.CreateChannel.ID}, nil)
	hook := s.URL + strings.TrimPrefix(ch.CreateChannel.WebhookURL, s.Config.PublicURL)

	// QQ validates the callback URL (op 13): the answer is the signature
	// of event_ts + plain_token.
	st, body := qqPost(t, hook, qqtest.Validation("Arq0D5A61EgUu4OxUvOp", "1725442341"), "", clock.Now())
	var v map[string]string
	_ = json.Unmarshal(body, &v)
	sig, _ := hex.DecodeString(v["signature"])
	pub := qqtest.Key(qqtest.Secret).Public().(ed25519.PublicKey)
	if st != 200 || v["plain_token"] != "Arq0D5A61EgUu4OxUvOp" || !ed25519.Verify(pub, []byte("1725442341Arq0D5A61EgUu4OxUvOp"), sig) {
		t.Fatalf("op 13: %d %s", st, body)
	}

	// Forged, unsigned, stale and malformed events store nothing.
	const user, group, member = "E4F4AEA33253A2797FB897C50B81D7ED", "C9F778FE6ADF9D1D1DBE395BF744A33A", "0A1B2C3D4E5F60718293A4B5C6D7E8F9"
	c2c := qqtest.C2C("ROBOT1.0_c2c-1", user, "我的订单还没到", clock.Now())
	for name, tc := range map[string]struct {
		body   []byte
		secret string
		at     time.Time
		want   int
	}{
		"forged":    {c2c, "someOtherBotSecret00", clock.Now(), 401},
		"unsigned":  {c2c, "", clock.Now(), 401},
		"stale":     {c2c, qqtest.Secret, clock.Now().Add(-10 * time.Minute), 401},
		"malformed": {qqtest.Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": "hi"}), qqtest.Secret, clock.Now(), 400},
		"not JSON":  {[]byte("op=0"), qqtest.Secret, clock.Now(), 400},
	} {
		if st, b := qqPost(t, hook, tc.body, tc.secret, tc.at); st != tc.want {
			t.Errorf("%s: %d %s, want %d", name, st, b, tc.want)
		}
	}
	if _, conversations, messages := countMessages(t, s, tok); conversations != 0 || messages != 0 {
		t.Fatalf("refused events stored %d conversations, %d messages", conversations, messages)
	}

	// A C2C message, delivered twice (QQ retries), is stored once.
	for range 2 {
		if st, b := qqPost(t, hook, c2c, qqtest.Secret, clock.Now()); st != 200 || string(b) != `{"op":12,"d":0}` {
			t.Fatalf("C2C message: %d %s", st, b)
		}
	}
	// A group @-message.
	if st, b := qqPost(t, hook, qqtest.GroupAt("ROBOT1.0_grp-1", group, member, "发货了吗", clock.Now()), qqtest.Secret, clock.Now()); st != 200 {
		t.Fatalf("group message: %d %s", st, b)
	}
	convs := qqConversations(t, s, tok)
	if len(convs) != 2 || len(convs[0].Messages.Edges) != 1 || len(convs[1].Messages.Edges) != 1 ||
		convs[0].Messages.Edges[0].Node.Body != "我的订单还没到" || convs[1].Messages.Edges[0].Node.Body != "发货了吗" {
		t.Fatalf("conversations: %+v", convs)
	}
	has := func(c qqConv, kind, value string) bool {
		for _, id := range c.Customer.Identities {
			if id.Kind == kind && id.Value == value {
				return true
			}
		}
		return false
	}
	if !has(convs[0], "CHANNEL_USER", "user:"+user) || !has(convs[1], "CHANNEL_USER", "group:"+group+":"+member) {
		t.Fatalf("identities: %+v / %+v", convs[0].Customer, convs[1].Customer)
	}

	// Replies: to the group with the member's message id, to the user
	// with theirs; two replies to one message are numbered 1 and 2.
	waitStatus(t, s, tok, s.Send(t, tok, convs[1].ID, "明天发货"), "SENT")
	waitStatus(t, s, tok, s.Send(t, tok, convs[0].ID, "已经帮您查询"), "SENT")
	waitStatus(t, s, tok, s.Send(t, tok, convs[0].ID, "明天送达"), "SENT")
	got := p.Replies()
	want := []qqtest.Send{
		{Path: "/v2/groups/" + group + "/messages", Group: group, Content: "明天发货", MsgID: "ROBOT1.0_grp-1", MsgSeq: 1},
		{Path: "/v2/users/" + user + "/messages", User: user, Content: "已经帮您查询", MsgID: "ROBOT1.0_c2c-1", MsgSeq: 1},
		{Path: "/v2/users/" + user + "/messages", User: user, Content: "明天送达", MsgID: "ROBOT1.0_c2c-1", MsgSeq: 2},
	}
	if len(got) != len(want) {
		t.Fatalf("replies: %+v", got)
	}
	for i, w := range want {
		w.Token = got[i].Token
		if got[i] != w || w.Token == "" {
			t.Errorf("reply %d: %+v, want %+v", i, got[i], w)
		}
	}
	if n := p.Fetches(); n != 1 {
		t.Errorf("%d token fetches, want 1 (shared in the channel's state)", n)
	}

	// 61 minutes later the window is closed: refused before queuing.
	clock.Advance(61 * time.Minute)
	tok = s.AdminToken(t)
	if r := replyOf(t, s, tok, convs[0].ID); r.CanReply || reason(r.ReplyBlockedReason) != "WINDOW_CLOSED" {
		t.Fatalf("after 61 minutes: %+v", r)
	}
	r := s.Do(t, tok, sendQ, map[string]any{"c": convs[0].ID, "b": "too late"})
	wantConflict(t, r, "WINDOW_CLOSED")
	if msg := r.Errors[0].Message; !strings.Contains(msg, "60 minutes") && !strings.Contains(msg, "1 hour") {
		t.Fatalf("WINDOW_CLOSED does not name the window: %s", msg)
	}
	if n := len(p.Replies()); n != 3 {
		t.Fatalf("%d replies after the refusal, want 3", n)
	}
}
