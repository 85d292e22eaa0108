package smstwilio_test

import (
	"context"
	"net/url"
	"regexp"
	"testing"

	"github.com/switchboard/switchboard/channels/smstwilio"
	"github.com/switchboard/switchboard/channels/smstwilio/twiliotest"
)

var fuzzE164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzReceive: Receive never panics; a body signed with another token,
// or a signature for another body, is refused 401 and yields nothing;
// what is accepted is well formed.
func FuzzReceive(f *testing.F) {
	sid, me := twiliotest.SID("MM", "seed"), twiliotest.SID("ME", "seed")
	for _, form := range []url.Values{
		twiliotest.Inbound(twiliotest.SID("SM", "seed"), "+14155550123", "Hello"),
		twiliotest.Inbound(twiliotest.SID("SM", "stop"), "+14155550123", "STOP"),
		twiliotest.WithMedia(twiliotest.Inbound(sid, "+14155550123", ""), sid, [2]string{me, "image/png"}),
		twiliotest.Status(twiliotest.SID("SM", "out"), "+14155550123", "delivered", 0),
		twiliotest.Status(twiliotest.SID("SM", "out"), "+14155550123", "undelivered", 30003),
	} {
		f.Add([]byte(form.Encode()), true)
		f.Add([]byte(form.Encode()), false)
	}
	f.Add([]byte("%zz&a=b"), true)
	f.Add([]byte(`{"MessageSid":"x"}`), true)
	fake := twiliotest.New(f)
	f.Fuzz(func(t *testing.T, body []byte, genuine bool) {
		form, _ := url.ParseQuery(string(body))
		token := twiliotest.AuthToken
		if !genuine {
			token = "0123456789abcdef0123456789abcdef"
		}
		r := twiliotest.Post(twiliotest.WebhookURL, twiliotest.WebhookURL, token, form)
		d, err := smstwilio.New().Receive(context.Background(), fake.Config(nil), r, body)
		if !genuine {
			if st := status(err); (st != 401 && st != 400) || d != nil {
				t.Fatalf("another token: Receive = %v, %v; want 401 (400 for an unparsable body)", d, err)
			}
			return
		}
		if err != nil {
			if st := status(err); st < 400 || st > 499 || d != nil {
				t.Fatalf("refused with %d (%v) and %v", st, err, d)
			}
			return
		}
		if d.Respond == nil {
			t.Fatalf("no answer: %+v", d)
		}
		for _, m := range d.Messages {
			if !fuzzE164.MatchString(m.Sender.ExternalID) || m.Sender.Phone != m.Sender.ExternalID || m.ProviderMessageID == "" ||
				(m.Text == "" && len(m.Media) == 0) {
				t.Fatalf("accepted message %+v", m)
			}
		}
		for _, rc := range d.Receipts {
			if rc.ProviderMessageID == "" || rc.Status == "" {
				t.Fatalf("accepted receipt %+v", rc)
			}
		}
	})
}
