package qq_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/qq"
	"github.com/switchboard/switchboard/channels/qq/qqtest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, qq.New(), qqtest.NewFake(t))
}

// handKey is the bot's key, its seed written out by hand from the spec:
// the secret "naOC0ocQE3shWLAfffVL" (20 bytes) repeated, cut to 32 bytes.
func handKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	if qqtest.Secret != "naOC0ocQE3shWLAfffVL" {
		t.Fatal("the fake's secret changed: rewrite the seed")
	}
	return ed25519.NewKeyFromSeed([]byte("naOC0ocQE3shWLAfffVLnaOC0ocQE3sh"))
}

func receive(t *testing.T, c *channels.Config, r *http.Request) (*channels.Delivery, error) {
	t.Helper()
	b, _ := io.ReadAll(r.Body)
	return qq.New().Receive(context.Background(), c, r, b)
}

func post(body []byte, h map[string]string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "https://sb.example.com/webhooks/qq/k", bytes.NewReader(body))
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

// TestValidationVector: the op 13 answer is the Ed25519 signature of
// event_ts + plain_token by the key whose seed is derived from the
// secret, computed here independently; unsigned and signed requests are
// both answered, and stores nothing.
func TestValidationVector(t *testing.T) {
	f := qqtest.NewFake(t)
	c := f.Config(t)
	key := handKey(t)
	const plain, ts = "Arq0D5A61EgUu4OxUvOp", "1725442341"
	want := hex.EncodeToString(ed25519.Sign(key, []byte(ts+plain)))
	body := []byte(`{"op":13,"d":{"plain_token":"Arq0D5A61EgUu4OxUvOp","event_ts":"1725442341"}}`)
	sec := strconv.FormatInt(qqtest.Clock.Unix(), 10)
	signed := map[string]string{"X-Signature-Timestamp": sec,
		"X-Signature-Ed25519": hex.EncodeToString(ed25519.Sign(key, append([]byte(sec), body...)))}
	for name, h := range map[string]map[string]string{"unsigned": nil, "signed": signed} {
		d, err := receive(t, c, post(body, h))
		if err != nil || d == nil || d.Respond == nil || len(d.Messages)+len(d.Events)+len(d.Receipts) != 0 {
			t.Fatalf("%s: Receive = %+v, %v", name, d, err)
		}
		resp := d.Respond(nil)
		var got map[string]string
		if err := json.Unmarshal(resp.Body, &got); err != nil || resp.Status != 200 || got["plain_token"] != plain || got["signature"] != want || len(got) != 2 {
			t.Fatalf("%s: answer %d %s, want signature %s", name, resp.Status, resp.Body, want)
		}
		sig, _ := hex.DecodeString(got["signature"])
		if !ed25519.Verify(key.Public().(ed25519.PublicKey), []byte(ts+plain), sig) {
			t.Fatalf("%s: the answer does not verify", name)
		}
	}
	// A secret of 32 bytes or more: its first 32 bytes are the seed.
	long := "0123456789abcdefghijklmnopqrstuvWXYZ"
	c.Secrets = map[string]string{"appSecret": long}
	d, err := receive(t, c, post(body, nil))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	_ = json.Unmarshal(d.Respond(nil).Body, &got)
	longKey := ed25519.NewKeyFromSeed([]byte("0123456789abcdefghijklmnopqrstuv"))
	if want := hex.EncodeToString(ed25519.Sign(longKey, []byte(ts+plain))); got["signature"] != want {
		t.Fatalf("long secret: signature %s, want %s", got["signature"], want)
	}
	// A signed op 13 with a wrong signature is refused.
	signed["X-Signature-Ed25519"] = strings.Repeat("00", 64)
	if _, err := receive(t, f.Config(t), post(body, signed)); status(err) != 401 {
		t.Fatalf("badly signed op 13: %v", err)
	}
}

