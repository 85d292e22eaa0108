package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/telegram"
)

const secret = "s3cr3t_token-ABC"

func cfg() *channels.Config {
	return &channels.Config{Secrets: map[string]string{telegram.SecretBotToken: "123:" + "A0123456789012345678901234567890123",
		telegram.SecretWebhookSecret: secret}}
}

func receive(t *testing.T, header string, body string) (*channels.Delivery, error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/telegram/k", bytes.NewReader([]byte(body)))
	if header != "" {
		r.Header.Set("X-Telegram-Bot-Api-Secret-Token", header)
	}
	return telegram.New().Receive(context.Background(), cfg(), r, []byte(body))
}

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// An update as the Bot API documents it, with ids past 2^53 (float64
// would round them).
const textUpdate = `{"update_id":904712345,
"message":{"message_id":4321,"from":{"id":9007199254740993,"is_bot":false,"first_name":"Ada","last_name":"Lovelace","username":"ada_l","language_code":"en"},
"chat":{"id":9007199254740993,"first_name":"Ada","last_name":"Lovelace","username":"ada_l","type":"private"},"date":1740830340,"text":"Hello \u4f60\u597d"}}`

func TestReceiveText(t *testing.T) {
	d, err := receive(t, secret, textUpdate)
	if err != nil || len(d.Messages) != 1 || len(d.Events) != 0 {
		t.Fatalf("Receive = %+v, %v", d, err)
	}
	m := d.Messages[0]
	if m.ProviderMessageID != "9007199254740993:4321" || m.Sender.ExternalID != "9007199254740993" || m.Sender.Name != "Ada Lovelace" ||
		m.Text != "Hello 你好" || !m.Time.Equal(time.Date(2025, 3, 1, 11, 59, 0, 0, time.UTC)) ||
		m.Metadata["username"] != "ada_l" || m.Metadata["updateID"] != int64(904712345) {
		t.Fatalf("message %+v", m)
	}
}

func TestReceiveAuth(t *testing.T) {
	for name, h := range map[string]string{"missing": "", "wrong": "s3cr3t_token-ABD", "prefix": "s3cr3t_token-AB", "longer": secret + "A"} {
		if d, err := receive(t, h, textUpdate); status(err) != 401 || d != nil {
			t.Errorf("%s secret: %v, %v; want 401", name, d, err)
		}
	}
	c := cfg()
	delete(c.Secrets, telegram.SecretWebhookSecret)
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Telegram-Bot-Api-Secret-Token", "")
	if _, err := telegram.New().Receive(context.Background(), c, r, []byte(textUpdate)); status(err) != 403 {
		t.Errorf("a channel without a secret accepted an update: %v", err)
	}
}

func TestReceiveMedia(t *testing.T) {
	d, err := receive(t, secret, `{"update_id":2,"message":{"message_id":7,"from":{"id":42,"is_bot":false,"first_name":"Bo"},
	"chat":{"id":42,"type":"private"},"date":1740830340,"caption":"my invoice",
	"photo":[{"file_id":"small","file_unique_id":"a","width":90,"height":67,"file_size":1100},
	         {"file_id":"big","file_unique_id":"b","width":1280,"height":960,"file_size":99000},
	         {"file_id":"mid","file_unique_id":"c","width":320,"height":240,"file_size":9000}],
	"document":{"file_id":"doc1","file_unique_id":"d","file_name":"invoice.pdf","mime_type":"application/pdf","file_size":5000}}}`)
	if err != nil || len(d.Messages) != 1 {
		t.Fatalf("Receive = %+v, %v", d, err)
	}
	m := d.Messages[0]
	if m.Text != "my invoice" || len(m.Media) != 2 || m.Media[0].ID != "big" || m.Media[0].ContentType != "image/jpeg" ||
		m.Media[1] != (channels.Media{ID: "doc1", Name: "invoice.pdf", ContentType: "application/pdf", Size: 5000}) {
		t.Fatalf("message %+v", m)
	}
	d, err = receive(t, secret, `{"update_id":3,"message":{"message_id":8,"from":{"id":42,"first_name":"Bo"},"chat":{"id":42,"type":"private"},
	"date":1740830340,"voice":{"file_id":"v1","file_unique_id":"v","duration":3,"mime_type":"audio/ogg","file_size":2000}}}`)
	if err != nil || len(d.Messages) != 1 || len(d.Messages[0].Media) != 1 || d.Messages[0].Media[0].ID != "v1" || d.Messages[0].Text != "" {
		t.Fatalf("voice: %+v, %v", d, err)
	}
}

func TestReceiveIgnoredAndEvents(t *testing.T) {
	for name, body := range map[string]string{
		"group message": `{"update_id":4,"message":{"message_id":9,"from":{"id":42,"first_name":"Bo"},"chat":{"id":-1001234567890,"type":"supergroup","title":"G"},"date":1740830340,"text":"hi all"}}`,
		"channel post":  `{"update_id":5,"channel_post":{"message_id":9,"chat":{"id":-1001234567890,"type":"channel"},"date":1740830340,"text":"news"}}`,
		"callback":      `{"update_id":6,"callback_query":{"id":"1","from":{"id":42,"first_name":"Bo"},"data":"x"}}`,
	} {
		if d, err := receive(t, secret, body); err != nil || len(d.Messages)+len(d.Events) != 0 {
			t.Errorf("%s: %+v, %v; want acknowledged with nothing", name, d, err)
		}
	}
	member := func(st string) string {
		return `{"update_id":7,"my_chat_member":{"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"Bo"},"date":1740830340,
		"old_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"B"}},"new_chat_member":{"status":"` + st + `","user":{"id":1,"is_bot":true,"first_name":"B"},"until_date":0}}}`
	}
	for st, want := range map[string]channels.EventKind{"kicked": channels.EventUnfollowed, "member": channels.EventFollowed} {
		d, err := receive(t, secret, member(st))
		if err != nil || len(d.Events) != 1 || d.Events[0].Kind != want || d.Events[0].Sender.ExternalID != "42" || d.Events[0].ProviderEventID != "update:7" {
			t.Errorf("my_chat_member %s: %+v, %v; want %s", st, d, err, want)
		}
	}
	d, err := receive(t, secret, `{"update_id":8,"message":{"message_id":10,"from":{"id":42,"first_name":"Bo"},"chat":{"id":42,"type":"private"},"date":1740830340,"sticker":{"file_id":"s","emoji":"👍"}}}`)
	if err != nil || d.Messages[0].Text != "[sticker] 👍" {
		t.Errorf("sticker: %+v, %v", d, err)
	}
}
