package phone_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/phone"
	"github.com/switchboard/switchboard/channels/phone/phonetest"
)

// FuzzReceive: Receive never panics, accepts only signed bodies, and what
// it accepts is one call with an id, a known status and an E.164 number.
func FuzzReceive(f *testing.F) {
	for _, ev := range []phonetest.Event{
		ended,
		{CallID: "r", Status: "RINGING", From: "+14155550100", To: "201"},
		{CallID: "m", Status: "MISSED", Direction: "OUTBOUND", From: "201", To: "+447700900123", StartedAt: "2026-11-29T08:00:00+01:00"},
	} {
		f.Add(phonetest.Body(ev), true)
	}
	f.Add([]byte(`{"callID":"x","status":"ENDED","from":"+1","to":"","durationSeconds":1e99}`), true)
	f.Add([]byte(`{}`), false)
	c := phonetest.NewFake().Config(f)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		r := phonetest.Request(c.WebhookURL, phonetest.Secret, phonetest.Now, body)
		if !signed {
			r = phonetest.Request(c.WebhookURL, "not-the-channel-secret-0123", phonetest.Now, body)
		}
		d, err := phone.New().Receive(context.Background(), c, r, body)
		if !signed && (err == nil || d != nil) {
			t.Fatalf("an unsigned body was accepted: %q", body)
		}
		if err != nil {
			if d != nil || (status(err) != 400 && status(err) != 401) {
				t.Fatalf("Receive = %v, %v", d, err)
			}
			return
		}
		if len(d.Calls) != 1 || d.Calls[0].ProviderCallID == "" || d.Calls[0].StartedAt.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("accepted %q as %+v", body, d)
		}
	})
}
