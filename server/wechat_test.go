package server_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/wechat"
	"github.com/switchboard/switchboard/channels/wechat/wechattest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// wechatEnv is a server with a WeChat channel connected to a fake WeChat.
type wechatEnv struct {
	s      *testenv.Server
	tok    string
	clock  *clock
	fake   *wechattest.Fake
	chanID string
}

// newWeChatEnv creates, verifies and enables a WeChat channel in mode.
func newWeChatEnv(t *testing.T, mode string, settings map[string]any) *wechatEnv {
	t.Helper()
	e := &wechatEnv{clock: &clock{at: time.Now().UTC().Truncate(time.Second)}, fake: wechattest.NewFake(t, mode)}
	e.fake.Now = e.clock.Now
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Adapters = []channels.Adapter{wechat.New()}
		o.Now = e.clock.Now
	}})
	e.tok = e.s.AdminToken(t)
	e.chanID, e.fake.Target = createWeChat(t, e.s, e.tok, e.fake, settings)
	return e
}

// createWeChat creates, verifies and enables a WeChat channel on s and
// returns its id and webhook URL (on s).
func createWeChat(t *testing.T, s *testenv.Server, tok string, fake *wechattest.Fake, extra map[string]any) (id, hook string) {
	t.Helper()
	settings := fake.Settings()
	for k, v := range extra {
		settings[k] = v
	}
	var out struct {
		CreateChannel struct{ ID, WebhookURL, Kind string }
	}
	s.MustDo(t, tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "wechat", name: "公众号", settings: $s, secrets: $x}) { id webhookURL kind } }`,
		map[string]any{"s": settings, "x": fake.Secrets()}, &out)
	var v struct {
		VerifyChannel struct{ VerificationState, VerificationError string }
	}
	s.MustDo(t, tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": out.CreateChannel.ID}, &v)
	if v.VerifyChannel.VerificationState != "VERIFIED" {
		t.Fatalf("verify: %+v", v.VerifyChannel)
	}
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": out.CreateChannel.ID}, nil)
	return out.CreateChannel.ID, s.URL + strings.TrimPrefix(out.CreateChannel.WebhookURL, s.Config.PublicURL)
}

// post sends a push (or handshake) and returns the status and body.
func (e *wechatEnv) post(t *testing.T, r *http.Request) (int, []byte) {
	t.Helper()
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (e *wechatEnv) push(t *testing.T, xml string, p wechattest.Push) (int, []byte) {
	t.Helper()
	return e.post(t, e.fake.Request(xml, p))
}

// messages is every message stored, oldest first.
func (e *wechatEnv) messages(t *testing.T) []conversationRow {
	t.Helper()
	var out struct {
		Conversations struct {
			Edges []struct{ Node conversationRow }
		}
	}
	e.s.MustDo(t, e.tok, `{ conversations(first: 50) { edges { node { id status canReply replyBlockedReason channel { id } customer { id }
		messages(first: 50) { edges { node { id body autoSubmitted deliveryStatus deliveryError direction } } } } } } }`, nil, &out)
	rows := make([]conversationRow, len(out.Conversations.Edges))
	for i, ed := range out.Conversations.Edges {
		rows[i] = ed.Node
	}
	return rows
}

func wechatMessageCount(rows []conversationRow) int {
	n := 0
	for _, r := range rows {
		n += len(r.Messages.Edges)
	}
	return n
}

// TestWeChatSafeMode: a safe-mode account end to end, through the real
// webhook URL and GraphQL.
func TestWeChatSafeMode(t *testing.T) {
	e := newWeChatEnv(t, wechat.ModeSafe, map[string]any{"welcomeMessage": "欢迎关注！"})
	s := e.s
	const alice = "oALICE0000000000000000000000"

	// The URL check.
	if st, body := e.post(t, e.fake.Request("", wechattest.Push{Echostr: "8231923"})); st != 200 || string(body) != "8231923" {
		t.Fatalf("handshake: %d %q", st, body)
	}
	if st, _ := e.post(t, e.fake.Request("", wechattest.Push{Echostr: "8231923", Token: "wrongToken"})); st != 401 {
		t.Fatalf("forged handshake: %d", st)
	}

	// A text; WeChat retries it; both answered success, stored once.
	text := wechattest.TextXML("6000000000000000001", alice, "我的订单还没到", e.clock.Now())
	for range 2 {
		if st, body := e.push(t, text, wechattest.Push{}); st != 200 || string(body) != "success" {
			t.Fatalf("text push: %d %q", st, body)
		}
	}
	rows := e.messages(t)
	if len(rows) != 1 || wechatMessageCount(rows) != 1 || rows[0].Messages.Edges[0].Node.Body != "我的订单还没到" {
		t.Fatalf("after a text and its retry: %+v", rows)
	}

	// Forged, replayed and malformed pushes: refused, nothing stored.
	other := wechattest.TextXML("6000000000000000002", alice, "forged", e.clock.Now())
	for name, c := range map[string]struct {
		p    wechattest.Push
		body string
		want int
	}{
		"bad signature":       {wechattest.Push{Token: "wrongToken"}, other, 401},
		"tampered Encrypt":    {wechattest.Push{Tamper: true}, other, 401},
		"another key":         {wechattest.Push{AESKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"}, other, 403},
		"plain push":          {wechattest.Push{Mode: "plain"}, other, 403},
		"replayed 6 min late": {wechattest.Push{At: e.clock.Now().Add(-6 * time.Minute)}, other, 401},
		"malformed":           {wechattest.Push{}, "<xml><MsgType>text</MsgType>", 400},
	} {
		if st, _ := e.push(t, c.body, c.p); st != c.want {
			t.Errorf("%s: %d, want %d", name, st, c.want)
		}
	}
	if n := wechatMessageCount(e.messages(t)); n != 1 {
		t.Fatalf("%d messages after refused pushes, want 1", n)
	}

	// An image: fetched through the media API into the message's file.
	png := pngOf(4, 3)
	e.fake.AddMedia("MEDIA_PNG_1", wechattest.Media{ContentType: "image/png", Data: png})
	if st, _ := e.push(t, wechattest.MediaXML("image", "6000000000000000003", alice, "MEDIA_PNG_1", e.clock.Now()), wechattest.Push{}); st != 200 {
		t.Fatalf("image push: %d", st)
	}
	conv := e.messages(t)[0]
	imgID := conv.Messages.Edges[len(conv.Messages.Edges)-1].Node.ID
	testenv.EventuallyErr(t, func() error {
		atts := messageAttachments(t, s, e.tok, imgID)
		if len(atts) != 1 || atts[0].Status != "READY" || atts[0].Size != int64(len(png)) {
			return fmt.Errorf("attachments %+v", atts)
		}
		return nil
	})

	// The agent's reply goes through custom/send.
	reply := s.Send(t, e.tok, conv.ID, "已经帮您查询，明天送达。")
	waitStatus(t, s, e.tok, reply, "SENT")
	if sent := e.fake.Accepted(); len(sent) != 1 || sent[0].To != alice || sent[0].Text != "已经帮您查询，明天送达。" {
		t.Fatalf("sent %+v", sent)
	}
	// WeChat's rate limit: retried after its wait, then sent.
	e.fake.FailNext(45009)
	limited := s.Send(t, e.tok, conv.ID, "稍等")
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct{ DeliveryStatus, DeliveryError string }
		}
		s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": limited}, &out)
		if out.Node.DeliveryStatus != "QUEUED" || !strings.Contains(out.Node.DeliveryError, "45009") {
			return fmt.Errorf("rate limited message: %+v", out.Node)
		}
		return nil
	})
	e.clock.Advance(61 * time.Second)
	waitStatus(t, s, e.tok, limited, "SENT")

	// A new follower gets the welcome, encrypted, and a FOLLOWED activity.
	const bob = "oBOB00000000000000000000000"
	st, body := e.push(t, wechattest.EventXML(bob, "subscribe", "qrscene_7", e.clock.Now()), wechattest.Push{})
	inner, appID, err := wechattest.OpenReply(wechattest.Token, wechattest.AESKey, body)
	if st != 200 || err != nil || appID != wechattest.AppID || !strings.Contains(string(inner), "<Content><![CDATA[欢迎关注！]]></Content>") ||
		!strings.Contains(string(inner), "<ToUserName><![CDATA["+bob+"]]></ToUserName>") {
		t.Fatalf("welcome reply: %d %s (%s, %v)", st, body, inner, err)
	}
	bobConv := e.conversationOf(t, bob)
	if kinds := e.activities(t, bobConv.Customer.ID); !slices.Contains(kinds, "FOLLOWED:qrscene_7") {
		t.Fatalf("activities %v", kinds)
	}

	// Bob writes, then unfollows (twice: a retry): opted out, refused.
	e.push(t, wechattest.TextXML("6000000000000000010", bob, "hi", e.clock.Now()), wechattest.Push{})
	unfollow := wechattest.EventXML(bob, "unsubscribe", "", e.clock.Now())
	for range 2 {
		if st, body := e.push(t, unfollow, wechattest.Push{}); st != 200 || string(body) != "success" {
			t.Fatalf("unsubscribe: %d %q", st, body)
		}
	}
	bobConv = e.conversationOf(t, bob)
	if bobConv.CanReply || reason(bobConv.ReplyBlockedReason) != "OPTED_OUT" {
		t.Fatalf("after unsubscribe: %+v", bobConv)
	}
	wantConflict(t, s.Do(t, e.tok, sendQ, map[string]any{"c": bobConv.ID, "b": "please come back"}), "OPTED_OUT")
	if kinds := e.activities(t, bobConv.Customer.ID); strings.Count(strings.Join(kinds, ","), "UNFOLLOWED") != 1 {
		t.Fatalf("activities %v, want one UNFOLLOWED", kinds)
	}

	// 48 hours and a minute after Alice's last message: the window closed.
	e.clock.Advance(48*time.Hour + time.Minute)
	e.tok = s.AdminToken(t)
	before := len(e.fake.Accepted())
	r := s.Do(t, e.tok, sendQ, map[string]any{"c": conv.ID, "b": "too late"})
	wantConflict(t, r, "WINDOW_CLOSED")
	if !strings.Contains(r.Errors[0].Message, "2 days") { // 48 hours, as the server words it
		t.Fatalf("WINDOW_CLOSED does not name the window: %s", r.Errors[0].Message)
	}
	if len(e.fake.Accepted()) != before {
		t.Fatal("a refused reply reached WeChat")
	}
}

func (e *wechatEnv) conversationOf(t *testing.T, openid string) conversationRow {
	t.Helper()
	var found conversationRow
	testenv.EventuallyErr(t, func() error {
		for _, r := range e.messages(t) {
			var ids struct {
				Node struct {
					Identities []struct{ Kind, Value string }
				}
			}
			e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Customer { identities { kind value } } } }`, map[string]any{"id": r.Customer.ID}, &ids)
			for _, id := range ids.Node.Identities {
				if id.Value == openid {
					found = r
					return nil
				}
			}
		}
		return fmt.Errorf("no conversation of %s", openid)
	})
	return found
}

