package whatsapp_test

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
	"github.com/switchboard/switchboard/channels/meta/whatsapp"
	"github.com/switchboard/switchboard/channels/meta/whatsapp/watest"
)

// TestSignatureVector: a body signed by the spec's rule, the value
// computed outside Go (openssl dgst -sha256 -hmac vector-app-secret), is
// accepted; the same value in upper case hex with another secret is not.
func TestSignatureVector(t *testing.T) {
	f := watest.New(t)
	c := f.Config(t)
	c.Secrets["appSecret"] = "vector-app-secret"
	body := `{"object":"whatsapp_business_account","entry":[]}`
	const sig = "sha256=eb1035e8bc5a626e28b776b702b581860494a8e7594eac96f659707870df3870"
	r := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp/k", strings.NewReader(body))
	r.Header.Set("X-Hub-Signature-256", sig)
	if d, err := whatsapp.New().Receive(context.Background(), c, r, []byte(body)); err != nil || d == nil {
		t.Fatalf("the openssl vector: %v", err)
	}
	c.Secrets["appSecret"] = "another-secret"
	if _, err := whatsapp.New().Receive(context.Background(), c, r, []byte(body)); status(err) != 401 {
		t.Fatalf("another secret: %v, want 401", err)
	}
}

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func receive(t *testing.T, c *channels.Config, body []byte) *channels.Delivery {
	t.Helper()
	d, err := whatsapp.New().Receive(context.Background(), c, watest.Request(body, watest.AppSecret), body)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return d
}

