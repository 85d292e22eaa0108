package whatsapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta/whatsapp"
	"github.com/switchboard/switchboard/channels/meta/whatsapp/watest"
)

// FuzzReceive: whatever the body, Receive never panics; unsigned or
// wrongly signed it is refused 401 with nothing delivered; signed, it is
// delivered or refused with a 4xx, and what it delivers is well formed.
func FuzzReceive(f *testing.F) {
	at := watest.Clock
	names := map[string]string{"8613800000000": "Ada"}
	for _, seed := range [][]byte{
		watest.Notification([]map[string]any{watest.Value("", names, []map[string]any{watest.Text("wamid.1", "8613800000000", "hi", at)}, nil)}),
		watest.Notification([]map[string]any{watest.Value("", names, []map[string]any{
			watest.Message("wamid.2", "8613800000000", "image", map[string]any{"id": "1001", "mime_type": "image/jpeg", "caption": "c"}, at),
			watest.Message("wamid.3", "8613800000000", "interactive", map[string]any{"type": "list_reply", "list_reply": map[string]any{"id": "r", "title": "T"}}, at),
			watest.Message("wamid.4", "8613800000000", "location", map[string]any{"latitude": 1.5, "longitude": 2.5}, at),
			watest.Message("wamid.5", "8613800000000", "reaction", map[string]any{"message_id": "wamid.X", "emoji": "👍"}, at),
		}, nil)}, []map[string]any{watest.Value("999", nil, nil, nil)}),
		watest.Notification([]map[string]any{watest.Value("", nil, nil, []map[string]any{
			watest.Status("wamid.A", "read", "8613800000000", at, 0, ""),
			watest.Status("wamid.B", "failed", "8613800000000", at, 131026, "Message undeliverable"),
		})}),
		[]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"` + watest.PhoneNumberID + `"},"messages":[{"from":"1","id":"w","timestamp":1700000000,"type":"system","system":{"body":"changed"}}]}}]}]}`),
		[]byte(`{"object":"page","entry":[]}`),
		[]byte(`[]`),
		{},
	} {
		f.Add(seed)
	}
	fake := watest.New(f)
	a := whatsapp.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fake.Config(t)
		for _, secret := range []string{"", "not-the-app-secret"} {
			d, err := a.Receive(context.Background(), c, watest.Request(body, secret), body)
			if status(err) != 401 || d != nil {
				t.Fatalf("signed with %q: %v, %v; want 401 and nothing", secret, d, err)
			}
		}
		d, err := a.Receive(context.Background(), c, watest.Request(body, watest.AppSecret), body)
		if err != nil {
			if st := status(err); st < 400 || st > 499 || d != nil {
				t.Fatalf("signed: %v, %v; want a 4xx *channels.Error", d, err)
			}
			return
		}
		for _, m := range d.Messages {
			if m.ProviderMessageID == "" || m.Sender.ExternalID == "" || (m.Text == "" && len(m.Media) == 0) {
				t.Fatalf("an ill-formed message: %+v", m)
			}
			if m.Sender.Verified && m.Sender.Phone != "+"+m.Sender.ExternalID {
				t.Fatalf("a verified phone that is not the wa_id: %+v", m.Sender)
			}
		}
		for _, r := range d.Receipts {
			switch r.Status {
			case channels.StatusSent, channels.StatusDelivered, channels.StatusRead:
			case channels.StatusFailed:
				if r.Reason == "" {
					t.Fatalf("a failure without a reason: %+v", r)
				}
			default:
				t.Fatalf("a receipt with status %q", r.Status)
			}
			if r.ProviderMessageID == "" || r.Time.After(time.Unix(1<<40, 0)) {
				t.Fatalf("an ill-formed receipt: %+v", r)
			}
		}
	})
}
