package phone_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/phone"
	"github.com/switchboard/switchboard/channels/phone/phonetest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, phone.New(), phonetest.NewFake())
}

func receive(t *testing.T, c *channels.Config, r *http.Request) (*channels.Delivery, error) {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return phone.New().Receive(context.Background(), c, r, body)
}

func status(err error) int {
	var ce *channels.Error
	if errors.As(err, &ce) {
		return ce.Status
	}
	return 0
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func ptr[T any](v T) *T { return &v }

var ended = phonetest.Event{
	CallID: "pbx-call-1", Status: "ENDED", From: "+14155550100", To: "+18005550199",
	Agent:     &phonetest.Agent{Email: "ann@example.com"},
	StartedAt: "2026-11-29T08:58:00Z", AnsweredAt: "2026-11-29T08:58:10Z", EndedAt: "2026-11-29T08:59:52Z",
	DurationSeconds: ptr(102), RecordingURL: "https://pbx.example/rec/1.mp3",
}

func TestReceiveGenuine(t *testing.T) {
	f := phonetest.NewFake()
	c := f.Config(t)
	d, err := receive(t, c, phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, phonetest.Body(ended)))
	if err != nil || d == nil || len(d.Calls) != 1 || len(d.Messages) != 0 {
		t.Fatalf("Receive = %+v, %v; want one call", d, err)
	}
	want := channels.Call{
		ProviderCallID: "pbx-call-1", Status: channels.CallEnded, Direction: channels.CallInbound,
		From: "+14155550100", To: "+18005550199", AgentEmail: "ann@example.com",
		StartedAt:  time.Date(2026, 11, 29, 8, 58, 0, 0, time.UTC),
		AnsweredAt: time.Date(2026, 11, 29, 8, 58, 10, 0, time.UTC),
		EndedAt:    time.Date(2026, 11, 29, 8, 59, 52, 0, time.UTC),
		Duration:   102 * time.Second, RecordingURL: "https://pbx.example/rec/1.mp3",
	}
	if got := d.Calls[0]; got != want {
		t.Errorf("call = %+v\nwant %+v", got, want)
	}
	// A replay inside the window is accepted and names the same call: the
	// inbox keeps one call per id and never moves it back.
	d2, err := receive(t, c, phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, phonetest.Body(ended)))
	if err != nil || d2.Calls[0].ProviderCallID != "pbx-call-1" {
		t.Errorf("replayed Receive = %+v, %v", d2, err)
	}
	// Without startedAt the call starts at the request's time.
	ring := phonetest.Event{CallID: "c2", Status: "RINGING", From: "+14155550100", To: "201"}
	d3, err := receive(t, c, phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, phonetest.Body(ring)))
	if err != nil || !d3.Calls[0].StartedAt.Equal(phonetest.Now) || d3.Calls[0].To != "201" {
		t.Errorf("ringing Receive = %+v, %v", d3, err)
	}
	// Outbound: the customer is the called number.
	out := phonetest.Event{CallID: "c3", Status: "ANSWERED", Direction: "OUTBOUND", From: "201", To: "+447700900123"}
	d4, err := receive(t, c, phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, phonetest.Body(out)))
	if err != nil || d4.Calls[0].Direction != channels.CallOutbound {
		t.Errorf("outbound Receive = %+v, %v", d4, err)
	}
}

// TestSignatureVector computes the signature from the scheme's definition
// by hand (not with the adapter's or the fake's helpers).
func TestSignatureVector(t *testing.T) {
	// HMAC-SHA256("0123456789abcdef", "1700000000." + body), computed
	// outside Go with Python's hmac module.
	const vectorSig = "sha256=e0dd3e9489b4c1aa719e802d0764704cb059d7c8d45e0e381e84a48920ee49fb"
	c := &channels.Config{Secrets: map[string]string{"secret": "0123456789abcdef"}, Now: func() time.Time { return time.Unix(1700000000, 0) }}
	body := []byte(`{"callID":"v1","status":"MISSED","from":"+14155550100","to":"100"}`)
	r, _ := http.NewRequest(http.MethodPost, "https://x/", nil)
	r.Header.Set("X-Switchboard-Timestamp", "1700000000")
	r.Header.Set("X-Switchboard-Signature", vectorSig)
	d, err := phone.New().Receive(context.Background(), c, r, body)
	if err != nil || len(d.Calls) != 1 || d.Calls[0].Status != channels.CallMissed {
		t.Fatalf("Receive of the vector = %+v, %v", d, err)
	}
}