// TestValidationIsNoOracle: the op 13 answer signs what the caller sends
// with the key that signs events; an attacker must not get an event
// signed through it.
func TestValidationIsNoOracle(t *testing.T) {
	f := qqtest.NewFake(t)
	c := f.Config(t)
	sec := strconv.FormatInt(qqtest.Clock.Unix(), 10)
	event := qqtest.C2C("forged-1", "ATTACKER", "hi", qqtest.Clock)
	// Ask for the signature of sec + event through op 13.
	req, _ := json.Marshal(map[string]any{"op": 13, "d": map[string]string{"event_ts": sec, "plain_token": string(event)}})
	if d, err := receive(t, c, post(req, nil)); d != nil || status(err) != 401 {
		t.Fatalf("op 13 with an event as plain_token: %+v, %v; want 401", d, err)
	}
	req, _ = json.Marshal(map[string]any{"op": 13, "d": map[string]string{"event_ts": sec + `{"op":0}`, "plain_token": "x"}})
	if d, err := receive(t, c, post(req, nil)); d != nil || status(err) != 401 {
		t.Fatalf("op 13 with a brace in event_ts: %+v, %v; want 401", d, err)
	}
}

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// TestEvents: messages and friend events signed with the hand-derived
// key become messages and channel events; every op 0 is acknowledged with
// op 12.
func TestEvents(t *testing.T) {
	f := qqtest.NewFake(t)
	c := f.Config(t)
	key := handKey(t)
	sign := func(body []byte) *http.Request {
		sec := strconv.FormatInt(qqtest.Clock.Unix(), 10)
		return post(body, map[string]string{"X-Signature-Timestamp": sec,
			"X-Signature-Ed25519": hex.EncodeToString(ed25519.Sign(key, append([]byte(sec), body...)))})
	}
	at := "2025-03-01T19:59:58+08:00"
	c2c := []byte(`{"op":0,"id":"C2C_MESSAGE_CREATE:abc","t":"C2C_MESSAGE_CREATE","s":3,"d":{"id":"ROBOT1.0_c2c.1!!","content":"我的订单呢？",` +
		`"timestamp":"` + at + `","author":{"user_openid":"E4F4AEA33253A2797FB897C50B81D7ED","union_openid":"0F1E2D3C"},` +
		`"attachments":[{"content_type":"image/png","filename":"a.png","url":"multimedia.nt.qq.com.cn/download?appid=1407&fileid=x","size":"1234","width":10,"height":10}]}}`)
	group := []byte(`{"op":0,"id":"GROUP_AT_MESSAGE_CREATE:def","t":"GROUP_AT_MESSAGE_CREATE","d":{"id":"ROBOT1.0_grp.2","content":" 发货了吗",` +
		`"timestamp":"` + at + `","group_openid":"C9F778FE6ADF9D1D1DBE395BF744A33A","author":{"member_openid":"E4F4AEA33253A2797FB897C50B81D7ED"}}}`)
	for _, tc := range []struct {
		name, body, id, sender, platform, text string
		attachments                            int
	}{
		{"c2c", string(c2c), "ROBOT1.0_c2c.1!!", "user:E4F4AEA33253A2797FB897C50B81D7ED", "qq:0F1E2D3C", "我的订单呢？", 1},
		{"group", string(group), "ROBOT1.0_grp.2", "group:C9F778FE6ADF9D1D1DBE395BF744A33A:E4F4AEA33253A2797FB897C50B81D7ED", "", "发货了吗", 0},
	} {
		d, err := receive(t, c, sign([]byte(tc.body)))
		if err != nil || len(d.Messages) != 1 {
			t.Fatalf("%s: %+v, %v", tc.name, d, err)
		}
		m := d.Messages[0]
		if m.ProviderMessageID != tc.id || m.Sender.ExternalID != tc.sender || m.Sender.PlatformID != tc.platform ||
			m.Text != tc.text || len(m.Attachments) != tc.attachments || !m.Time.Equal(time.Date(2025, 3, 1, 11, 59, 58, 0, time.UTC)) {
			t.Fatalf("%s: %+v", tc.name, m)
		}
		if resp := d.Respond(nil); string(resp.Body) != `{"op":12,"d":0}` {
			t.Fatalf("%s: ack %s", tc.name, resp.Body)
		}
	}
	d, _ := receive(t, c, sign(c2c))
	if a := d.Messages[0].Attachments[0]; a.URL != "https://multimedia.nt.qq.com.cn/download?appid=1407&fileid=x" || a.Size != 1234 ||
		a.ContentType != "image/png" || a.Name != "a.png" {
		t.Fatalf("attachment %+v", a)
	}
	for _, tc := range []struct {
		t    string
		kind channels.EventKind
	}{{"FRIEND_ADD", channels.EventFollowed}, {"FRIEND_DEL", channels.EventUnfollowed}} {
		d, err := receive(t, c, sign(qqtest.Event(tc.t, "ev-"+tc.t, map[string]any{"openid": "E4F4AEA33253A2797FB897C50B81D7ED", "timestamp": 1740830000})))
		if err != nil || len(d.Events) != 1 || len(d.Messages) != 0 {
			t.Fatalf("%s: %+v, %v", tc.t, d, err)
		}
		if e := d.Events[0]; e.Kind != tc.kind || e.Sender.ExternalID != "user:E4F4AEA33253A2797FB897C50B81D7ED" ||
			e.ProviderEventID != "ev-"+tc.t || e.Time.Unix() != 1740830000 {
			t.Fatalf("%s: %+v", tc.t, e)
		}
	}
	// Other events are acknowledged and ignored.
	d, err := receive(t, c, sign(qqtest.Event("GROUP_ADD_ROBOT", "ev-g", map[string]any{"group_openid": "G"})))
	if err != nil || len(d.Messages)+len(d.Events) != 0 || string(d.Respond(nil).Body) != `{"op":12,"d":0}` {
		t.Fatalf("other event: %+v, %v", d, err)
	}
}

