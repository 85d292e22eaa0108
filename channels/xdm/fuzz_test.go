package xdm_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/xdm"
	"github.com/switchboard/switchboard/channels/xdm/xdmtest"
)

// FuzzReceive: whatever the body, Receive never panics; unsigned or
// wrongly signed it is refused 401 with nothing delivered; signed, it is
// delivered or refused with a 4xx, and what it delivers is well formed
// and never one of the account's own messages.
func FuzzReceive(f *testing.F) {
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	photo := xdmtest.WithPhoto(xdmtest.DM("201", "42", xdmtest.AccountID, "see", at), "https://ton.twitter.com/1.1/ton/data/dm/1/2/x.jpg")
	for _, seed := range [][]byte{
		[]byte(vectorBody),
		xdmtest.Body(xdmtest.AccountID, []map[string]any{
			xdmtest.DM("101", xdmtest.AccountID, "42", "own", at), xdmtest.DM("102", "42", xdmtest.AccountID, "hi", at), photo,
		}, xdmtest.Users("42", xdmtest.AccountID)),
		[]byte(`{"for_user_id":"` + xdmtest.AccountID + `","direct_message_mark_read_events":[{"created_timestamp":"1637754000123","sender_id":"42","target":{"recipient_id":"1"},"last_read_event_id":"5"}]}`),
		[]byte(`{"for_user_id":"` + xdmtest.AccountID + `","direct_message_indicate_typing_events":[{"created_timestamp":"1","sender_id":"42"}]}`),
		[]byte(`{"for_user_id":"999","direct_message_events":[]}`),
		[]byte(`[]`),
		{},
	} {
		f.Add(seed)
	}
	fake := xdmtest.New(f)
	a := xdm.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fake.Config(t)
		for _, secret := range []string{"", "not-the-consumer-secret"} {
			d, err := a.Receive(context.Background(), c, xdmtest.Request(body, secret), body)
			if status(err) != 401 || d != nil {
				t.Fatalf("signed with %q: %v, %v; want 401 and nothing", secret, d, err)
			}
		}
		d, err := a.Receive(context.Background(), c, xdmtest.Request(body, xdmtest.ConsumerSecret), body)
		if err != nil {
			if st := status(err); st < 400 || st > 499 || d != nil {
				t.Fatalf("signed: %v, %v; want a 4xx *channels.Error", d, err)
			}
			return
		}
		for _, m := range d.Messages {
			if m.ProviderMessageID == "" || m.Sender.ExternalID == "" || m.Sender.ExternalID == xdmtest.AccountID ||
				(m.Text == "" && len(m.Media) == 0) || m.Time.IsZero() {
				t.Fatalf("an ill-formed message: %+v", m)
			}
			for _, md := range m.Media {
				if len(md.URL) < 9 || md.URL[:8] != "https://" {
					t.Fatalf("media without an https URL: %+v", md)
				}
			}
		}
		for _, r := range d.Receipts {
			if r.Recipient == "" || r.Recipient == xdmtest.AccountID || r.Watermark.IsZero() {
				t.Fatalf("an ill-formed receipt: %+v", r)
			}
		}
	})
}
