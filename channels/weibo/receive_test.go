package weibo_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/weibo"
	"github.com/switchboard/switchboard/channels/weibo/weibotest"
)

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// TestHandshakeVector: the spec's vector, written out by hand: secret
// xyz123xyz, timestamp 1397022061823, nonce 57155157.
func TestHandshakeVector(t *testing.T) {
	const sig = "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
	at := time.UnixMilli(1397022061823)
	c := &channels.Config{Secrets: map[string]string{"appSecret": "xyz123xyz", "accessToken": "t"},
		Now: func() time.Time { return at.Add(2 * time.Second) }}
	get := func(q string) *http.Request { return httptest.NewRequest(http.MethodGet, "/webhooks/weibo/k?"+q, nil) }
	a := weibo.New()
	resp, ok, err := a.Handshake(context.Background(), c, get("signature="+sig+"&timestamp=1397022061823&nonce=57155157&echostr=hello-weibo"))
	if err != nil || !ok || resp.Status != 200 || string(resp.Body) != "hello-weibo" {
		t.Fatalf("handshake of the spec's vector = %+v, %v, %v; want 200 hello-weibo", resp, ok, err)
	}
	// Upper-case hex is the same signature.
	if _, _, err := a.Handshake(context.Background(), c, get("signature="+strings.ToUpper(sig)+"&timestamp=1397022061823&nonce=57155157&echostr=x")); err != nil {
		t.Fatalf("upper-case signature: %v", err)
	}
	for name, q := range map[string]string{
		"one digit off":   "signature=90e4c22c90a58f26526c2dd5b6c56c8822edeaa2&timestamp=1397022061823&nonce=57155157&echostr=x",
		"other nonce":     "signature=" + sig + "&timestamp=1397022061823&nonce=57155158&echostr=x",
		"other timestamp": "signature=" + sig + "&timestamp=1397022061824&nonce=57155157&echostr=x",
		"no signature":    "timestamp=1397022061823&nonce=57155157&echostr=x",
	} {
		if _, _, err := a.Handshake(context.Background(), c, get(q)); status(err) != 401 {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
	if _, _, err := a.Handshake(context.Background(), c, get("signature="+sig+"&timestamp=1397022061823&nonce=57155157")); status(err) != 400 {
		t.Errorf("without echostr: %v, want 400", err)
	}
	c.Now = func() time.Time { return at.Add(6 * time.Minute) }
	if _, _, err := a.Handshake(context.Background(), c, get("signature="+sig+"&timestamp=1397022061823&nonce=57155157&echostr=x")); status(err) != 401 {
		t.Errorf("a handshake 6 minutes old: %v, want 401", err)
	}
}

func receive(t *testing.T, c *channels.Config, body []byte) (*channels.Delivery, error) {
	t.Helper()
	r := weibotest.Push(weibotest.Query(weibotest.AppSecret, weibotest.Clock, "98765"), body)
	return weibo.New().Receive(context.Background(), c, r, body)
}

// TestPushes: each push type becomes what the inbox stores.
func TestPushes(t *testing.T) {
	f := weibotest.NewFake(t)
	c := f.Config(t)
	at := weibotest.Clock.Add(-3 * time.Second).Truncate(time.Second)
	fan := weibotest.Fan

	body := weibotest.Message("text", fan, "你好，我的订单呢？", at, nil)
	d, err := receive(t, c, body)
	if err != nil || len(d.Messages) != 1 {
		t.Fatalf("text: %+v, %v", d, err)
	}
	m := d.Messages[0]
	if m.Text != "你好，我的订单呢？" || m.Sender.ExternalID != fan || m.Sender.PlatformID != "weibo:"+fan || !m.Time.Equal(at) ||
		m.ProviderMessageID != weibotest.DedupeKey(body) {
		t.Fatalf("text message: %+v", m)
	}

	// ids as strings, as some pushes carry them.
	str := []byte(`{"type":"text","receiver_id":"` + weibotest.UID + `","sender_id":"` + fan + `","created_at":"Sat Mar 01 19:59:57 +0800 2025","text":"hi","data":{}}`)
	if d, err := receive(t, c, str); err != nil || d.Messages[0].Sender.ExternalID != fan || !d.Messages[0].Time.Equal(at) {
		t.Fatalf("string ids: %+v, %v", d, err)
	}

	d, err = receive(t, c, weibotest.Message("image", fan, "", at, map[string]any{"vfid": 821804459, "tovfid": 821804469}))
	if err != nil || len(d.Messages) != 1 || len(d.Messages[0].Media) != 1 || d.Messages[0].Media[0].ID != "821804459" {
		t.Fatalf("image: %+v, %v", d, err)
	}

	d, err = receive(t, c, weibotest.Message("position", fan, "", at, map[string]any{"longitude": "116.308586", "latitude": "39.982525"}))
	if err != nil || len(d.Messages) != 1 {
		t.Fatalf("position: %+v, %v", d, err)
	}
	loc, _ := d.Messages[0].Metadata["location"].(map[string]any)
	if d.Messages[0].Text != "Location: 39.982525, 116.308586" || loc["latitude"] != 39.982525 || loc["longitude"] != 116.308586 {
		t.Fatalf("position message: %+v", d.Messages[0])
	}

	for subtype, want := range map[string]channels.EventKind{
		"follow": channels.EventFollowed, "subscribe": channels.EventFollowed, "scan_follow": channels.EventFollowed,
		"unfollow": channels.EventUnfollowed, "unsubscribe": channels.EventUnfollowed,
	} {
		b := weibotest.Message("event", fan, "", at, map[string]any{"subtype": subtype})
		d, err := receive(t, c, b)
		if err != nil || len(d.Events) != 1 || len(d.Messages) != 0 {
			t.Fatalf("%s: %+v, %v", subtype, d, err)
		}
		if ev := d.Events[0]; ev.Kind != want || ev.Sender.ExternalID != fan || ev.ProviderEventID != weibotest.DedupeKey(b) {
			t.Errorf("%s: %+v, want %s", subtype, ev, want)
		}
	}
	d, err = receive(t, c, weibotest.Message("event", fan, "", at, map[string]any{"subtype": "click", "key": "ORDER_STATUS"}))
	if err != nil || len(d.Events) != 1 || d.Events[0].Kind != channels.EventMenuClick || d.Events[0].Detail != "ORDER_STATUS" {
		t.Fatalf("click: %+v, %v", d, err)
	}

	// Acknowledged, nothing stored: events no agent acts on, types that
	// are not private messages, the account's own messages.
	for name, b := range map[string][]byte{
		"scan":         weibotest.Message("event", fan, "", at, map[string]any{"subtype": "scan", "key": "qr"}),
		"mention":      weibotest.Message("mention", fan, "@acme hi", at, nil),
		"own message":  weibotest.Message("text", weibotest.UID, "echo", at, nil),
		"created_at ?": []byte(`{"type":"scan","receiver_id":` + weibotest.UID + `,"sender_id":1,"created_at":"yesterday"}`),
	} {
		d, err := receive(t, c, b)
		if err != nil || d == nil || len(d.Messages)+len(d.Events)+len(d.Receipts) != 0 {
			t.Errorf("%s: %+v, %v; want an empty delivery", name, d, err)
		}
	}

	// A push for another account is refused.
	other := []byte(strings.Replace(string(weibotest.Message("text", fan, "hi", at, nil)), weibotest.UID, "5000000002", 1))
	if _, err := receive(t, c, other); status(err) != 403 {
		t.Fatalf("push for another account: %v, want 403", err)
	}
	// Without a uid setting, every receiver is the account.
	delete(c.Settings, "uid")
	if d, err := receive(t, c, other); err != nil || len(d.Messages) != 1 {
		t.Fatalf("without a uid setting: %+v, %v", d, err)
	}
}

// TestDedupeKey: a retried push (new timestamp and nonce, same body) is
// the same message; another message in the same second is not.
func TestDedupeKey(t *testing.T) {
	f := weibotest.NewFake(t)
	c := f.Config(t)
	at := weibotest.Clock.Add(-time.Second)
	b1 := weibotest.Message("text", weibotest.Fan, "one", at, nil)
	b2 := weibotest.Message("text", weibotest.Fan, "two", at, nil)
	a := weibo.New()
	get := func(q url.Values, b []byte) string {
		d, err := a.Receive(context.Background(), c, weibotest.Push(q, b), b)
		if err != nil {
			t.Fatal(err)
		}
		return d.Messages[0].ProviderMessageID
	}
	first := get(weibotest.Query(weibotest.AppSecret, weibotest.Clock.Add(-2*time.Second), "1"), b1)
	retry := get(weibotest.Query(weibotest.AppSecret, weibotest.Clock, "2"), b1)
	other := get(weibotest.Query(weibotest.AppSecret, weibotest.Clock, "3"), b2)
	if first != retry || first == other || len(first) > channels.MaxMessageID {
		t.Fatalf("keys %q %q %q", first, retry, other)
	}
}

func TestValidate(t *testing.T) {
	a := weibo.New()
	f := weibotest.NewFake(t)
	for name, tc := range map[string]struct {
		settings map[string]any
		secrets  map[string]string
		field    string
	}{
		"uid not digits":     {map[string]any{"uid": "acme"}, nil, "uid"},
		"uid a number":       {map[string]any{"uid": 5000000001}, nil, "uid"},
		"appKey not digits":  {map[string]any{"appKey": "key!"}, nil, "appKey"},
		"baseURL relative":   {map[string]any{"baseURL": "/2/messages"}, nil, "baseURL"},
		"apiBaseURL ftp":     {map[string]any{"apiBaseURL": "ftp://api.weibo.com"}, nil, "apiBaseURL"},
		"uploadBaseURL":      {map[string]any{"uploadBaseURL": "upload.api.weibo.com"}, nil, "uploadBaseURL"},
		"secret with space":  {nil, map[string]string{"appSecret": "abc def"}, "appSecret"},
		"empty access token": {nil, map[string]string{"accessToken": ""}, "accessToken"},
		"non-ASCII token":    {nil, map[string]string{"accessToken": "令牌"}, "accessToken"},
	} {
		var fe *channels.FieldError
		if err := a.Validate(tc.settings, tc.secrets); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a FieldError about %s", name, err, tc.field)
		}
	}
	if err := a.Validate(f.Settings(), f.Secrets()); err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(map[string]any{}, map[string]string{"appSecret": "s", "accessToken": "t"}); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}
