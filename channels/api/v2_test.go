package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
)

func TestReceiveStatuses(t *testing.T) {
	body := `{"event":"message.status","statuses":[{"messageID":"p1","status":"DELIVERED","timestamp":"2025-03-01T11:00:00Z"},` +
		`{"messageID":"p2","status":"FAILED","reason":"blocked"}]}`
	d, err := New().Receive(context.Background(), config(""), signed(body, clock), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []channels.Receipt{
		{ProviderMessageID: "p1", Status: channels.StatusDelivered, Time: time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC)},
		{ProviderMessageID: "p2", Status: channels.StatusFailed, Reason: "blocked", Time: clock},
	}
	got, _ := json.Marshal(d.Receipts)
	w, _ := json.Marshal(want)
	if string(got) != string(w) || len(d.Messages) != 0 {
		t.Errorf("receipts = %s, want %s", got, w)
	}
	if resp := d.Respond(nil); resp.Status != 200 || string(resp.Body) != `{"ok":true}` {
		t.Errorf("answer = %d %s", resp.Status, resp.Body)
	}
}

func TestReceiveEventField(t *testing.T) {
	body := `{"event":"message","messageID":"m1","sender":{"externalID":"u1"},"text":"hi"}`
	d, err := New().Receive(context.Background(), config(""), signed(body, clock), []byte(body))
	if err != nil || len(d.Messages) != 1 || d.Messages[0].Metadata != nil {
		t.Fatalf(`"event":"message": %+v, %v; want a message without extras`, d, err)
	}
	cases := map[string]string{
		`{"event":"message.deleted"}`:                                                     `unknown event "message.deleted"`,
		`{"event":"message.status","messageID":"p1","status":"LOST"}`:                     "status must be SENT, DELIVERED, READ or FAILED",
		`{"event":"message.status","statuses":[{"messageID":"p1","status":"READ"},{}]}`:   "statuses[1].messageID is required",
		`{"event":"message.status","messageID":"p1","status":"READ","statuses":[]}`:       "a status request has either messageID and status or statuses, not both",
		`{"event":"message.status","messageID":"p1","status":"READ","timestamp":"today"}`: "timestamp must be an RFC 3339 time",
	}
	for body, reason := range cases {
		_, err := New().Receive(context.Background(), config(""), signed(body, clock), []byte(body))
		var e *channels.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Reason != reason {
			t.Errorf("%s: err = %v, want 400 %q", body, err, reason)
		}
	}
}

func TestSendV2Fields(t *testing.T) {
	f := &integrator{t: t, status: http.StatusOK}
	srv := httptest.NewServer(f)
	defer srv.Close()
	m := outbound()
	m.Attachments = nil
	m.ReplyTo, m.ThreadKey = "m9", "tk1"
	m.Template = &channels.TemplateMessage{ID: "tpl1", Language: "en", Params: map[string]any{"name": "Ann"}}
	if _, err := New().Send(context.Background(), config(srv.URL), m); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(f.got)
	want := `{"conversationID":"c1","deliveryID":"d1","event":"message.created",` +
		`"message":{"attachments":[],"createdAt":"2025-03-01T10:59:00Z","id":"msg1","replyTo":"m9",` +
		`"template":{"id":"tpl1","language":"en","params":{"name":"Ann"}},"text":"hi there","threadKey":"tk1"},` +
		`"recipient":{"externalID":"u1"}}`
	if string(got) != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
}

