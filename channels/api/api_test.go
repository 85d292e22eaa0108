package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
)

const testSecret = "0123456789abcdef-test"

var clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func config(callback string) *channels.Config {
	return &channels.Config{
		ChannelID: "ch1", Key: "key1",
		Settings: map[string]any{"callbackURL": callback},
		Secrets:  map[string]string{"secret": testSecret},
		Now:      func() time.Time { return clock },
	}
}

// signature computes the header independently of the adapter's code.
func signature(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func request(body, ts, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/api/key1", strings.NewReader(body))
	if ts != "" {
		r.Header.Set("X-Switchboard-Timestamp", ts)
	}
	if sig != "" {
		r.Header.Set("X-Switchboard-Signature", sig)
	}
	return r
}

func signed(body string, at time.Time) *http.Request {
	ts := strconv.FormatInt(at.Unix(), 10)
	return request(body, ts, signature(testSecret, ts, []byte(body)))
}

const good = `{"messageID":"m1","sender":{"externalID":"u1","name":"Ann","email":"ann@example.com","phone":"+1555"},` +
	`"text":"hello","attachments":[{"url":"https://files.example.com/a.png","contentType":"image/png","name":"a.png"}]}`

func TestReceiveSigned(t *testing.T) {
	d, err := New().Receive(context.Background(), config(""), signed(good, clock.Add(-4*time.Minute)), []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := channels.Inbound{
		ProviderMessageID: "m1",
		Sender:            channels.Sender{ExternalID: "u1", Name: "Ann", Email: "ann@example.com", Phone: "+1555", Verified: true},
		Text:              "hello",
		Attachments:       []channels.Attachment{{URL: "https://files.example.com/a.png", ContentType: "image/png", Name: "a.png"}},
		Time:              clock,
	}
	if len(d.Messages) != 1 || !equalInbound(d.Messages[0], want) {
		t.Fatalf("messages = %+v, want %+v", d.Messages, want)
	}
	for _, dup := range []bool{false, true} {
		resp := d.Respond([]channels.Stored{{ConversationID: "c1", MessageID: "msg1", Duplicate: dup}})
		if resp.Status != 200 || resp.ContentType != "application/json" ||
			string(resp.Body) != `{"conversationID":"c1","messageID":"msg1"}` {
			t.Errorf("duplicate=%v: response = %d %s %s", dup, resp.Status, resp.ContentType, resp.Body)
		}
	}
}

func equalInbound(a, b channels.Inbound) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func TestReceiveRejectsUnauthenticated(t *testing.T) {
	ts := strconv.FormatInt(clock.Unix(), 10)
	sig := signature(testSecret, ts, []byte(good))
	cases := map[string]*http.Request{
		"unsigned":          request(good, "", ""),
		"no timestamp":      request(good, "", sig),
		"no signature":      request(good, ts, ""),
		"wrong secret":      request(good, ts, signature("another-secret-0123456789", ts, []byte(good))),
		"tampered body":     request(strings.Replace(good, "hello", "hullo", 1), ts, sig),
		"other timestamp":   request(good, ts, signature(testSecret, ts+"1", []byte(good))),
		"wrong prefix":      request(good, ts, strings.Replace(sig, "sha256=", "sha1=", 1)),
		"bare hex":          request(good, ts, strings.TrimPrefix(sig, "sha256=")),
		"6 minutes old":     signed(good, clock.Add(-6*time.Minute)),
		"6 minutes ahead":   signed(good, clock.Add(6*time.Minute)),
		"garbage timestamp": request(good, "soon", sig),
	}
	for name, r := range cases {
		body, _ := io.ReadAll(r.Body) // Receive gets the raw body the server read
		d, err := New().Receive(context.Background(), config(""), r, body)
		if status(err) != 401 || d != nil {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}

	c := config("")
	c.Secrets = map[string]string{}
	_, err := New().Receive(context.Background(), c, signed(good, clock), []byte(good))
	if status(err) != 401 || !strings.Contains(err.Error(), "no secret") {
		t.Errorf("no secret: err = %v, want 401 saying the channel has no secret", err)
	}
}

func TestReceiveRejectsMalformed(t *testing.T) {
	cases := map[string]string{
		"not json":       `{"messageID":`,
		"no messageID":   `{"sender":{"externalID":"u1"},"text":"hi"}`,
		"no sender":      `{"messageID":"m1","text":"hi"}`,
		"no externalID":  `{"messageID":"m1","sender":{"name":"Ann"},"text":"hi"}`,
		"nothing to say": `{"messageID":"m1","sender":{"externalID":"u1"}}`,
		"text too long":  `{"messageID":"m1","sender":{"externalID":"u1"},"text":"` + strings.Repeat("x", 65537) + `"}`,
		"relative url":   `{"messageID":"m1","sender":{"externalID":"u1"},"attachments":[{"url":"/a.png"}]}`,
		"ftp url":        `{"messageID":"m1","sender":{"externalID":"u1"},"attachments":[{"url":"ftp://x/a.png"}]}`,
		"trailing data":  `{"messageID":"m1","sender":{"externalID":"u1"},"text":"hi"} {}`,
	}
	for name, body := range cases {
		_, err := New().Receive(context.Background(), config(""), signed(body, clock), []byte(body))
		if status(err) != 400 {
			t.Errorf("%s: err = %v, want 400", name, err)
		}
	}
	attachmentOnly := `{"messageID":"m1","sender":{"externalID":"u1"},"attachments":[{"url":"http://x/a.png"}]}`
	if _, err := New().Receive(context.Background(), config(""), signed(attachmentOnly, clock), []byte(attachmentOnly)); err != nil {
		t.Errorf("attachment without text: %v", err)
	}
}

// TestReceiveRefusesUnstorable: what Switchboard could store only altered
// is refused with 400 and a reason naming the field; the limits themselves
// are accepted.
func TestReceiveRefusesUnstorable(t *testing.T) {
	msg := func(id, external, name, text, attName string) string {
		b, _ := json.Marshal(map[string]any{"messageID": id, "sender": map[string]any{"externalID": external, "name": name},
			"text": text, "attachments": []any{map[string]any{"url": "https://x/a", "name": attName}}})
		return string(b)
	}
	cases := []struct{ name, body, reason string }{
		{"long messageID", msg(strings.Repeat("m", 300), "u1", "Ann", "hi", "a"), "messageID is longer than 255 bytes"},
		{"long externalID", msg("m1", strings.Repeat("u", 10000), "Ann", "hi", "a"), "sender.externalID is longer than 512 bytes"},
		{"long name", msg("m1", "u1", strings.Repeat("客", 256), "hi", "a"), "sender.name is longer than 255 characters"},
		{"NUL in text", msg("m1", "u1", "Ann", "h\u0000i", "a"), "text contains a NUL character"},
		{"NUL in name", msg("m1", "u1", "A\u0000nn", "hi", "a"), "sender.name contains a NUL character"},
		{"NUL in messageID", msg("m\u00001", "u1", "Ann", "hi", "a"), "messageID contains a NUL character"},
		{"NUL in attachment", msg("m1", "u1", "Ann", "hi", "a\u0000"), "attachments[0].name contains a NUL character"},
		{"invalid UTF-8 in text", "{\"messageID\":\"m1\",\"sender\":{\"externalID\":\"u1\"},\"text\":\"h\xffi\"}", "text is not valid UTF-8"},
		{"invalid UTF-8 in name", "{\"messageID\":\"m1\",\"sender\":{\"externalID\":\"u1\",\"name\":\"\xc3\"},\"text\":\"hi\"}", "sender.name is not valid UTF-8"},
		{"surrogate in attachment", "{\"messageID\":\"m1\",\"sender\":{\"externalID\":\"u1\"},\"attachments\":[{\"url\":\"https://x/a\"},{\"url\":\"https://x/b\",\"name\":\"\xed\xa0\x80\"}]}",
			"attachments[1].name is not valid UTF-8"},
		{"invalid UTF-8 in a long key", "{\"messageID\":\"m1\",\"sender\":{\"externalID\":\"u1\"},\"text\":\"hi\",\"" + strings.Repeat("k", 100) + "\xff\":1}",
			strings.Repeat("k", 64) + "… is not valid UTF-8"},
		{"invalid UTF-8 in a key", "{\"messageID\":\"m1\",\"sender\":{\"externalID\":\"u1\",\"n\xffme\":\"A\"},\"text\":\"hi\"}", "sender.n\uFFFDme is not valid UTF-8"},
	}
	for _, c := range cases {
		_, err := New().Receive(context.Background(), config(""), signed(c.body, clock), []byte(c.body))
		var e *channels.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Reason != c.reason {
			t.Errorf("%s: err = %v, want 400 %q", c.name, err, c.reason)
		}
	}
	atLimits := msg(strings.Repeat("m", 255), strings.Repeat("u", 512), strings.Repeat("客", 255), strings.Repeat("x", 65536), "a")
	d, err := New().Receive(context.Background(), config(""), signed(atLimits, clock), []byte(atLimits))
	if err != nil || len(d.Messages[0].ProviderMessageID) != 255 || d.Messages[0].Metadata != nil {
		t.Fatalf("at the limits: %v", err)
	}
}

// integrator is a fake callback endpoint that checks signatures itself.
type integrator struct {
	t      *testing.T
	status int
	answer string
	got    map[string]any
	header http.Header
}

func (f *integrator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get("X-Switchboard-Timestamp")
	if !hmac.Equal([]byte(r.Header.Get("X-Switchboard-Signature")), []byte(signature(testSecret, ts, body))) {
		f.t.Errorf("bad signature %q", r.Header.Get("X-Switchboard-Signature"))
	}
	if ts != strconv.FormatInt(clock.Unix(), 10) {
		f.t.Errorf("timestamp = %q", ts)
	}
	f.header = r.Header
	f.got = nil
	if err := json.Unmarshal(body, &f.got); err != nil {
		f.t.Errorf("body %s: %v", body, err)
	}
	w.WriteHeader(f.status)
	io.WriteString(w, f.answer)
}

func outbound() *channels.Outbound {
	return &channels.Outbound{
		DeliveryID: "d1", MessageID: "msg1", ConversationID: "c1",
		Recipient:   channels.Sender{ExternalID: "u1", Name: "Ann"},
		Text:        "hi there",
		Attachments: []channels.Attachment{{URL: "https://x/a.pdf", ContentType: "application/pdf", Name: "a.pdf"}},
		CreatedAt:   time.Date(2025, 3, 1, 11, 59, 0, 0, time.FixedZone("CET", 3600)),
	}
}

func TestSend(t *testing.T) {
	f := &integrator{t: t, status: http.StatusAccepted}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := config(srv.URL + "/hook")

	id, err := New().Send(context.Background(), c, outbound())
	if err != nil || id != "d1" {
		t.Fatalf("Send = %q, %v; want d1", id, err)
	}
	if h := f.header; h.Get("X-Switchboard-Delivery") != "d1" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", h)
	}
	got, _ := json.Marshal(f.got)
	want := `{"conversationID":"c1","deliveryID":"d1","event":"message.created",` +
		`"message":{"attachments":[{"contentType":"application/pdf","name":"a.pdf","url":"https://x/a.pdf"}],` +
		`"createdAt":"2025-03-01T10:59:00Z","id":"msg1","text":"hi there"},"recipient":{"externalID":"u1"}}`
	if string(got) != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}

	f.status, f.answer = http.StatusOK, `{"id":"int-42"}`
	if id, err := New().Send(context.Background(), c, outbound()); err != nil || id != "int-42" {
		t.Errorf("Send with integrator id = %q, %v; want int-42", id, err)
	}
	if f.header.Get("X-Switchboard-Delivery") != "d1" {
		t.Errorf("delivery id changed on retry: %q", f.header.Get("X-Switchboard-Delivery"))
	}
}

func TestSendFailures(t *testing.T) {
	failing := httptest.NewServer(&integrator{t: t, status: http.StatusInternalServerError})
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	noSecret := config(failing.URL)
	noSecret.Secrets = nil
	cases := []struct {
		name      string
		c         *channels.Config
		permanent bool
	}{
		{"500", config(failing.URL), false},
		{"unreachable", config(closed.URL), false},
		{"no callback", config(""), true},
		{"no secret", noSecret, true},
	}
	for _, tc := range cases {
		_, err := New().Send(context.Background(), tc.c, outbound())
		var e *channels.Error
		if !errors.As(err, &e) || e.Permanent != tc.permanent {
			t.Errorf("%s: err = %#v, want permanent=%v", tc.name, err, tc.permanent)
			continue
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("%s: error reveals the secret: %v", tc.name, err)
		}
	}
}

func TestVerify(t *testing.T) {
	var ping map[string]any
	for _, code := range []int{200, 500} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Switchboard-Signature") != signature(testSecret, r.Header.Get("X-Switchboard-Timestamp"), body) {
				t.Errorf("ping not signed")
			}
			json.Unmarshal(body, &ping)
			w.WriteHeader(code)
		}))
		err := New().Verify(context.Background(), config(srv.URL))
		srv.Close()
		if code == 200 && err != nil {
			t.Errorf("200: %v", err)
		}
		if code == 500 && (err == nil || err.Error() != "callback answered 500") {
			t.Errorf("500: err = %v", err)
		}
		if ping["event"] != "ping" || ping["deliveryID"] == "" {
			t.Errorf("ping = %v", ping)
		}
	}

	if err := New().Verify(context.Background(), config("")); err != nil {
		t.Errorf("no callback, secret set: %v", err)
	}
	c := config("")
	c.Secrets = nil
	if err := New().Verify(context.Background(), c); err == nil {
		t.Error("no callback, no secret: want an error")
	}
}

