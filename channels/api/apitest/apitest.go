// Package apitest is a fake integrator of the api channel: a callback
// server that checks Switchboard's signatures and answers as told, and a
// builder of the signed requests an integrator posts to the webhook. It
// implements channelstest.Fake; it signs on its own, so it does not
// trust the adapter's code.
package apitest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// Secret is the channel secret of the fake's config.
const Secret = "apitest-secret-0123456789"

// Clock is the fake config's Now: the time its signatures are made for.
var Clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Template is the one template of the fake's config.
var Template = channels.Template{ID: "tpl-shipped", Name: "order_shipped", Language: "en",
	Params: []string{"name", "order"}, Body: "Hi {{name}}, order {{order}} has shipped."}

// Fake is the integrator: its callback server records the signed
// message.created callbacks it receives.
type Fake struct {
	srv *httptest.Server

	mu      sync.Mutex
	next    *channelstest.Answer
	sends   []channelstest.Sent
	refused int
	n       int
}

var (
	_ channelstest.Fake     = (*Fake)(nil)
	_ channelstest.Webhook  = (*Fake)(nil)
	_ channelstest.Receipts = (*Fake)(nil)
	_ channelstest.Provider = (*Fake)(nil)
	_ http.Handler          = (*Fake)(nil)
)

// NewFake starts the fake's callback server, closed when t ends.
func NewFake(t channelstest.TB) *Fake {
	f := &Fake{}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the callback URL.
func (f *Fake) URL() string { return f.srv.URL + "/callback" }

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{
		ChannelID: "ch-apitest", Key: "key-apitest", WebhookURL: "https://sb.example.com/webhooks/api/key-apitest",
		Settings: map[string]any{"callbackURL": f.URL(), "templates": []any{map[string]any{
			"id": Template.ID, "name": Template.Name, "language": Template.Language,
			"params": []any{Template.Params[0], Template.Params[1]}, "body": Template.Body}}},
		Secrets: map[string]string{"secret": Secret},
		HTTP:    f.srv.Client(),
		Now:     func() time.Time { return Clock },
		State:   &channels.MemoryState{},
	}
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake.
func (f *Fake) Receipts() (channelstest.Receipts, string) { return f, "" }

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// Signature is the X-Switchboard-Signature of body sent at ts.
func Signature(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Request is a webhook request with body, signed with secret at time at;
// an empty secret leaves the signature out, a zero time the timestamp.
func Request(body []byte, secret string, at time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/api/key-apitest", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	ts := ""
	if !at.IsZero() {
		ts = strconv.FormatInt(at.Unix(), 10)
		r.Header.Set("X-Switchboard-Timestamp", ts)
	}
	if secret != "" {
		r.Header.Set("X-Switchboard-Signature", Signature(secret, ts, body))
	}
	return r
}

func message(m channelstest.Spec) []byte {
	b, _ := json.Marshal(map[string]any{"messageID": m.ID, "sender": map[string]string{"externalID": m.Sender}, "text": m.Text})
	return b
}

// Inbound implements channelstest.Webhook.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	return Request(message(m), Secret, Clock), m
}

// Sign implements channelstest.Webhook.
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request {
	return Request(body, Secret, Clock)
}

// Forge implements channelstest.Webhook.
func (f *Fake) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	body := message(m)
	tampered := Request(body, Secret, Clock)
	tampered.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), m.Text, m.Text+"!", 1)))
	return map[string]*http.Request{
		"bad signature":     Request(body, "another-secret-0123456789", Clock),
		"missing signature": Request(body, "", Clock),
		"missing timestamp": Request(body, Secret, time.Time{}),
		"stale timestamp":   Request(body, Secret, Clock.Add(-6*time.Minute)),
		"future timestamp":  Request(body, Secret, Clock.Add(6*time.Minute)),
		"tampered body":     tampered,
	}
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	many := make([]any, 101)
	for i := range many {
		many[i] = map[string]any{"messageID": fmt.Sprint("m", i), "status": "READ"}
	}
	manyBody, _ := json.Marshal(map[string]any{"event": "message.status", "statuses": many})
	return map[string][]byte{
		"wrong types":        []byte(`{"messageID":5,"sender":"u1","text":["hi"]}`),
		"no messageID":       []byte(`{"sender":{"externalID":"u1"},"text":"hi"}`),
		"an array":           []byte(`[]`),
		"null":               []byte(`null`),
		"unknown event":      []byte(`{"event":"message.deleted","messageID":"m1"}`),
		"event not a string": []byte(`{"event":1,"messageID":"m1","sender":{"externalID":"u1"},"text":"hi"}`),
		"invalid status":     []byte(`{"event":"message.status","messageID":"m1","status":"LOST"}`),
		"status without id":  []byte(`{"event":"message.status","status":"READ"}`),
		"bad status time":    []byte(`{"event":"message.status","messageID":"m1","status":"READ","timestamp":"yesterday"}`),
		"empty statuses":     []byte(`{"event":"message.status","statuses":[]}`),
		"101 statuses":       manyBody,
	}
}

// Receipt implements channelstest.Receipts.
func (f *Fake) Receipt(_ channelstest.TB, providerID string, st channels.DeliveryStatus) *http.Request {
	r := map[string]any{"event": "message.status", "messageID": providerID, "status": st,
		"timestamp": Clock.Add(-time.Second).Format(time.RFC3339)}
	if st == channels.StatusFailed {
		r["reason"] = "recipient blocked the app"
	}
	b, _ := json.Marshal(r)
	return Request(b, Secret, Clock)
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender { return channels.Sender{ExternalID: "u-apitest"} }

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = &a
}

// Sends implements channelstest.Provider.
func (f *Fake) Sends() []channelstest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]channelstest.Sent(nil), f.sends...)
}

// Refused implements channelstest.Provider.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Omits implements channelstest.Provider: the callback carries every field.
func (f *Fake) Omits(string) string { return "" }
