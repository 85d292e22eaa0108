package api_test

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
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/api"
	"github.com/switchboard/switchboard/channels/channelstest"
)

const secret = "conformance-secret-0123456789"

// integrator is a fake integrator: it signs what it posts to Switchboard
// as the wire format says, and its callback checks Switchboard's
// signature before accepting a message.
type integrator struct {
	srv *httptest.Server
	now time.Time

	mu       sync.Mutex
	answer   channelstest.Answer
	sent     []channelstest.Sent
	unauthed int
}

func newIntegrator(t *testing.T) *integrator {
	in := &integrator{now: time.Now()}
	in.srv = httptest.NewServer(http.HandlerFunc(in.callback))
	t.Cleanup(in.srv.Close)
	return in
}

func sign(ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (in *integrator) callback(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := r.Header.Get("X-Switchboard-Timestamp")
	if r.Header.Get("X-Switchboard-Signature") != sign(ts, body) {
		in.unauthed++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	a := in.answer
	in.answer = channelstest.Answer{}
	switch a.Kind {
	case channelstest.AnswerPermanent:
		http.Error(w, "unknown recipient", http.StatusNotFound)
		return
	case channelstest.AnswerTransient:
		http.Error(w, "oops", http.StatusInternalServerError)
		return
	case channelstest.AnswerRateLimited:
		w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter.Seconds())))
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	var m struct {
		Recipient struct{ ExternalID string }
		Message   struct {
			Text, ReplyTo, ThreadKey string
			Template                 *channels.TemplateMessage
		}
	}
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, "malformed", http.StatusBadRequest)
		return
	}
	in.sent = append(in.sent, channelstest.Sent{Recipient: m.Recipient.ExternalID, Text: m.Message.Text,
		ReplyTo: m.Message.ReplyTo, ThreadKey: m.Message.ThreadKey, Template: m.Message.Template})
	_ = json.NewEncoder(w).Encode(map[string]string{"id": a.ProviderID})
}

func (in *integrator) Features() channelstest.Features {
	return channelstest.Features{Webhook: true, Receipts: true, Provider: true}
}

func (in *integrator) Config() *channels.Config {
	return &channels.Config{ChannelID: "chn_conf", Key: "key", WebhookURL: "http://switchboard.test/webhooks/api/key",
		Settings: map[string]any{"callbackURL": in.srv.URL, "templates": []any{map[string]any{"id": "order_update", "language": "en",
			"params": []any{"order"}, "body": "Order {{order}} shipped."}}},
		Secrets: map[string]string{"secret": secret}, HTTP: in.srv.Client(), Now: func() time.Time { return in.now },
		State: &channels.MemoryState{}}
}

func (in *integrator) post(body []byte, at time.Time, sig func(ts string, body []byte) string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/api/key", bytes.NewReader(body))
	ts := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set("X-Switchboard-Timestamp", ts)
	if sig != nil {
		r.Header.Set("X-Switchboard-Signature", sig(ts, body))
	}
	return r
}

func messageBody(m channelstest.Message) []byte {
	b, _ := json.Marshal(map[string]any{"messageID": m.ID, "sender": map[string]any{"externalID": m.Sender}, "text": m.Text})
	return b
}

func (in *integrator) Inbound(m channelstest.Message) *http.Request {
	return in.post(messageBody(m), in.now, sign)
}

func (in *integrator) Forged(m channelstest.Message) []channelstest.Case {
	body := messageBody(m)
	wrongKey := func(ts string, b []byte) string {
		h := hmac.New(sha256.New, []byte("not-the-secret-0000000"))
		h.Write([]byte(ts + "."))
		h.Write(b)
		return "sha256=" + hex.EncodeToString(h.Sum(nil))
	}
	tampered := in.post(body, in.now, sign)
	tampered.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), m.Text, "tampered", 1)))
	return []channelstest.Case{
		{Name: "no signature", Request: in.post(body, in.now, nil)},
		{Name: "signed with another key", Request: in.post(body, in.now, wrongKey)},
		{Name: "body changed after signing", Request: tampered},
		{Name: "replayed an hour later", Request: in.post(body, in.now.Add(-time.Hour), sign)},
		{Name: "timestamp from the future", Request: in.post(body, in.now.Add(time.Hour), sign)},
	}
}

func (in *integrator) Malformed() []channelstest.Case {
	var out []channelstest.Case
	for name, body := range map[string]string{
		"truncated JSON":     `{"messageID": "x", "sender": {"externalID"`,
		"not an object":      `["a"]`,
		"text of wrong type": `{"messageID": "x", "sender": {"externalID": "u"}, "text": 7}`,
		"empty":              ``,
		"no sender":          `{"messageID": "x", "text": "hi"}`,
		"unknown event":      `{"event": "message.deleted", "messageID": "x"}`,
		"receipt bad status": `{"event": "message.status", "messageID": "x", "status": "LOST"}`,
		"receipt without id": `{"event": "message.status", "status": "READ"}`,
		"too many statuses":  `{"event": "message.status", "statuses": [` + strings.TrimSuffix(strings.Repeat(`{"messageID":"x","status":"READ"},`, 101), ",") + `]}`,
		"receipt bad time":   `{"event": "message.status", "messageID": "x", "status": "READ", "timestamp": "yesterday"}`,
	} {
		out = append(out, channelstest.Case{Name: name, Request: in.post([]byte(body), in.now, sign)})
	}
	return out
}

func (in *integrator) Receipt(id string, st channels.DeliveryStatus) *http.Request {
	body := fmt.Appendf(nil, `{"event":"message.status","messageID":%q,"status":%q}`, id, st)
	return in.post(body, in.now, sign)
}

func (in *integrator) Answer(a channelstest.Answer) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.answer = a
}

func (in *integrator) Sent() []channelstest.Sent {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]channelstest.Sent(nil), in.sent...)
}

func (in *integrator) Unauthenticated() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.unauthed
}

// TestConformance: the api channel passes the channel conformance suite
// against a fake integrator.
func TestConformance(t *testing.T) {
	channelstest.Run(t, api.New(), newIntegrator(t))
}
