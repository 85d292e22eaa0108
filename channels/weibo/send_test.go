package weibo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/weibo"
	"github.com/switchboard/switchboard/channels/weibo/weibotest"
)

func outbound(text string) *channels.Outbound {
	return &channels.Outbound{DeliveryID: "dlv-1", MessageID: "msg-1", Recipient: channels.Sender{ExternalID: weibotest.Fan}, Text: text}
}

// TestSendRequest: the reply is the spec's form, read here without the
// fake: access_token, type=text, data={"text":...} and receiver_id.
func TestSendRequest(t *testing.T) {
	var (
		mu   sync.Mutex
		got  url.Values
		path string
	)
	answer := `{"result":true}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		path = r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type")
		got, _ = url.ParseQuery(string(b))
		_, _ = io.WriteString(w, answer)
	}))
	defer srv.Close()
	c := &channels.Config{Settings: map[string]any{"baseURL": srv.URL + "/"}, Secrets: map[string]string{"appSecret": "s", "accessToken": "TOKEN&1"}, HTTP: srv.Client()}
	id, err := weibo.New().Send(context.Background(), c, outbound(`说 "hi" & bye`))
	if err != nil || id != "dlv-1" {
		t.Fatalf("Send = %q, %v; want the delivery id when Weibo names none", id, err)
	}
	mu.Lock()
	if path != "POST /2/messages/reply.json application/x-www-form-urlencoded" || got.Get("access_token") != "TOKEN&1" ||
		got.Get("type") != "text" || got.Get("receiver_id") != weibotest.Fan || got.Get("data") != `{"text":"说 \"hi\" \u0026 bye"}` {
		t.Fatalf("request %s %v", path, got)
	}
	answer = `{"id":4123456789012345678,"idstr":""}`
	mu.Unlock()
	if id, err := weibo.New().Send(context.Background(), c, outbound("x")); err != nil || id != "4123456789012345678" {
		t.Fatalf("numeric id: %q, %v", id, err)
	}
	mu.Lock()
	answer = `{"id":1,"idstr":"4123456789012345679"}`
	mu.Unlock()
	if id, err := weibo.New().Send(context.Background(), c, outbound("x")); err != nil || id != "4123456789012345679" {
		t.Fatalf("idstr: %q, %v", id, err)
	}
	for name, m := range map[string]*channels.Outbound{
		"not a uid": {DeliveryID: "d", Recipient: channels.Sender{ExternalID: "alice"}, Text: "x"},
		"template":  {DeliveryID: "d", Recipient: channels.Sender{ExternalID: "1"}, Template: &channels.TemplateMessage{ID: "t"}},
		"empty":     {DeliveryID: "d", Recipient: channels.Sender{ExternalID: "1"}, Text: " "},
	} {
		if _, err := weibo.New().Send(context.Background(), c, m); !channels.IsPermanent(err) {
			t.Errorf("%s: %v, want permanent", name, err)
		}
	}
}

// TestSendErrors: Weibo's error codes map to what the outbox does.
func TestSendErrors(t *testing.T) {
	f := weibotest.NewFake(t)
	c := f.Config(t)
	for _, tc := range []struct {
		status, code int
		permanent    bool
		retryAfter   time.Duration
		reason       string
	}{
		{http.StatusUnauthorized, 21327, true, 0, "renew"},
		{http.StatusForbidden, 21332, true, 0, "renew"},
		{http.StatusForbidden, 21315, true, 0, "renew"},
		{http.StatusForbidden, 10023, false, 10 * time.Minute, "rate limit"},
		{http.StatusForbidden, 10024, false, 10 * time.Minute, "rate limit"},
		{http.StatusInternalServerError, 10001, false, 0, "10001"},
		{http.StatusServiceUnavailable, 0, false, 0, "503"},
		{http.StatusOK, 10009, false, 0, "10009"},
		{http.StatusBadRequest, 20003, true, 0, "20003"},
	} {
		f.AnswerError(tc.status, tc.code, "error text")
		_, err := weibo.New().Send(context.Background(), c, outbound("hello"))
		var e *channels.Error
		if !asError(err, &e) || e.Permanent != tc.permanent || e.RetryAfter != tc.retryAfter || !strings.Contains(e.Error(), tc.reason) ||
			e.Credentials != (tc.reason == "renew") {
			t.Errorf("HTTP %d error_code %d: %v (permanent %v, retry after %v)", tc.status, tc.code, err, channels.IsPermanent(err), channels.RetryAfterOf(err))
		}
		if err != nil && strings.Contains(err.Error(), weibotest.AccessToken) {
			t.Errorf("the error shows the access token: %v", err)
		}
	}
	// Unreachable: transient, without the token the URL carries.
	c.Settings["baseURL"] = "http://127.0.0.1:1"
	_, err := weibo.New().Send(context.Background(), c, outbound("hello"))
	if err == nil || channels.IsPermanent(err) || strings.Contains(err.Error(), weibotest.AccessToken) {
		t.Fatalf("unreachable: %v", err)
	}
}

func asError(err error, e **channels.Error) bool {
	ce, ok := err.(*channels.Error)
	*e = ce
	return ok
}

func TestVerify(t *testing.T) {
	f := weibotest.NewFake(t)
	a := weibo.New()
	if err := a.Verify(context.Background(), f.Config(t)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	c := f.Config(t)
	c.Secrets["accessToken"] = "wrong-token-value"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "renew") || strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("wrong token: %v", err)
	}
	c = f.Config(t)
	c.Settings["uid"] = "5000000002"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), weibotest.UID) {
		t.Fatalf("token of another account: %v", err)
	}
	c = f.Config(t)
	c.Settings["apiBaseURL"] = "http://127.0.0.1:1"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestFetchMedia(t *testing.T) {
	f := weibotest.NewFake(t)
	a := weibo.New()
	body, ct, err := a.FetchMedia(context.Background(), f.Config(t), channels.Media{ID: weibotest.ImageFID})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if ct != "image/jpeg" || string(b) != string(weibotest.Image) {
		t.Fatalf("fetched %q %q", ct, b)
	}
	if _, _, err := a.FetchMedia(context.Background(), f.Config(t), channels.Media{ID: "1"}); !channels.IsPermanent(err) {
		t.Fatalf("unknown file: %v", err)
	}
	c := f.Config(t)
	c.Secrets["accessToken"] = "wrong"
	if _, _, err := a.FetchMedia(context.Background(), c, channels.Media{ID: weibotest.ImageFID}); !channels.IsPermanent(err) {
		t.Fatalf("wrong token: %v", err)
	}
	if f.Fetches() != 1 {
		t.Fatalf("fetches %d", f.Fetches())
	}
}

func TestDescribe(t *testing.T) {
	d := weibo.New().Describe()
	b, _ := json.Marshal(d.Capabilities)
	if d.Kind != "weibo" || d.Capabilities.ReplyWindow != 48*time.Hour || d.Capabilities.Attachments || d.Capabilities.Templates {
		t.Fatalf("capabilities %s", b)
	}
	for _, fl := range append(d.Settings, d.Secrets...) {
		if fl.Label == "" || fl.Description == "" || fl.Type == "" {
			t.Errorf("field %s lacks a label, description or type", fl.Name)
		}
	}
}