func TestDescribeValidateHandshake(t *testing.T) {
	a := New()
	d := a.Describe()
	if d.Kind != "api" || d.DisplayName != "API" || d.NeedsCredentials ||
		!d.Capabilities.Inbound || !d.Capabilities.Outbound || !d.Capabilities.Attachments || d.Capabilities.MaxLength != 65536 ||
		len(d.Settings) != 2 || d.Settings[0].Name != "callbackURL" || d.Settings[1].Name != "templates" || len(d.Secrets) != 1 || d.Secrets[0].Name != "secret" {
		t.Errorf("Describe = %+v", d)
	}

	ok := map[string]string{"secret": testSecret}
	if err := a.Validate(map[string]any{"callbackURL": "https://example.com/hook"}, ok); err != nil {
		t.Errorf("valid: %v", err)
	}
	if err := a.Validate(nil, nil); err != nil {
		t.Errorf("empty: %v", err)
	}
	bad := []struct {
		settings map[string]any
		secrets  map[string]string
		field    string
	}{
		{map[string]any{"callbackURL": "/relative"}, nil, "callbackURL"},
		{map[string]any{"callbackURL": "ftp://example.com"}, nil, "callbackURL"},
		{map[string]any{"callbackURL": 3}, nil, "callbackURL"},
		{map[string]any{"callbackUrl": "https://example.com"}, nil, "callbackUrl"},
		{nil, map[string]string{"secret": "short"}, "secret"},
		{nil, map[string]string{"secret": testSecret, "token": testSecret}, "token"},
	}
	for _, tc := range bad {
		err := a.Validate(tc.settings, tc.secrets)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("Validate(%v, %v) = %v, want an error naming %s", tc.settings, tc.secrets, err, tc.field)
		}
		if err != nil && tc.secrets == nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("settings error mentions secret (would be attributed to secrets): %v", err)
		}
	}

	if _, handled, err := a.Handshake(context.Background(), config(""), httptest.NewRequest("GET", "/", nil)); handled || err != nil {
		t.Errorf("Handshake = %v, %v; want not handled", handled, err)
	}
}

// TestReceiveKeepsExtras: fields outside the wire format, in the body and
// in the sender, are accepted and kept under Metadata["extra"], numbers as
// sent; a body without any has no metadata.
func TestReceiveKeepsExtras(t *testing.T) {
	body := `{"messageID":"m1","sender":{"externalID":"u1","Name":"Ann","age":3},"text":"hi","order":{"id":"SO-1","total":12.50},"Text2":"x"}`
	d, err := New().Receive(context.Background(), config(""), signed(body, clock), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(d.Messages[0].Metadata)
	want := `{"extra":{"Text2":"x","order":{"id":"SO-1","total":12.50},"sender":{"age":3}}}`
	if string(got) != want || d.Messages[0].Sender.Name != "Ann" {
		t.Fatalf("metadata %s (sender %+v), want %s", got, d.Messages[0].Sender, want)
	}
	plain := `{"messageID":"m2","sender":{"externalID":"u1"},"text":"hi"}`
	d, err = New().Receive(context.Background(), config(""), signed(plain, clock), []byte(plain))
	if err != nil || d.Messages[0].Metadata != nil {
		t.Fatalf("plain body: metadata %v, err %v", d.Messages[0].Metadata, err)
	}
}