func TestReceiveRefused(t *testing.T) {
	f := phonetest.NewFake()
	c := f.Config(t)
	body := phonetest.Body(ended)
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] ^= 1
	noSig := phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, body)
	noSig.Header.Del("X-Switchboard-Signature")
	noTS := phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, body)
	noTS.Header.Del("X-Switchboard-Timestamp")
	tamperedReq := phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, body)
	tamperedReq.Body = io.NopCloser(bytesReader(tampered))
	forged := map[string]*http.Request{
		"wrong secret":     phonetest.Request(c.WebhookURL, "another-secret-0123456789", phonetest.Now, body),
		"no signature":     noSig,
		"no timestamp":     noTS,
		"tampered body":    tamperedReq,
		"stale":            phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now.Add(-6*time.Minute), body),
		"future":           phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now.Add(6*time.Minute), body),
		"signed for other": phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now.Add(-time.Second), body),
	}
	forged["signed for other"].Header.Set("X-Switchboard-Timestamp", "1")
	for name, r := range forged {
		if d, err := receive(t, c, r); d != nil || status(err) != 401 {
			t.Errorf("%s: Receive = %v, %v; want 401", name, d, err)
		}
	}
	malformed := map[string]string{
		"empty":          ``,
		"truncated":      string(body[:len(body)/2]),
		"array":          `[]`,
		"no call id":     `{"status":"RINGING","from":"+14155550100","to":"1"}`,
		"bad status":     `{"callID":"x","status":"HELD","from":"+14155550100","to":"1"}`,
		"bad direction":  `{"callID":"x","status":"RINGING","direction":"SIDEWAYS","from":"+14155550100","to":"1"}`,
		"national from":  `{"callID":"x","status":"RINGING","from":"04155550100","to":"1"}`,
		"no to":          `{"callID":"x","status":"RINGING","from":"+14155550100"}`,
		"bad time":       `{"callID":"x","status":"RINGING","from":"+14155550100","to":"1","startedAt":"yesterday"}`,
		"negative":       `{"callID":"x","status":"ENDED","from":"+14155550100","to":"1","durationSeconds":-1}`,
		"bad recording":  `{"callID":"x","status":"ENDED","from":"+14155550100","to":"1","recordingURL":"ftp://x/y"}`,
		"unknown field":  `{"callID":"x","status":"RINGING","from":"+14155550100","to":"1","extra":1}`,
		"trailing data":  `{"callID":"x","status":"RINGING","from":"+14155550100","to":"1"} {}`,
		"wrong type":     `{"callID":7,"status":"RINGING","from":"+14155550100","to":"1"}`,
		"invalid UTF-8":  "{\"callID\":\"\xff\",\"status\":\"RINGING\",\"from\":\"+14155550100\",\"to\":\"1\"}",
		"outbound to":    `{"callID":"x","status":"RINGING","direction":"OUTBOUND","from":"+14155550100","to":"201"}`,
		"control in to":  `{"callID":"x","status":"RINGING","from":"+14155550100","to":"1\n2"}`,
		"NUL in call id": `{"callID":"a\u0000b","status":"RINGING","from":"+14155550100","to":"1"}`,
	}
	for name, b := range malformed {
		r := phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, []byte(b))
		if d, err := receive(t, c, r); d != nil || status(err) != 400 {
			t.Errorf("%s: Receive = %v, %v; want 400", name, d, err)
		}
	}
	garbage := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	r := phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, garbage)
	if d, err := receive(t, c, r); d != nil || status(err) != 400 {
		t.Errorf("garbage: Receive = %v, %v; want 400", d, err)
	}
}

func TestValidateVerifySend(t *testing.T) {
	a := phone.New()
	if err := a.Validate(nil, map[string]string{"secret": "short"}); err == nil {
		t.Error("a short secret is accepted")
	}
	var fe *channels.FieldError
	if err := a.Validate(map[string]any{"region": "US"}, nil); !errors.As(err, &fe) || fe.Field != "region" {
		t.Errorf("an unknown setting: %v", err)
	}
	if err := a.Verify(context.Background(), &channels.Config{}); err == nil {
		t.Error("Verify without a secret passes")
	}
	if err := a.Verify(context.Background(), phonetest.NewFake().Config(t)); err != nil {
		t.Errorf("Verify = %v", err)
	}
	if _, err := a.Send(context.Background(), phonetest.NewFake().Config(t), &channels.Outbound{}); !channels.IsPermanent(err) {
		t.Errorf("Send = %v, want permanent", err)
	}
	if a.Describe().Capabilities.Outbound {
		t.Error("the phone channel claims to send")
	}
}
