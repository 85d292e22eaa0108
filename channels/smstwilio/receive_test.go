package smstwilio_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // Twilio's signature
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/smstwilio"
	"github.com/switchboard/switchboard/channels/smstwilio/twiliotest"
)

// The spec's vector, computed by hand: the URL, then the parameters
// sorted by name, each name then value, no separators.
func TestSignatureVector(t *testing.T) {
	const want = "vOEb5UThFn24KEfnOFLQY2AE5FY="
	// Sorted by name: Reason sorts before ReasonConferenceEnded.
	data := "https://mycompany.com/myapp.php?foo=1&bar=2" +
		"CallSidCA1234567890ABCDE" + "Caller+14158675309" + "Digits1234" + "From+14158675309" +
		"ReasonParticipant" + "ReasonConferenceEndedtest" + "To+18005551212"
	mac := hmac.New(sha1.New, []byte("12345"))
	mac.Write([]byte(data))
	if got := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("hand-computed %s, want the spec's %s", got, want)
	}
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"}, "From": {"+14158675309"},
		"To": {"+18005551212"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}
	if got := smstwilio.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form); got != want {
		t.Fatalf("Signature = %s, want %s", got, want)
	}
	if got := twiliotest.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form); got != want {
		t.Fatalf("twiliotest.Signature = %s, want %s", got, want)
	}
}

func config(f *twiliotest.Fake, webhookURL string) *channels.Config {
	c := f.Config(nil)
	c.WebhookURL = webhookURL
	return c
}

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Twilio may sign the URL with or without the scheme's default port.
func TestSignedURLPorts(t *testing.T) {
	f := twiliotest.New(t)
	form := twiliotest.Inbound(twiliotest.SID("SM", "p"), "+14155550123", "hi")
	for _, tc := range []struct {
		configured, signed string
		ok                 bool
	}{
		{"https://sb.example.com/webhooks/sms_twilio/k", "https://sb.example.com/webhooks/sms_twilio/k", true},
		{"https://sb.example.com/webhooks/sms_twilio/k", "https://sb.example.com:443/webhooks/sms_twilio/k", true},
		{"https://sb.example.com:443/webhooks/sms_twilio/k", "https://sb.example.com/webhooks/sms_twilio/k", true},
		{"http://sb.example.com/webhooks/sms_twilio/k", "http://sb.example.com:80/webhooks/sms_twilio/k", true},
		{"https://sb.example.com/webhooks/sms_twilio/k", "https://sb.example.com:80/webhooks/sms_twilio/k", false},
		{"https://sb.example.com:8443/webhooks/sms_twilio/k", "https://sb.example.com/webhooks/sms_twilio/k", false},
		{"https://sb.example.com/webhooks/sms_twilio/k", "http://sb.example.com/webhooks/sms_twilio/k", false},
		{"https://sb.example.com/webhooks/sms_twilio/k", "https://sb.example.com/webhooks/sms_twilio/k/", false},
	} {
		r := twiliotest.Post(tc.configured, tc.signed, twiliotest.AuthToken, form)
		body := []byte(form.Encode())
		d, err := smstwilio.New().Receive(context.Background(), config(f, tc.configured), r, body)
		if tc.ok != (err == nil && d != nil) || (!tc.ok && status(err) != 401) {
			t.Errorf("configured %s, signed %s: %v, %v", tc.configured, tc.signed, d, err)
		}
	}
	// A query the request came with is signed too.
	signed := twiliotest.WebhookURL + "?status=1"
	r := twiliotest.Post(signed, signed, twiliotest.AuthToken, form)
	if _, err := smstwilio.New().Receive(context.Background(), f.Config(nil), r, []byte(form.Encode())); err != nil {
		t.Errorf("with a query: %v", err)
	}
}

func receive(t *testing.T, f *twiliotest.Fake, form url.Values) *channels.Delivery {
	t.Helper()
	r := twiliotest.Post(twiliotest.WebhookURL, twiliotest.WebhookURL, twiliotest.AuthToken, form)
	d, err := smstwilio.New().Receive(context.Background(), f.Config(nil), r, []byte(form.Encode()))
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return d
}

