package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/weibo/weibotest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/testenv"
)

// weiboEnv is a server on a settable clock with a Weibo channel pointing
// at a fake Weibo.
type weiboEnv struct {
	s       *testenv.Server
	tok     string
	clock   *clock
	fake    *weibotest.Fake
	id, url string // the channel and its webhook URL on the test server
	nonce   atomic.Int64
}

func newWeiboEnv(t *testing.T) *weiboEnv {
	t.Helper()
	e := &weiboEnv{clock: &clock{at: time.Now().UTC()}, fake: weibotest.NewFake(t)}
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Now = e.clock.Now
		o.Delivery = inbox.DeliveryOptions{Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Poll: 20 * time.Millisecond}
	}})
	e.tok = e.s.AdminToken(t)
	var out struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	e.s.MustDo(t, e.tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "weibo", name: "Weibo", settings: $s, secrets: $x}) { id webhookURL } }`,
		map[string]any{"s": e.fake.Settings(), "x": e.fake.Secrets()}, &out)
	e.id = out.CreateChannel.ID
	e.url = e.s.URL + strings.TrimPrefix(out.CreateChannel.WebhookURL, e.s.Config.PublicURL)
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

// query is a query Weibo signs with secret at the clock's time moved by
// skew, with a fresh nonce.
func (e *weiboEnv) query(secret string, skew time.Duration) string {
	return weibotest.Query(secret, e.clock.Now().Add(skew), strconv.FormatInt(e.nonce.Add(1), 10)).Encode()
}

// push posts body to the webhook with query q and returns the status.
func (e *weiboEnv) push(t *testing.T, q string, body []byte) int {
	t.Helper()
	res, err := http.Post(e.url+"?"+q, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// message is a push of typ from sender, sent now.
func (e *weiboEnv) message(typ, sender, text string, data map[string]any) []byte {
	return weibotest.Message(typ, sender, text, e.clock.Now(), data)
}

// conversationOf returns the customer's conversation with its messages,
// waiting for it to have n messages.
func (e *weiboEnv) conversationOf(t *testing.T, sender string, n int) conversationRow {
	t.Helper()
	var found conversationRow
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Conversations struct {
				Edges []struct {
					Node struct {
						conversationRow
						Customer struct {
							ID         string
							Identities []struct{ Kind, Value string }
						}
					}
				}
			}
		}
		e.s.MustDo(t, e.tok, `{ conversations(first: 50) { edges { node { id status canReply replyBlockedReason channel { id }
			customer { id identities { kind value } } messages(first: 50) { edges { node { id body direction deliveryStatus deliveryError } } } } } } }`, nil, &out)
		for _, ed := range out.Conversations.Edges {
			for _, id := range ed.Node.Customer.Identities {
				if id.Kind == "CHANNEL_USER" && id.Value == sender {
					found = ed.Node.conversationRow
					found.Customer.ID = ed.Node.Customer.ID
					if len(found.Messages.Edges) != n {
						return fmt.Errorf("%d messages, want %d", len(found.Messages.Edges), n)
					}
					return nil
				}
			}
		}
		return fmt.Errorf("no conversation of %s", sender)
	})
	return found
}

// TestWeiboChannel: Weibo's handshake is answered; a signed text push is
// stored once however often it comes; forged, replayed and malformed
// pushes store nothing; the agent's reply goes out through reply.json; a
// rate-limited reply waits and is retried; after 48 hours and a minute a
// reply is refused with CONFLICT naming the window; an expired access
// token fails the reply and the channel's verification.
func TestWeiboChannel(t *testing.T) {
	e := newWeiboEnv(t)
	s, fan := e.s, weibotest.Fan

	// The handshake Weibo makes when the callback URL is saved.
	res, err := http.Get(e.url + "?" + e.query(weibotest.AppSecret, 0) + "&echostr=weibo-echo-123")
	if err != nil {
		t.Fatal(err)
	}
	echo, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(echo) != "weibo-echo-123" {
		t.Fatalf("handshake: %d %q", res.StatusCode, echo)
	}
	res, err = http.Get(e.url + "?" + e.query("not-the-secret", 0) + "&echostr=x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("forged handshake: %d", res.StatusCode)
	}

	// Forged, replayed and malformed pushes: refused, nothing stored.
	first := e.message("text", fan, "你好，订单什么时候发货？", nil)
	for name, c := range map[string]struct {
		q    string
		body []byte
		want int
	}{
		"forged":    {e.query("not-the-secret", 0), first, 401},
		"unsigned":  {"timestamp=1&nonce=2", first, 401},
		"replayed":  {e.query(weibotest.AppSecret, -6*time.Minute), first, 401},
		"malformed": {e.query(weibotest.AppSecret, 0), []byte(`{"type":1}`), 400},
		"not JSON":  {e.query(weibotest.AppSecret, 0), []byte(`<xml/>`), 400},
	} {
		if st := e.push(t, c.q, c.body); st != c.want {
			t.Errorf("%s push: %d, want %d", name, st, c.want)
		}
	}
	if _, convs, msgs := countMessages(t, s, e.tok); convs != 0 || msgs != 0 {
		t.Fatalf("refused pushes stored %d conversations, %d messages", convs, msgs)
	}

	// The genuine push, and Weibo's retry of it (a new signature).
	if st := e.push(t, e.query(weibotest.AppSecret, 0), first); st != 200 {
		t.Fatalf("text push: %d", st)
	}
	if st := e.push(t, e.query(weibotest.AppSecret, time.Second), first); st != 200 {
		t.Fatalf("retried push: %d", st)
	}
	conv := e.conversationOf(t, fan, 1)
	if conv.Messages.Edges[0].Node.Body != "你好，订单什么时候发货？" || !conv.CanReply {
		t.Fatalf("stored: %+v", conv)
	}

	// An image: fetched from Weibo with the access token into the
	// message's files.
	if st := e.push(t, e.query(weibotest.AppSecret, 0), e.message("image", fan, "", map[string]any{"vfid": weibotest.ImageFID, "tovfid": 1})); st != 200 {
		t.Fatalf("image push: %d", st)
	}
	img := e.conversationOf(t, fan, 2).Messages.Edges[1].Node.ID
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct{ Attachments []attachment }
		}
		e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { attachments { `+attachmentFields+` } } } }`, map[string]any{"id": img}, &out)
		if a := out.Node.Attachments; len(a) != 1 || a[0].Status != "READY" || a[0].ContentType != "image/jpeg" || a[0].Size != int64(len(weibotest.Image)) {
			return fmt.Errorf("image attachments %+v", a)
		}
		return nil
	})

	// The agent's reply leaves through reply.json.
	reply := s.Send(t, e.tok, conv.ID, "明天发货，请留意物流。")
	waitStatus(t, s, e.tok, reply, "SENT")
	sent := e.fake.Replies()
	if len(sent) != 1 || sent[0].ReceiverID != fan || sent[0].Type != "text" || sent[0].Text != "明天发货，请留意物流。" {
		t.Fatalf("reply.json received %+v", sent)
	}

	// Rate limited: the reply waits (QUEUED, saying why) and goes once the
	// wait is over.
	e.fake.AnswerError(http.StatusForbidden, 10023, "User requests out of rate limit!")
	limited := s.Send(t, e.tok, conv.ID, "还有别的问题吗？")
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct{ DeliveryStatus, DeliveryError string }
		}
		s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": limited}, &out)
		if out.Node.DeliveryStatus != "QUEUED" || !strings.Contains(out.Node.DeliveryError, "rate limit") {
			return fmt.Errorf("rate-limited reply: %+v", out.Node)
		}
		return nil
	})
	if n := len(e.fake.Replies()); n != 2 {
		t.Fatalf("reply.json calls after the rate limit: %d, want 2 (no retry before the wait)", n)
	}
	e.clock.Advance(11 * time.Minute)
	e.tok = s.AdminToken(t)
	waitStatus(t, s, e.tok, limited, "SENT")
	if sent := e.fake.Replies(); len(sent) != 3 || sent[2].Text != "还有别的问题吗？" {
		t.Fatalf("after the wait reply.json received %+v", sent)
	}

	// 48 hours and a minute after the fan's message: refused, nothing
	// queued.
	e.clock.Advance(48*time.Hour + time.Minute - 11*time.Minute)
	e.tok = s.AdminToken(t)
	r := s.Do(t, e.tok, sendQ, map[string]any{"c": conv.ID, "b": "too late"})
	wantConflict(t, r, "WINDOW_CLOSED")
	if !strings.Contains(r.Errors[0].Message, "2 days") {
		t.Fatalf("WINDOW_CLOSED does not name the window: %s", r.Errors[0].Message)
	}
	if c := e.conversationOf(t, fan, 4); c.CanReply || reason(c.ReplyBlockedReason) != "WINDOW_CLOSED" {
		t.Fatalf("after the window: %+v", c)
	}
	// The fan writes again: the window opens again.
	if st := e.push(t, e.query(weibotest.AppSecret, 0), e.message("text", fan, "在吗？", nil)); st != 200 {
		t.Fatalf("new push: %d", st)
	}
	if c := e.conversationOf(t, fan, 5); !c.CanReply {
		t.Fatalf("after a new message: %+v", c)
	}

	// The access token expired: the reply fails for good, telling the
	// admin to renew it, and the channel's verification shows it.
	e.fake.AnswerError(http.StatusForbidden, 21327, "expired_token")
	expired := s.Send(t, e.tok, conv.ID, "您好")
	if _, why := waitStatus(t, s, e.tok, expired, "FAILED"); !strings.Contains(why, "renew") {
		t.Fatalf("expired token: %q does not tell to renew the token", why)
	}
	var ch struct {
		Node struct{ VerificationState, VerificationError string }
	}
	s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on Channel { verificationState verificationError } } }`, map[string]any{"id": e.id}, &ch)
	if ch.Node.VerificationState != "FAILED" || !strings.Contains(ch.Node.VerificationError, "access token") {
		t.Fatalf("channel after an expired token: %+v", ch.Node)
	}
}

// TestWeiboFollowEvents: a follow starts a conversation with the fan; an
// unfollow opts them out, so a reply is refused with OPTED_OUT; a menu
// click is recorded; each event stored once however often Weibo sends it.
func TestWeiboFollowEvents(t *testing.T) {
	e := newWeiboEnv(t)
	const fan = "1987654321"
	follow := e.message("event", fan, "", map[string]any{"subtype": "follow"})
	for i := range 2 {
		if st := e.push(t, e.query(weibotest.AppSecret, time.Duration(i)*time.Second), follow); st != 200 {
			t.Fatalf("follow push: %d", st)
		}
	}
	if st := e.push(t, e.query(weibotest.AppSecret, 0), e.message("event", fan, "", map[string]any{"subtype": "click", "key": "ORDER_STATUS"})); st != 200 {
		t.Fatalf("click push: %d", st)
	}
	if st := e.push(t, e.query(weibotest.AppSecret, 0), e.message("text", fan, "hello", nil)); st != 200 {
		t.Fatalf("text push: %d", st)
	}
	conv := e.conversationOf(t, fan, 1)
	if !conv.CanReply {
		t.Fatalf("a follower who wrote: %+v", conv)
	}
	if st := e.push(t, e.query(weibotest.AppSecret, 0), e.message("event", fan, "", map[string]any{"subtype": "unfollow"})); st != 200 {
		t.Fatalf("unfollow push: %d", st)
	}
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
		map[string]any{"id": conv.Customer.ID}, &tl)
	var kinds []string
	for _, ed := range tl.Node.Timeline.Edges {
		if k := ed.Node.ActivityKind; k != "" {
			kinds = append(kinds, k+":"+reason(ed.Node.Note))
		}
	}
	slices.Sort(kinds)
	if want := "FOLLOWED:,MENU_CLICK:ORDER_STATUS,OPENED:,UNFOLLOWED:"; strings.Join(kinds, ",") != want {
		t.Fatalf("timeline activities %v, want %s (each event once)", kinds, want)
	}
	testenv.EventuallyErr(t, func() error {
		if c := e.conversationOf(t, fan, 1); reason(c.ReplyBlockedReason) != "OPTED_OUT" {
			return fmt.Errorf("after the unfollow: %+v", c)
		}
		return nil
	})
	wantConflict(t, e.s.Do(t, e.tok, sendQ, map[string]any{"c": conv.ID, "b": "come back"}), "OPTED_OUT")
	if n := len(e.fake.Replies()); n != 0 {
		t.Fatalf("reply.json called %d times", n)
	}
}
