package weibo_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/weibo"
	"github.com/switchboard/switchboard/channels/weibo/weibotest"
)

// genuine reports whether a query is what Weibo would sign now: the
// signature computed here from the spec, the timestamp in milliseconds
// within 5 minutes.
func genuine(secret, sig, ts, nonce string, now time.Time) bool {
	parts := []string{secret, ts, nonce}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(parts[0] + parts[1] + parts[2]))
	ms, err := strconv.ParseInt(ts, 10, 64)
	d := now.Sub(time.UnixMilli(ms))
	return err == nil && len(sig) == 40 && hex.EncodeToString(sum[:]) == toLower(sig) && d <= 5*time.Minute && d >= -5*time.Minute
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func signedFor(at time.Time, nonce string) (sig, ts string) {
	q := weibotest.Query(weibotest.AppSecret, at, nonce)
	return q.Get("signature"), q.Get("timestamp")
}

// FuzzPush: Receive never panics, refuses with a 4xx *channels.Error, and
// accepts only a genuinely signed, fresh query; what it accepts is
// storable.
func FuzzPush(f *testing.F) {
	at := weibotest.Clock.Add(-time.Second)
	sig, ts := signedFor(weibotest.Clock, "57155157")
	for _, b := range [][]byte{
		weibotest.Message("text", weibotest.Fan, "私信内容", at, nil),
		weibotest.Message("image", weibotest.Fan, "", at, map[string]any{"vfid": 821804459, "tovfid": 821804469}),
		weibotest.Message("position", weibotest.Fan, "", at, map[string]any{"longitude": "116.308586", "latitude": "39.982525"}),
		weibotest.Message("event", weibotest.Fan, "", at, map[string]any{"subtype": "follow"}),
		weibotest.Message("event", weibotest.Fan, "", at, map[string]any{"subtype": "unfollow"}),
		weibotest.Message("event", weibotest.Fan, "", at, map[string]any{"subtype": "click", "key": "MENU_1"}),
		[]byte(`{"type":"text","receiver_id":5000000001,"sender_id":2489518277,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"hi","data":{}}`),
		[]byte(`{"type":"image","receiver_id":"5000000001","sender_id":"2489518277","created_at":1342433360,"data":"{\"vfid\":1}"}`),
		[]byte(`null`), []byte(`[]`), []byte(`{"type":"text"`),
	} {
		f.Add(b, sig, ts, "57155157")
	}
	f.Add([]byte(`{}`), "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", "1397022061823", "57155157")
	f.Fuzz(func(t *testing.T, body []byte, sig, ts, nonce string) {
		c := &channels.Config{Settings: map[string]any{"uid": weibotest.UID},
			Secrets: map[string]string{"appSecret": weibotest.AppSecret, "accessToken": weibotest.AccessToken},
			Now:     func() time.Time { return weibotest.Clock }}
		q := url.Values{"signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/weibo/k", nil)
		r.URL.RawQuery = q.Encode()
		d, err := weibo.New().Receive(context.Background(), c, r, body)
		if err != nil {
			var ce *channels.Error
			if !errors.As(err, &ce) || ce.Status < 400 || ce.Status > 499 || d != nil {
				t.Fatalf("refusal %v (%T), delivery %v; want a 4xx *channels.Error and none", err, err, d)
			}
			return
		}
		if !genuine(weibotest.AppSecret, sig, ts, nonce, weibotest.Clock) {
			t.Fatalf("accepted a push not signed now: signature %q timestamp %q nonce %q", sig, ts, nonce)
		}
		for _, m := range d.Messages {
			if m.ProviderMessageID == "" || len(m.ProviderMessageID) > channels.MaxMessageID || m.Sender.ExternalID == "" {
				t.Fatalf("accepted message without ids: %+v", m)
			}
			if m.Text == "" && len(m.Media) == 0 {
				t.Fatalf("accepted an empty message: %+v", m)
			}
		}
		for _, ev := range d.Events {
			if ev.Kind == "" || ev.Sender.ExternalID == "" || ev.ProviderEventID == "" {
				t.Fatalf("accepted event without kind or ids: %+v", ev)
			}
		}
	})
}

// FuzzHandshake: the handshake never panics and answers echostr only to
// a genuinely signed, fresh query.
func FuzzHandshake(f *testing.F) {
	sig, ts := signedFor(weibotest.Clock, "57155157")
	f.Add(sig, ts, "57155157", "echo-1")
	f.Add("90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", "1397022061823", "57155157", "x")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, sig, ts, nonce, echo string) {
		c := &channels.Config{Secrets: map[string]string{"appSecret": weibotest.AppSecret, "accessToken": "t"},
			Now: func() time.Time { return weibotest.Clock }}
		r := httptest.NewRequest(http.MethodGet, "/webhooks/weibo/k", nil)
		r.URL.RawQuery = url.Values{"signature": {sig}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}.Encode()
		resp, ok, err := weibo.New().Handshake(context.Background(), c, r)
		if !ok {
			t.Fatal("the handshake is not handled")
		}
		if err != nil {
			var ce *channels.Error
			if !errors.As(err, &ce) || ce.Status < 400 || ce.Status > 499 {
				t.Fatalf("refusal %v, want a 4xx *channels.Error", err)
			}
			return
		}
		if !genuine(weibotest.AppSecret, sig, ts, nonce, weibotest.Clock) || string(resp.Body) != echo || echo == "" {
			t.Fatalf("answered %q to signature %q timestamp %q nonce %q echostr %q", resp.Body, sig, ts, nonce, echo)
		}
	})
}