func TestSendAnswers(t *testing.T) {
	date := clock.Add(90 * time.Second).Format(http.TimeFormat)
	cases := []struct {
		status     int
		retryAfter string
		permanent  bool
		wait       time.Duration
	}{
		{429, "7", false, 7 * time.Second},
		{503, date, false, 90 * time.Second},
		{429, "", false, 0},
		{429, "soon", false, 0},
		{503, "999999999", false, 24 * time.Hour},
		{408, "", false, 0},
		{500, "30", false, 0},
		{502, "", false, 0},
		{400, "", true, 0},
		{404, "", true, 0},
		{422, "", true, 0},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c.retryAfter != "" {
				w.Header().Set("Retry-After", c.retryAfter)
			}
			w.WriteHeader(c.status)
		}))
		_, err := New().Send(context.Background(), config(srv.URL), outbound())
		srv.Close()
		name := fmt.Sprintf("%d Retry-After %q", c.status, c.retryAfter)
		var e *channels.Error
		if !errors.As(err, &e) || e.Permanent != c.permanent || channels.RetryAfterOf(err) != c.wait {
			t.Errorf("%s: err = %#v, want permanent=%v wait=%v", name, err, c.permanent, c.wait)
		}
		if c.permanent && !strings.Contains(err.Error(), fmt.Sprintf("callback refused the message: %d", c.status)) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestTemplates(t *testing.T) {
	tpl := func(fields string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(fields), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	good := tpl(`{"id":"t1","name":"Shipped","language":"en","params":["name","order"],"body":"Hi {{name}}, {{order}} shipped"}`)
	settings := map[string]any{"templates": []any{good, tpl(`{"id":"t2","name":"Plain"}`)}}
	if err := New().Validate(settings, nil); err != nil {
		t.Fatalf("valid templates: %v", err)
	}
	c := config("")
	c.Settings = settings
	got, err := New().Templates(context.Background(), c)
	if err != nil || len(got) != 2 || got[0].Params[1] != "order" || got[1].Params == nil {
		t.Fatalf("Templates = %+v, %v", got, err)
	}
	bad := map[string]any{
		"not a list":          "t1",
		"no id":               []any{tpl(`{"name":"x"}`)},
		"duplicate id":        []any{good, good},
		"no name":             []any{tpl(`{"id":"t1"}`)},
		"bad param":           []any{tpl(`{"id":"t1","name":"x","params":["a b"]}`)},
		"duplicate param":     []any{tpl(`{"id":"t1","name":"x","params":["a","a"]}`)},
		"unknown placeholder": []any{tpl(`{"id":"t1","name":"x","params":["a"],"body":"{{b}}"}`)},
		"spaced placeholder":  []any{tpl(`{"id":"t1","name":"x","params":["a"],"body":"{{ a }}"}`)},
		"unknown field":       []any{tpl(`{"id":"t1","name":"x","colour":"red"}`)},
		"params not strings":  []any{tpl(`{"id":"t1","name":"x","params":[1]}`)},
	}
	for name, v := range bad {
		err := New().Validate(map[string]any{"templates": v}, nil)
		var fe *channels.FieldError
		if !errors.As(err, &fe) || fe.Field != "templates" || fe.Secret || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: Validate = %v, want a FieldError about setting templates", name, err)
		}
	}
}

func TestValidateFieldErrors(t *testing.T) {
	cases := []struct {
		settings map[string]any
		secrets  map[string]string
		field    string
		secret   bool
	}{
		{map[string]any{"callbackURL": "/x"}, nil, "callbackURL", false},
		{map[string]any{"colour": "red"}, nil, "colour", false},
		{nil, map[string]string{"secret": "short"}, "secret", true},
		{nil, map[string]string{"token": testSecret}, "token", true},
	}
	for _, c := range cases {
		var fe *channels.FieldError
		if err := New().Validate(c.settings, c.secrets); !errors.As(err, &fe) || fe.Field != c.field || fe.Secret != c.secret {
			t.Errorf("Validate(%v, %v) = %#v, want a FieldError about %s", c.settings, c.secrets, err, c.field)
		}
	}
	d := New().Describe()
	if d.Settings[0].Type != channels.FieldURL || d.Settings[1].Type != channels.FieldList || d.Secrets[0].Type != channels.FieldSecret ||
		!d.Capabilities.Templates {
		t.Errorf("Describe = %+v", d)
	}
}
