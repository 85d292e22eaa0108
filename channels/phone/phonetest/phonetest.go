// Package phonetest is a fake telephony system (a PBX or CTI bridge) for
// the phone channel: it builds call events and signs them as the
// channel's documentation tells telephony systems to, with its own code.
package phonetest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// Secret is the fake's signing secret.
const Secret = "phonetest-signing-secret-0123456789"

// Now is the fixed time the fake's config and signatures use.
var Now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// Fake is the telephony system's side of the conformance suite.
type Fake struct{}

// NewFake returns the fake.
func NewFake() *Fake { return &Fake{} }

var _ channelstest.Fake = (*Fake)(nil)

// Config is a valid phone channel config at Now.
func (*Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{
		ChannelID: "chn_phonetest", Key: "phonetest", WebhookURL: "https://switchboard.example/webhooks/phone/phonetest",
		Settings: map[string]any{}, Secrets: map[string]string{"secret": Secret},
		HTTP: http.DefaultClient, Now: func() time.Time { return Now }, State: &channels.MemoryState{},
	}
}

// Webhook: the suite's webhook checks count text messages, and a phone
// channel's webhook carries calls; the package's own tests check the call
// webhook (genuine, replayed, forged, stale, malformed, garbage).
func (*Fake) Webhook() (channelstest.Webhook, string) {
	return nil, "the phone webhook carries call events, not messages (checked by channels/phone's own tests)"
}

// Receipts: calls have no delivery receipts.
func (*Fake) Receipts() (channelstest.Receipts, string) {
	return nil, "the phone channel sends nothing, so nothing is receipted"
}

// Provider: the channel sends nothing (Capabilities.Outbound is false).
func (*Fake) Provider() (channelstest.Provider, string) {
	return nil, "the phone channel sends no messages: agents call back on their phones"
}

// Event is a call event as the fake posts it.
type Event struct {
	CallID          string `json:"callID"`
	Status          string `json:"status"`
	Direction       string `json:"direction,omitempty"`
	From            string `json:"from"`
	To              string `json:"to"`
	Agent           *Agent `json:"agent,omitempty"`
	StartedAt       string `json:"startedAt,omitempty"`
	AnsweredAt      string `json:"answeredAt,omitempty"`
	EndedAt         string `json:"endedAt,omitempty"`
	DurationSeconds *int   `json:"durationSeconds,omitempty"`
	RecordingURL    string `json:"recordingURL,omitempty"`
}

// Agent names an agent.
type Agent struct {
	Email string `json:"email,omitempty"`
	ID    string `json:"id,omitempty"`
}

// Body is ev as JSON.
func Body(ev Event) []byte {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// Signature is the X-Switchboard-Signature header of body at ts:
// "sha256=" hex HMAC-SHA256(secret, ts + "." + body).
func Signature(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "." + string(body)))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Request is a POST of body to url signed with secret at time at.
func Request(url, secret string, at time.Time, body []byte) *http.Request {
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Switchboard-Timestamp", strconv.FormatInt(at.Unix(), 10))
	r.Header.Set("X-Switchboard-Signature", Signature(secret, at.Unix(), body))
	return r
}