func (e *wechatEnv) activities(t *testing.T, customerID string) []string {
	t.Helper()
	var tl struct {
		Node struct {
			Timeline struct {
				Edges []struct {
					Node struct {
						ActivityKind string
						Note         *string
					}
				}
			}
		}
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Customer { timeline(first: 50) { edges { node { ... on ConversationActivity { activityKind note } } } } } } }`,
		map[string]any{"id": customerID}, &tl)
	var kinds []string
	for _, ed := range tl.Node.Timeline.Edges {
		if k := ed.Node.ActivityKind; k != "" {
			kinds = append(kinds, k+":"+reason(ed.Node.Note))
		}
	}
	return kinds
}

// TestWeChatPlainMode: plain pushes are stored, the welcome is a plain
// passive reply, and an unfollow then refuses replies.
func TestWeChatPlainMode(t *testing.T) {
	e := newWeChatEnv(t, wechat.ModePlain, map[string]any{"welcomeMessage": "Welcome!"})
	const carol = "oCAROL000000000000000000000"
	st, body := e.push(t, wechattest.EventXML(carol, "subscribe", "", e.clock.Now()), wechattest.Push{})
	if st != 200 || !strings.Contains(string(body), "<Content><![CDATA[Welcome!]]></Content>") || strings.Contains(string(body), "Encrypt") {
		t.Fatalf("plain welcome: %d %s", st, body)
	}
	if st, _ := e.push(t, wechattest.TextXML("7000000000000000001", carol, "hello", e.clock.Now()), wechattest.Push{}); st != 200 {
		t.Fatalf("text: %d", st)
	}
	if st, _ := e.push(t, wechattest.EventXML(carol, "CLICK", "MENU_HELP", e.clock.Now().Add(time.Second)), wechattest.Push{}); st != 200 {
		t.Fatalf("click: %d", st)
	}
	conv := e.conversationOf(t, carol)
	if len(conv.Messages.Edges) != 1 || conv.Messages.Edges[0].Node.Body != "hello" || !conv.CanReply {
		t.Fatalf("conversation %+v", conv)
	}
	if kinds := e.activities(t, conv.Customer.ID); !slices.Contains(kinds, "MENU_CLICK:MENU_HELP") || !slices.Contains(kinds, "FOLLOWED:") {
		t.Fatalf("activities %v", kinds)
	}
	if st, _ := e.push(t, wechattest.TextXML("7000000000000000002", carol, "forged", e.clock.Now()), wechattest.Push{NoSig: true}); st != 401 {
		t.Fatalf("unsigned push: %d", st)
	}
	// The token expires at WeChat mid-way: refreshed once, sent.
	first := e.s.Send(t, e.tok, conv.ID, "one")
	waitStatus(t, e.s, e.tok, first, "SENT")
	fetches := e.fake.TokenFetches()
	e.fake.ExpireToken()
	second := e.s.Send(t, e.tok, conv.ID, "two")
	waitStatus(t, e.s, e.tok, second, "SENT")
	if n := e.fake.TokenFetches() - fetches; n != 1 {
		t.Fatalf("%d token fetches after expiry, want 1", n)
	}
}

// TestWeChatSharedToken: two instances share the channel's access token:
// 200 replies sent through both fetch it once.
func TestWeChatSharedToken(t *testing.T) {
	fake := wechattest.NewFake(t, wechat.ModePlain)
	fake.Now = time.Now
	tune := func(o *app.Options) { o.Adapters = []channels.Adapter{wechat.New()} }
	a, b := twoInstances(t, tune)
	tok := a.AdminToken(t)
	_, hook := createWeChat(t, a, tok, fake, nil)
	fake.Target = hook
	const dave = "oDAVE0000000000000000000000"
	res, err := http.DefaultClient.Do(fake.Request(wechattest.TextXML("8000000000000000001", dave, "hi", time.Now()), wechattest.Push{}))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("push: %v %v", res, err)
	}
	res.Body.Close()
	e := &wechatEnv{s: a, tok: tok, fake: fake}
	conv := e.conversationOf(t, dave)
	before := fake.TokenFetches() // verifyChannel fetched one, not stored
	const n = 200
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		s.Send(t, tok, conv.ID, fmt.Sprintf("reply %d", i))
	}
	testenv.EventuallyErr(t, func() error {
		if got := len(fake.Accepted()); got != n {
			return fmt.Errorf("WeChat accepted %d of %d replies", got, n)
		}
		return nil
	})
	if got := fake.TokenFetches() - before; got != 1 {
		t.Fatalf("%d access token fetches for %d replies on two instances, want 1", got, n)
	}
}