// TestReceiveMessages: every type of message in a batch of two entries,
// the senders' names from contacts, the number as a verified phone;
// another phone number's change and other fields ignored.
func TestReceiveMessages(t *testing.T) {
	f := watest.New(t)
	at := watest.Clock.Add(-time.Minute)
	ada, bo := "8613800000000", "15550001234"
	names := map[string]string{ada: "Ada Li", bo: "Bo"}
	msgs := []map[string]any{
		watest.Text("wamid.1", ada, "Hello, where is my order?", at),
		watest.Message("wamid.2", ada, "image", map[string]any{"id": "1001", "mime_type": "image/jpeg", "sha256": "x", "caption": "the box"}, at),
		watest.Message("wamid.3", bo, "document", map[string]any{"id": "1002", "mime_type": "application/pdf", "sha256": "x", "filename": "invoice.pdf"}, at),
		watest.Message("wamid.4", bo, "audio", map[string]any{"id": "1003", "mime_type": "audio/ogg; codecs=opus", "sha256": "x", "voice": true}, at),
		watest.Message("wamid.5", bo, "video", map[string]any{"id": "1004", "mime_type": "video/mp4", "sha256": "x"}, at),
	}
	more := []map[string]any{
		watest.Message("wamid.6", ada, "location", map[string]any{"latitude": 31.2304, "longitude": 121.4737, "name": "Shop", "address": "1 Nanjing Rd"}, at),
		watest.Message("wamid.7", ada, "interactive", map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": "yes-1", "title": "Yes"}}, at),
		watest.Message("wamid.8", bo, "interactive", map[string]any{"type": "list_reply", "list_reply": map[string]any{"id": "row-2", "title": "Express", "description": "1 day"}}, at),
		watest.Message("wamid.9", bo, "button", map[string]any{"payload": "STOP_PROMOS", "text": "Stop promotions"}, at),
		watest.Message("wamid.10", bo, "unsupported", nil, at),
	}
	quoted := watest.Text("wamid.11", ada, "this one", at)
	quoted["context"] = map[string]any{"from": "15550100199", "id": "wamid.OURS"}
	more = append(more, quoted)
	other := watest.Value("999999999", map[string]string{"4912345678": "X"}, []map[string]any{watest.Text("wamid.other", "4912345678", "not ours", at)}, nil)
	body := watest.Notification(
		[]map[string]any{watest.Value("", names, msgs, nil), other},
		[]map[string]any{watest.Value("", names, more, nil)},
	)
	// A change of another field (template status) in the same entry.
	body = []byte(strings.Replace(string(body), `"changes":[`, `"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_name":"x"}},`, 1))
	d := receive(t, f.Config(t), body)
	if len(d.Messages) != 11 || len(d.Receipts) != 0 {
		t.Fatalf("%d messages and %d receipts, want 11 and 0", len(d.Messages), len(d.Receipts))
	}
	byID := map[string]channels.Inbound{}
	for _, m := range d.Messages {
		byID[m.ProviderMessageID] = m
	}
	first := byID["wamid.1"]
	if s := first.Sender; s.ExternalID != ada || s.Name != "Ada Li" || s.Phone != "+8613800000000" || !s.Verified ||
		first.Text != "Hello, where is my order?" || !first.Time.Equal(time.Unix(at.Unix(), 0)) {
		t.Errorf("text message: %+v", first)
	}
	for id, want := range map[string]channels.Media{
		"wamid.2": {ID: "1001", ContentType: "image/jpeg", Name: "image.jpg"},
		"wamid.3": {ID: "1002", ContentType: "application/pdf", Name: "invoice.pdf"},
		"wamid.4": {ID: "1003", ContentType: "audio/ogg; codecs=opus", Name: "audio.ogg"},
		"wamid.5": {ID: "1004", ContentType: "video/mp4", Name: "video.mp4"},
	} {
		if m := byID[id]; len(m.Media) != 1 || m.Media[0] != want {
			t.Errorf("%s: media %+v, want %+v", id, m.Media, want)
		}
	}
	if byID["wamid.2"].Text != "the box" || byID["wamid.3"].Sender.Name != "Bo" {
		t.Errorf("caption %q, name %q", byID["wamid.2"].Text, byID["wamid.3"].Sender.Name)
	}
	if l := byID["wamid.6"]; !strings.Contains(l.Text, "Shop, 1 Nanjing Rd") || !strings.Contains(l.Text, "31.2304, 121.4737") || l.Metadata["location"] == nil {
		t.Errorf("location: %+v", l)
	}
	for id, want := range map[string]string{"wamid.7": "Yes", "wamid.8": "Express", "wamid.9": "Stop promotions"} {
		m := byID[id]
		reply, _ := m.Metadata["reply"].(map[string]any)
		if m.Text != want || reply == nil || reply["id"] == "" {
			t.Errorf("%s: text %q metadata %v, want %q with the reply's id", id, m.Text, m.Metadata, want)
		}
	}
	if u := byID["wamid.10"]; !strings.Contains(u.Text, "unsupported") {
		t.Errorf("unsupported: %q", u.Text)
	}
	if q := byID["wamid.11"]; len(q.InReplyTo) != 1 || q.InReplyTo[0] != "wamid.OURS" {
		t.Errorf("a quoted reply: InReplyTo %v", q.InReplyTo)
	}
	if _, ok := byID["wamid.other"]; ok {
		t.Errorf("another phone number's message was taken")
	}
}

// TestReceiveStatuses: statuses become receipts (a failed one naming the
// error's code and title), unknown statuses are ignored, and timestamps
// are unix seconds in strings.
func TestReceiveStatuses(t *testing.T) {
	f := watest.New(t)
	at := watest.Clock
	body := watest.Notification([]map[string]any{watest.Value("", nil, nil, []map[string]any{
		watest.Status("wamid.A", "sent", "15550001234", at, 0, ""),
		watest.Status("wamid.A", "delivered", "15550001234", at.Add(time.Second), 0, ""),
		watest.Status("wamid.A", "read", "15550001234", at.Add(2*time.Second), 0, ""),
		watest.Status("wamid.B", "failed", "15550001234", at, 131026, "Message undeliverable"),
		watest.Status("wamid.C", "deleted", "15550001234", at, 0, ""),
	})})
	d := receive(t, f.Config(t), body)
	want := []channels.Receipt{
		{ProviderMessageID: "wamid.A", Status: channels.StatusSent, Time: at},
		{ProviderMessageID: "wamid.A", Status: channels.StatusDelivered, Time: at.Add(time.Second)},
		{ProviderMessageID: "wamid.A", Status: channels.StatusRead, Time: at.Add(2 * time.Second)},
		{ProviderMessageID: "wamid.B", Status: channels.StatusFailed, Time: at, Reason: "131026: Message undeliverable"},
	}
	if len(d.Receipts) != len(want) || len(d.Messages) != 0 {
		t.Fatalf("receipts %+v", d.Receipts)
	}
	for i, r := range d.Receipts {
		if r.ProviderMessageID != want[i].ProviderMessageID || r.Status != want[i].Status || !r.Time.Equal(want[i].Time) || r.Reason != want[i].Reason {
			t.Errorf("receipt %d = %+v, want %+v", i, r, want[i])
		}
	}
}

// TestHandshake: the verify token echoes the challenge; another is 403.
func TestHandshake(t *testing.T) {
	f := watest.New(t)
	a := whatsapp.New()
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {watest.VerifyToken}, "hub.challenge": {"1158201444"}}
	resp, ok, err := a.Handshake(context.Background(), f.Config(t), httptest.NewRequest(http.MethodGet, "/?"+q.Encode(), nil))
	if err != nil || !ok || resp.Status != 200 || string(resp.Body) != "1158201444" {
		t.Fatalf("handshake: %+v %v %v", resp, ok, err)
	}
	q.Set("hub.verify_token", "guess")
	if _, _, err := a.Handshake(context.Background(), f.Config(t), httptest.NewRequest(http.MethodGet, "/?"+q.Encode(), nil)); status(err) != 403 {
		t.Fatalf("a wrong verify token: %v", err)
	}
}
