package wechat_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/wechat"
	"github.com/switchboard/switchboard/channels/wechat/wechattest"
)

// fuzzRequest is a push with the given query values and body.
func fuzzRequest(q url.Values) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "https://sb.example.com/webhooks/wechat/k?"+q.Encode(), nil)
	return r
}

func seedBodies(f *wechattest.Fake) [][]byte {
	at := wechattest.Clock
	xmls := []string{
		wechattest.TextXML("1001", wechattest.OpenID, "你好", at),
		wechattest.MediaXML("image", "1002", wechattest.OpenID, "MEDIA", at),
		wechattest.MediaXML("voice", "1003", wechattest.OpenID, "MEDIA", at),
		wechattest.EventXML(wechattest.OpenID, "subscribe", "qrscene_1", at),
		wechattest.EventXML(wechattest.OpenID, "CLICK", "K", at),
	}
	var out [][]byte
	for _, x := range xmls {
		r := f.Request(x, wechattest.Push{})
		b, _ := io.ReadAll(r.Body)
		out = append(out, b)
	}
	return out
}

// checkDelivery: an accepted push names its sender, and nothing panics
// in its answer.
func checkDelivery(t *testing.T, d *channels.Delivery) {
	if d == nil {
		t.Fatal("nil delivery without an error")
	}
	for _, m := range d.Messages {
		if m.Sender.ExternalID == "" || m.ProviderMessageID == "" {
			t.Fatalf("accepted a message without sender or id: %+v", m)
		}
	}
	for _, e := range d.Events {
		if e.Sender.ExternalID == "" {
			t.Fatalf("accepted an event without sender: %+v", e)
		}
	}
	if d.Respond != nil {
		d.Respond(nil)
	}
}

// FuzzReceivePlain: a plain-mode push with any body and query. Accepted
// only when the signature is the Token's over timestamp and nonce
// (computed here from the spec) and the timestamp is fresh.
func FuzzReceivePlain(f *testing.F) {
	fake := wechattest.NewFake(f, wechat.ModePlain)
	ts := strconv.FormatInt(wechattest.Clock.Unix(), 10)
	for _, b := range seedBodies(fake) {
		f.Add(b, wechattest.Sign(wechattest.Token, ts, "n1"), ts, "n1")
		f.Add(b, "0000", ts, "n1")
	}
	f.Add([]byte("<xml><MsgType>event</MsgType></xml>"), wechattest.Sign(wechattest.Token, ts, ""), ts, "")
	a, c := wechat.New(), fake.Config(f)
	f.Fuzz(func(t *testing.T, body []byte, sig, ts, nonce string) {
		q := url.Values{"signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}
		d, err := a.Receive(context.Background(), c, fuzzRequest(q), body)
		if err != nil {
			if status(err) < 400 || status(err) > 499 {
				t.Fatalf("refused with %v, want a 4xx *channels.Error", err)
			}
			return
		}
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if !strings.EqualFold(sig, wechattest.Sign(wechattest.Token, ts, nonce)) ||
			perr != nil || wechattest.Clock.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			t.Fatalf("accepted an unauthenticated push: sig %q ts %q nonce %q", sig, ts, nonce)
		}
		checkDelivery(t, d)
	})
}

// FuzzReceiveEncrypted: a safe-mode push whose query signature is genuine
// but whose body and msg_signature are anything. Accepted only when
// msg_signature is the Token's over timestamp, nonce and the body's
// Encrypt, and Encrypt opens (with the test's own implementation) for the
// channel's AppID.
func FuzzReceiveEncrypted(f *testing.F) {
	fake := wechattest.NewFake(f, wechat.ModeSafe)
	ts := strconv.FormatInt(wechattest.Clock.Unix(), 10)
	const nonce = "1320562132" // the fake's
	for _, b := range seedBodies(fake) {
		var env struct{ Encrypt string }
		_ = xml.Unmarshal(b, &env)
		f.Add(b, wechattest.Sign(wechattest.Token, ts, nonce, env.Encrypt))
		f.Add(b, "")
	}
	a, c := wechat.New(), fake.Config(f)
	f.Fuzz(func(t *testing.T, body []byte, msgSig string) {
		q := url.Values{"signature": {wechattest.Sign(wechattest.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce},
			"encrypt_type": {"aes"}, "msg_signature": {msgSig}}
		d, err := a.Receive(context.Background(), c, fuzzRequest(q), body)
		if err != nil {
			if status(err) < 400 || status(err) > 499 {
				t.Fatalf("refused with %v, want a 4xx *channels.Error", err)
			}
			return
		}
		var env struct{ Encrypt string }
		if xml.Unmarshal(body, &env) != nil || !strings.EqualFold(msgSig, wechattest.Sign(wechattest.Token, ts, nonce, env.Encrypt)) {
			t.Fatalf("accepted a push whose msg_signature does not match its Encrypt")
		}
		if _, appID, err := wechattest.Open(wechattest.AESKey, env.Encrypt); err != nil || appID != wechattest.AppID {
			t.Fatalf("accepted an Encrypt that does not open for the AppID: %v %q", err, appID)
		}
		checkDelivery(t, d)
	})
}

// FuzzReceiveDecrypted: the XML inside a genuine safe-mode push is
// anything; the parser must refuse or read it without panicking.
func FuzzReceiveDecrypted(f *testing.F) {
	fake := wechattest.NewFake(f, wechat.ModeSafe)
	at := wechattest.Clock
	for _, x := range []string{
		wechattest.TextXML("1001", wechattest.OpenID, "你好", at),
		wechattest.MediaXML("video", "1002", wechattest.OpenID, "MEDIA", at),
		wechattest.EventXML(wechattest.OpenID, "unsubscribe", "", at),
		"<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><MsgId>3</MsgId></xml>",
		"<xml></xml><xml>",
	} {
		f.Add([]byte(x))
	}
	a, c := wechat.New(), fake.Config(f)
	f.Fuzz(func(t *testing.T, inner []byte) {
		r := fake.Request(string(inner), wechattest.Push{})
		body, _ := io.ReadAll(r.Body)
		d, err := a.Receive(context.Background(), c, r, body)
		if err != nil {
			if st := status(err); st < 400 || st > 499 {
				t.Fatalf("refused with %v, want a 4xx *channels.Error", err)
			}
			return
		}
		checkDelivery(t, d)
	})
}
