package telegram_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboard/switchboard/channels/telegram"
	"github.com/switchboard/switchboard/channels/telegram/tgtest"
)

// FuzzReceive: any body, with the right secret or without, never panics;
// without the secret nothing is accepted; what is accepted names its
// messages and senders.
func FuzzReceive(f *testing.F) {
	for _, seed := range []string{
		textUpdate,
		string(tgtest.Update(5, 42, "Bo", map[string]any{"caption": "c", "photo": []map[string]any{{"file_id": "p", "width": 1, "height": 1}}})),
		string(tgtest.Update(6, 42, "Bo", map[string]any{"document": map[string]any{"file_id": "d", "file_name": "a.pdf", "mime_type": "application/pdf"}})),
		string(tgtest.Update(7, 42, "Bo", map[string]any{"voice": map[string]any{"file_id": "v", "duration": 2}})),
		string(tgtest.Blocked(8, 42, "kicked")),
		`{"update_id":9,"callback_query":{"id":"1"}}`,
		`{"update_id":1,"message":{"message_id":1,"chat":{"id":-100,"type":"group"},"date":1}}`,
		`{"update_id":1}{}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	a := telegram.New()
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/telegram/k", bytes.NewReader(body))
		if signed {
			r.Header.Set(telegram.SecretHeader, secret)
		}
		d, err := a.Receive(context.Background(), cfg(), r, body)
		if !signed {
			if err == nil || d != nil || status(err) != 401 {
				t.Fatalf("accepted a body without the secret: %v, %v", d, err)
			}
			return
		}
		if err != nil {
			if d != nil || status(err) != 400 {
				t.Fatalf("refusal %v with delivery %v, want 400 and none", err, d)
			}
			return
		}
		for _, m := range d.Messages {
			if m.ProviderMessageID == "" || m.Sender.ExternalID == "" || m.Sender.ExternalID == "0" {
				t.Fatalf("accepted message %+v without ids", m)
			}
		}
		for _, e := range d.Events {
			if e.ProviderEventID == "" || e.Sender.ExternalID == "" {
				t.Fatalf("accepted event %+v without ids", e)
			}
		}
	})
}
