package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/telegram"
	"github.com/switchboard/switchboard/channels/telegram/tgtest"
)

var ctx = context.Background()

func attachment(name, ct string, data []byte) channels.Attachment {
	return channels.Attachment{URL: "https://desk.example.com/files/" + name, Name: name, ContentType: ct, Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func TestSendErrors(t *testing.T) {
	f := tgtest.New(t)
	c := f.Config(t)
	m := &channels.Outbound{DeliveryID: "d1", Recipient: f.Recipient(), Text: "hi"}
	for _, tc := range []struct {
		code        int
		retry       int
		permanent   bool
		credentials bool
		wait        time.Duration
	}{
		{429, 17, false, false, 17 * time.Second},
		{403, 0, true, false, 0},
		{401, 0, true, true, 0},
		{400, 0, true, false, 0},
		{502, 0, false, false, 0},
	} {
		f.Fail(tc.code, "error", tc.retry)
		_, err := telegram.New().Send(ctx, c, m)
		var e *channels.Error
		if !errors.As(err, &e) || e.Permanent != tc.permanent || e.Credentials != tc.credentials || e.RetryAfter != tc.wait {
			t.Errorf("%d: Send = %#v, want permanent %v, credentials %v, retry after %v", tc.code, err, tc.permanent, tc.credentials, tc.wait)
		}
		if err != nil && strings.Contains(err.Error(), tgtest.Token) {
			t.Errorf("%d: the error shows the token: %v", tc.code, err)
		}
	}
	if _, err := telegram.New().Send(ctx, c, &channels.Outbound{Recipient: channels.Sender{ExternalID: "@ada"}, Text: "hi"}); !channels.IsPermanent(err) {
		t.Errorf("to a non-numeric recipient: %v", err)
	}
	c.Settings[telegram.SettingBaseURL] = "http://127.0.0.1:1"
	if _, err := telegram.New().Send(ctx, c, m); err == nil || channels.IsPermanent(err) || strings.Contains(err.Error(), tgtest.Token) {
		t.Errorf("unreachable: %v (want transient, without the token)", err)
	}
}

// TestSendAttachments: the text is the first file's caption; pictures go
// by sendPhoto and other files by sendDocument, uploaded; a send failing
// part way resumes after what went through.
func TestSendAttachments(t *testing.T) {
	f := tgtest.New(t)
	c := f.Config(t)
	pic, pdf := []byte("\x89PNG fake"), []byte("%PDF-1.4 fake")
	m := &channels.Outbound{DeliveryID: "d2", Recipient: f.Recipient(), Text: "here you are",
		Attachments: []channels.Attachment{attachment("a.png", "image/png", pic), attachment("b.pdf", "application/pdf", pdf)}}
	f.Answer(channelstest.Answer{ID: "first"})
	f.Fail(500, "Internal Server Error", 0)
	if _, err := telegram.New().Send(ctx, c, m); err == nil || channels.IsPermanent(err) {
		t.Fatalf("Send with the second call failing = %v, want a transient error", err)
	}
	id, err := telegram.New().Send(ctx, c, m) // the outbox's retry
	if err != nil || id != f.SentID("first") {
		t.Fatalf("retry = %q, %v; want the first call's message %s", id, err, f.SentID("first"))
	}
	calls := f.Calls()
	if len(calls) != 3 || calls[0].Method != "sendPhoto" || calls[0].Text != "here you are" || !bytes.Equal(calls[0].File, pic) ||
		calls[0].FileName != "a.png" || calls[1].Method != "sendDocument" || calls[2].Method != "sendDocument" ||
		calls[2].Text != "" || !bytes.Equal(calls[2].File, pdf) || calls[2].ChatID != "5123456789" {
		t.Fatalf("calls %+v; want the photo once with the caption, then the document twice (failed, retried)", calls)
	}
	if v, _, _ := c.State.Get(ctx, "send:d2"); v != nil {
		t.Errorf("the finished send's progress is kept: %s", v)
	}

	// A text too long for a caption goes first, on its own.
	long := strings.Repeat("x", 1025)
	m = &channels.Outbound{DeliveryID: "d3", Recipient: f.Recipient(), Text: long, Attachments: []channels.Attachment{
		{URL: "https://desk.example.com/files/c.zip", Name: "c.zip", ContentType: "application/zip"}}}
	if _, err := telegram.New().Send(ctx, c, m); err != nil {
		t.Fatal(err)
	}
	calls = f.Calls()[3:]
	if len(calls) != 2 || calls[0].Method != "sendMessage" || calls[0].Text != long || calls[1].Method != "sendDocument" ||
		calls[1].FileURL != "https://desk.example.com/files/c.zip" || calls[1].Text != "" {
		t.Fatalf("calls %+v", calls)
	}
}

func TestEnableVerifyValidate(t *testing.T) {
	f := tgtest.New(t)
	c := f.Config(t)
	a := telegram.New()
	if err := a.Verify(ctx, c); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := a.Enable(ctx, c); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	if err := a.Disable(ctx, c); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	hooks, deleted := f.Webhooks()
	if len(hooks) != 1 || hooks[0].URL != c.WebhookURL || hooks[0].Secret != tgtest.Secret ||
		strings.Join(hooks[0].AllowedUpdates, ",") != "message,my_chat_member" || deleted != 1 {
		t.Fatalf("setWebhook %+v, deleteWebhook %d", hooks, deleted)
	}
	c.Secrets[telegram.SecretWebhookSecret] = "bad secret!"
	if err := a.Enable(ctx, c); err == nil {
		t.Errorf("Enable with an unusable secret succeeded")
	}
	c.Secrets[telegram.SecretBotToken] += "x"
	if err := a.Verify(ctx, c); err == nil || !strings.Contains(err.Error(), "refused the bot token") || strings.Contains(err.Error(), tgtest.Token) {
		t.Errorf("Verify with a wrong token: %v", err)
	}

	// getMe answering a user, not a bot.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true,"result":{"id":12345,"is_bot":false,"first_name":"Me"}}`))
	}))
	defer srv.Close()
	c = f.Config(t)
	c.Settings[telegram.SettingBaseURL] = srv.URL
	if err := a.Verify(ctx, c); err == nil || !strings.Contains(err.Error(), "not a bot") {
		t.Errorf("Verify of a user's token: %v", err)
	}

	ok := map[string]string{telegram.SecretBotToken: tgtest.Token}
	for name, tc := range map[string]struct {
		settings map[string]any
		secrets  map[string]string
		field    string
	}{
		"no token":       {nil, map[string]string{}, telegram.SecretBotToken},
		"token form":     {nil, map[string]string{telegram.SecretBotToken: "AAH-no-id"}, telegram.SecretBotToken},
		"secret form":    {nil, map[string]string{telegram.SecretBotToken: tgtest.Token, telegram.SecretWebhookSecret: "has space"}, telegram.SecretWebhookSecret},
		"secret length":  {nil, map[string]string{telegram.SecretBotToken: tgtest.Token, telegram.SecretWebhookSecret: strings.Repeat("a", 257)}, telegram.SecretWebhookSecret},
		"base URL":       {map[string]any{telegram.SettingBaseURL: "api.telegram.org"}, ok, telegram.SettingBaseURL},
		"base URL type":  {map[string]any{telegram.SettingBaseURL: 5}, ok, telegram.SettingBaseURL},
		"unknown secret": {nil, map[string]string{telegram.SecretBotToken: tgtest.Token, "appSecret": "x"}, "appSecret"},
	} {
		var fe *channels.FieldError
		if err := a.Validate(tc.settings, tc.secrets); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: Validate = %v, want a field error about %s", name, err, tc.field)
		}
	}
	if err := a.Validate(map[string]any{telegram.SettingBaseURL: ""}, ok); err != nil {
		t.Errorf("Validate of a token alone: %v", err)
	}
}

func TestFetchMedia(t *testing.T) {
	f := tgtest.New(t)
	c := f.Config(t)
	f.AddFile("BQACAgIAAxkBAAIB", "documents/file_3.pdf", "application/pdf", []byte("%PDF"))
	rc, ct, err := telegram.New().FetchMedia(ctx, c, channels.Media{ID: "BQACAgIAAxkBAAIB", ContentType: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "%PDF" || ct != "application/pdf" || f.Downloads() != 1 {
		t.Fatalf("fetched %q %s", b, ct)
	}
	if _, _, err := telegram.New().FetchMedia(ctx, c, channels.Media{ID: "unknown"}); !channels.IsPermanent(err) {
		t.Errorf("an unknown file id: %v, want permanent", err)
	}
	f.AddFile("evil", "../bot"+tgtest.Token+"/getMe", "", nil)
	if _, _, err := telegram.New().FetchMedia(ctx, c, channels.Media{ID: "evil"}); !channels.IsPermanent(err) {
		t.Errorf("a file path leaving /file/: %v, want permanent", err)
	}
}