func outbound(n int, to, replyTo string) *channels.Outbound {
	return &channels.Outbound{DeliveryID: "d-" + strconv.Itoa(n), MessageID: "m-" + strconv.Itoa(n), ConversationID: "conv-1",
		Recipient: channels.Sender{ExternalID: to}, Text: "reply " + strconv.Itoa(n), ReplyTo: replyTo, CreatedAt: qqtest.Clock}
}

const user = "user:E4F4AEA33253A2797FB897C50B81D7ED"

// TestTokenCaching: two sends, from two instances sharing the channel's
// State, fetch one token; a token QQ stops accepting mid-send is
// refreshed once and the send goes through.
func TestTokenCaching(t *testing.T) {
	f := qqtest.NewFake(t)
	a, c1 := qq.New(), f.Config(t)
	c2 := f.Config(t)
	c2.State = c1.State
	ctx := context.Background()
	for i, c := range []*channels.Config{c1, c2} {
		if _, err := a.Send(ctx, c, outbound(i, user, "msg-1")); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Fetches(); n != 1 {
		t.Fatalf("%d token fetches for two sends, want 1", n)
	}
	f.Revoke()
	id, err := a.Send(ctx, c1, outbound(3, user, "msg-1"))
	if err != nil || id == "" {
		t.Fatalf("send after the token was revoked: %q, %v", id, err)
	}
	if f.Fetches() != 2 || f.Refused() != 1 || len(f.Replies()) != 3 {
		t.Fatalf("fetches %d, refused %d, replies %d; want 2, 1, 3", f.Fetches(), f.Refused(), len(f.Replies()))
	}
	for _, r := range f.Replies() {
		if !strings.HasPrefix(r.Token, "qqtest-token-") {
			t.Fatalf("reply with token %q", r.Token)
		}
	}
	// A verify reuses the token too.
	if err := a.Verify(ctx, c2); err != nil || f.Fetches() != 2 {
		t.Fatalf("verify: %v (fetches %d)", err, f.Fetches())
	}
	// QQ issues a new token only in the old one's last minute: the token
	// is used until 50 s before it expires (expires_in "7200"), then
	// replaced.
	at := qqtest.Clock.Add(7200*time.Second - 100*time.Second)
	c3 := f.Config(t)
	c3.State, c3.Now = c1.State, func() time.Time { return at }
	if _, err := a.Send(ctx, c3, outbound(4, user, "msg-1")); err != nil || f.Fetches() != 2 {
		t.Fatalf("100 s before expiry: %v (fetches %d, want 2)", err, f.Fetches())
	}
	at = at.Add(60 * time.Second)
	if _, err := a.Send(ctx, c3, outbound(5, user, "msg-1")); err != nil || f.Fetches() != 3 {
		t.Fatalf("40 s before expiry: %v (fetches %d, want 3)", err, f.Fetches())
	}
}

// TestMsgSeq: replies to one message are numbered 1, 2, ...; a retry of
// a delivery keeps its number; another message starts again at 1; group
// replies go to the group.
func TestMsgSeq(t *testing.T) {
	f := qqtest.NewFake(t)
	a, c := qq.New(), f.Config(t)
	ctx := context.Background()
	group := "group:C9F778FE6ADF9D1D1DBE395BF744A33A:E4F4AEA33253A2797FB897C50B81D7ED"
	sends := []*channels.Outbound{outbound(1, user, "msg-1"), outbound(2, user, "msg-1"), outbound(1, user, "msg-1"),
		outbound(3, user, "msg-2"), outbound(4, group, "msg-3")}
	for _, m := range sends {
		if _, err := a.Send(ctx, c, m); err != nil {
			t.Fatal(err)
		}
	}
	got := f.Replies()
	want := []struct {
		path, msgID string
		seq         int
	}{
		{"/v2/users/E4F4AEA33253A2797FB897C50B81D7ED/messages", "msg-1", 1},
		{"/v2/users/E4F4AEA33253A2797FB897C50B81D7ED/messages", "msg-1", 2},
		{"/v2/users/E4F4AEA33253A2797FB897C50B81D7ED/messages", "msg-1", 1},
		{"/v2/users/E4F4AEA33253A2797FB897C50B81D7ED/messages", "msg-2", 1},
		{"/v2/groups/C9F778FE6ADF9D1D1DBE395BF744A33A/messages", "msg-3", 1},
	}
	for i, w := range want {
		if g := got[i]; g.Path != w.path || g.MsgID != w.msgID || g.MsgSeq != w.seq || g.MsgType != 0 || g.Content != sends[i].Text {
			t.Errorf("reply %d: %+v, want %+v", i, g, w)
		}
	}
}

// TestSendRefusals: what QQ cannot take is refused for good, before any
// request.
func TestSendRefusals(t *testing.T) {
	f := qqtest.NewFake(t)
	a, c := qq.New(), f.Config(t)
	group := "group:C9F778FE6ADF9D1D1DBE395BF744A33A:E4F4AEA33253A2797FB897C50B81D7ED"
	late := outbound(2, group, "msg-1")
	late.CreatedAt = qqtest.Clock.Add(-6 * time.Minute)
	recent := outbound(3, group, "msg-1")
	recent.CreatedAt = qqtest.Clock.Add(-4 * time.Minute)
	for name, tc := range map[string]struct {
		m    *channels.Outbound
		want string
	}{
		"no message to reply to": {outbound(1, user, ""), "only reply"},
		"late group reply":       {late, "5 minutes"},
		"not a QQ recipient":     {outbound(4, "wx:abc", "msg-1"), "not a QQ recipient"},
		"member without group":   {outbound(5, "group:G1", "msg-1"), "not a QQ recipient"},
		"path in an openid":      {outbound(6, "user:../x", "msg-1"), "not a QQ recipient"},
	} {
		_, err := a.Send(context.Background(), c, tc.m)
		if !channels.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a permanent error naming %q", name, err, tc.want)
		}
	}
	if n := len(f.Replies()); n != 0 {
		t.Fatalf("%d replies reached QQ", n)
	}
	if _, err := a.Send(context.Background(), c, recent); err != nil {
		t.Fatalf("a group reply within 5 minutes: %v", err)
	}
}