func TestOptOutKeywords(t *testing.T) {
	f := twiliotest.New(t)
	for text, want := range map[string]channels.EventKind{
		"STOP": channels.EventOptedOut, " stop\n": channels.EventOptedOut, "StopAll": channels.EventOptedOut,
		"unsubscribe": channels.EventOptedOut, "CANCEL": channels.EventOptedOut, "end": channels.EventOptedOut, "Quit": channels.EventOptedOut,
		"START": channels.EventOptedIn, "yes": channels.EventOptedIn, "Unstop": channels.EventOptedIn,
		"stop it": "", "please stop": "", "HELP": "", "yes please": "",
	} {
		sid := twiliotest.SID("SM", text)
		d := receive(t, f, twiliotest.Inbound(sid, "+14155550123", text))
		if len(d.Messages) != 1 || d.Messages[0].Text != text {
			t.Fatalf("%q: messages %+v (the keyword is stored too)", text, d.Messages)
		}
		switch {
		case want == "" && len(d.Events) != 0:
			t.Errorf("%q: events %+v, want none", text, d.Events)
		case want != "" && (len(d.Events) != 1 || d.Events[0].Kind != want || d.Events[0].Sender.ExternalID != "+14155550123" || d.Events[0].ProviderEventID != sid):
			t.Errorf("%q: events %+v, want %s", text, d.Events, want)
		}
	}
	// Advanced Opt-Out names the type, whatever the custom keyword.
	form := twiliotest.Inbound(twiliotest.SID("SM", "arret"), "+14155550123", "ARRET")
	form.Set("OptOutType", "STOP")
	if d := receive(t, f, form); len(d.Events) != 1 || d.Events[0].Kind != channels.EventOptedOut {
		t.Errorf("OptOutType STOP: %+v", d.Events)
	}
}

func TestInboundMessage(t *testing.T) {
	f := twiliotest.New(t)
	sid, me := twiliotest.SID("MM", "m"), twiliotest.SID("ME", "m")
	form := twiliotest.WithMedia(twiliotest.Inbound(sid, "+447700900123", ""), sid, [2]string{me, "image/jpeg"})
	d := receive(t, f, form)
	if len(d.Messages) != 1 || d.Respond == nil {
		t.Fatalf("delivery %+v", d)
	}
	m := d.Messages[0]
	want := channels.Sender{ExternalID: "+447700900123", Phone: "+447700900123", Verified: true}
	if m.ProviderMessageID != sid || m.Sender != want || len(m.Media) != 1 || m.Media[0].ID != me ||
		m.Media[0].URL != "https://api.twilio.com"+twiliotest.MediaPath(sid, me) || m.Media[0].ContentType != "image/jpeg" {
		t.Fatalf("message %+v", m)
	}
	resp := d.Respond(nil)
	if resp.Status != 200 || resp.ContentType != "text/xml" || !strings.Contains(string(resp.Body), "<Response/>") {
		t.Fatalf("answer %+v", resp)
	}
}

func TestStatusCallbacks(t *testing.T) {
	f := twiliotest.New(t)
	sid := twiliotest.SID("SM", "out")
	for st, want := range map[string]channels.DeliveryStatus{
		"sent": channels.StatusSent, "delivered": channels.StatusDelivered, "read": channels.StatusRead,
		"undelivered": channels.StatusFailed, "failed": channels.StatusFailed,
		"queued": "", "sending": "", "accepted": "", "some_future_status": "",
	} {
		code := 0
		if want == channels.StatusFailed {
			code = 30006
		}
		d := receive(t, f, twiliotest.Status(sid, "+14155550123", st, code))
		if len(d.Messages) != 0 || d.Respond == nil {
			t.Fatalf("%s: %+v", st, d)
		}
		if want == "" {
			if len(d.Receipts) != 0 {
				t.Errorf("%s: receipts %+v, want none", st, d.Receipts)
			}
			continue
		}
		if len(d.Receipts) != 1 || d.Receipts[0].ProviderMessageID != sid || d.Receipts[0].Status != want ||
			(want == channels.StatusFailed && !strings.Contains(d.Receipts[0].Reason, "30006")) {
			t.Errorf("%s: receipts %+v", st, d.Receipts)
		}
	}
}

func TestReceiveRefusesUnsignedBeforeParsing(t *testing.T) {
	f := twiliotest.New(t)
	r, _ := http.NewRequest(http.MethodPost, twiliotest.WebhookURL, strings.NewReader("%zz"))
	if _, err := smstwilio.New().Receive(context.Background(), f.Config(nil), r, []byte("%zz")); status(err) != 401 {
		t.Fatalf("unsigned garbage: %v, want 401", err)
	}
	c := f.Config(nil)
	c.Secrets = map[string]string{}
	form := twiliotest.Inbound(twiliotest.SID("SM", "x"), "+14155550123", "hi")
	r = twiliotest.Post(twiliotest.WebhookURL, twiliotest.WebhookURL, "", form)
	r.Header.Set(smstwilio.SignatureHeader, smstwilio.Signature("", twiliotest.WebhookURL, form))
	if _, err := smstwilio.New().Receive(context.Background(), c, r, []byte(form.Encode())); status(err) != 401 {
		t.Fatalf("a channel without a token accepted a request signed with an empty key: %v", err)
	}
}