func TestValidate(t *testing.T) {
	a := qq.New()
	ok := map[string]any{"appID": "102005678", "apiBaseURL": "https://api.sgroup.qq.com", "tokenURL": "https://bots.qq.com/app/getAppAccessToken"}
	if err := a.Validate(ok, map[string]string{"appSecret": qqtest.Secret}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		s      map[string]any
		x      map[string]string
		field  string
		secret bool
	}{
		"appID not digits": {map[string]any{"appID": "abc"}, nil, "appID", false},
		"appID a number":   {map[string]any{"appID": 102005678}, nil, "appID", false},
		"bad API URL":      {map[string]any{"apiBaseURL": "ftp://x"}, nil, "apiBaseURL", false},
		"bad token URL":    {map[string]any{"tokenURL": "/relative"}, nil, "tokenURL", false},
		"unknown":          {map[string]any{"token": "x"}, nil, "token", false},
		"secret spaces":    {nil, map[string]string{"appSecret": "a b"}, "appSecret", true},
		"unknown secret":   {nil, map[string]string{"token": "x"}, "token", true},
	} {
		var fe *channels.FieldError
		if err := a.Validate(tc.s, tc.x); !errors.As(err, &fe) || fe.Field != tc.field || fe.Secret != tc.secret {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVerify(t *testing.T) {
	f := qqtest.NewFake(t)
	a := qq.New()
	if err := a.Verify(context.Background(), f.Config(t)); err != nil {
		t.Fatal(err)
	}
	c := f.Config(t)
	c.Secrets = map[string]string{"appSecret": "wrongSecretWrongSecret"}
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "AppID or AppSecret") ||
		!strings.Contains(err.Error(), "invalid appid or secret") {
		t.Fatalf("wrong secret: %v", err)
	}
	c = f.Config(t)
	c.Settings["apiBaseURL"] = f.URL() + "/nowhere"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "/users/@me") {
		t.Fatalf("wrong API base: %v", err)
	}
}

// FuzzReceive: whatever the body, Receive never panics; signed with the
// bot's key it may be accepted; unsigned or signed with another key it
// never yields a message or an event.
func FuzzReceive(f *testing.F) {
	seeds := [][]byte{
		qqtest.C2C("ROBOT1.0_x", "E4F4AEA33253A2797FB897C50B81D7ED", "你好", qqtest.Clock),
		qqtest.GroupAt("ROBOT1.0_y", "C9F778FE6ADF9D1D1DBE395BF744A33A", "E4F4AEA33253A2797FB897C50B81D7ED", "hi", qqtest.Clock),
		qqtest.Event("FRIEND_ADD", "ev1", map[string]any{"openid": "E4F4AEA33253A2797FB897C50B81D7ED", "timestamp": 1740830000}),
		qqtest.Event("FRIEND_DEL", "ev2", map[string]any{"openid": "E4F4AEA33253A2797FB897C50B81D7ED", "timestamp": "1740830000"}),
		qqtest.Validation("Arq0D5A61EgUu4OxUvOp", "1725442341"),
		[]byte(`{"op":0,"id":"e","t":"C2C_MESSAGE_CREATE","d":{"id":"m","content":"","author":{"user_openid":"A"},"attachments":[{"url":"gchat.qpic.cn/x","size":1}]}}`),
		[]byte(`{"op":13,"d":{"plain_token":"a","event_ts":1}}`),
		[]byte(`{}`), []byte(`null`),
	}
	for _, s := range seeds {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	fk := qqtest.NewFake(f)
	a := qq.New()
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		c := fk.Config(t)
		var r *http.Request
		switch mode % 3 {
		case 0:
			r = qqtest.Request("https://sb.example.com/webhooks/qq/k", body, qqtest.Secret, qqtest.Clock)
		case 1:
			r = qqtest.Request("https://sb.example.com/webhooks/qq/k", body, "", qqtest.Clock)
		default:
			r = qqtest.Request("https://sb.example.com/webhooks/qq/k", body, "someOtherBotSecret00", qqtest.Clock)
		}
		d, err := a.Receive(context.Background(), c, r, body)
		if err != nil {
			if d != nil || status(err) < 400 || status(err) > 499 {
				t.Fatalf("Receive = %+v, %v; want a 4xx *channels.Error and no delivery", d, err)
			}
			return
		}
		if d == nil {
			t.Fatal("Receive = nil, nil")
		}
		if mode%3 != 0 && len(d.Messages)+len(d.Events)+len(d.Receipts) > 0 {
			t.Fatalf("an unauthenticated body was accepted: %+v", d)
		}
		if d.Respond != nil {
			_ = d.Respond(make([]channels.Stored, len(d.Messages)))
		}
		for _, m := range d.Messages {
			if m.ProviderMessageID == "" || m.Sender.ExternalID == "" {
				t.Fatalf("a message without id or sender: %+v", m)
			}
		}
	})
}
