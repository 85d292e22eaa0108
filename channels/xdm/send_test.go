package xdm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/xdm"
	"github.com/switchboard/switchboard/channels/xdm/xdmtest"
)

func out(text string) *channels.Outbound {
	return &channels.Outbound{DeliveryID: "d1", MessageID: "m1", Recipient: channels.Sender{ExternalID: xdmtest.CustomerID}, Text: text}
}

func TestSendRequest(t *testing.T) {
	f := xdmtest.New(t)
	id, err := xdm.New().Send(context.Background(), f.Config(t), out("Your order ships today ✓"))
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	raw := f.Raw()
	if len(raw) != 1 {
		t.Fatalf("sends = %d", len(raw))
	}
	if raw[0].Participant != xdmtest.CustomerID || raw[0].Header.Get("Authorization") != "Bearer "+xdmtest.AccessToken {
		t.Errorf("sent to %s with %q", raw[0].Participant, raw[0].Header.Get("Authorization"))
	}
	var body map[string]any
	if err := json.Unmarshal(raw[0].Body, &body); err != nil || len(body) != 1 || body["text"] != "Your order ships today ✓" {
		t.Errorf("body = %s", raw[0].Body)
	}
}

func TestSendErrors(t *testing.T) {
	f := xdmtest.New(t)
	now := time.Date(2026, 11, 29, 6, 0, 0, 500e6, time.UTC)
	f.SetNow(func() time.Time { return now })
	c := f.Config(t)
	a := xdm.New()

	// 429: wait until x-rate-limit-reset (whole seconds, the fake rounds
	// 90 s from now up to the next second) and one more.
	f.AnswerHTTP(http.StatusTooManyRequests, 90*time.Second)
	_, err := a.Send(context.Background(), c, out("x"))
	reset := now.Add(90 * time.Second).Truncate(time.Second).Add(time.Second)
	if got, want := channels.RetryAfterOf(err), reset.Sub(now)+time.Second; got != want || channels.IsPermanent(err) {
		t.Errorf("429 = %v (retry after %v), want a retry after %v", err, got, want)
	}
	for _, tc := range []struct {
		status                 int
		permanent, credentials bool
	}{
		{http.StatusUnauthorized, true, true},
		{http.StatusForbidden, true, false},
		{http.StatusBadRequest, true, false},
		{http.StatusNotFound, true, false},
		{http.StatusRequestTimeout, false, false},
		{http.StatusInternalServerError, false, false},
		{http.StatusServiceUnavailable, false, false},
	} {
		f.AnswerHTTP(tc.status, 0)
		_, err := a.Send(context.Background(), c, out("x"))
		var e *channels.Error
		if !errors.As(err, &e) || e.Permanent != tc.permanent || e.Credentials != tc.credentials || e.RetryAfter != 0 {
			t.Errorf("%d = %#v, want permanent %v, credentials %v", tc.status, err, tc.permanent, tc.credentials)
		}
	}
	// The real token refused by the fake: the credentials.
	c.Secrets = map[string]string{"consumerSecret": xdmtest.ConsumerSecret, "accessToken": "revoked"}
	if _, err := a.Send(context.Background(), c, out("x")); !channels.IsCredentials(err) {
		t.Errorf("a refused token = %v, want CredentialsRefused", err)
	}
	// Not addressable, nothing to send: permanent without calling X.
	c = f.Config(t)
	n := len(f.Raw())
	for _, m := range []*channels.Outbound{
		{Recipient: channels.Sender{ExternalID: "@ada"}, Text: "x"},
		{Recipient: channels.Sender{ExternalID: "42"}, Text: "  "},
	} {
		if _, err := a.Send(context.Background(), c, m); !channels.IsPermanent(err) {
			t.Errorf("Send(%+v) = %v, want permanent", m, err)
		}
	}
	if len(f.Raw()) != n {
		t.Errorf("X was called for an unsendable message")
	}
	// X unreachable: transient.
	c.Settings = map[string]any{"accountID": xdmtest.AccountID, "baseURL": "http://127.0.0.1:1"}
	if _, err := a.Send(context.Background(), c, out("x")); err == nil || channels.IsPermanent(err) {
		t.Errorf("unreachable = %v, want transient", err)
	}
}

func TestVerify(t *testing.T) {
	f := xdmtest.New(t)
	a := xdm.New()
	if err := a.Verify(context.Background(), f.Config(t)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	c := f.Config(t)
	c.Settings["accountID"] = "12345"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "not to account 12345") {
		t.Errorf("another account = %v", err)
	}
	c = f.Config(t)
	c.Secrets["accessToken"] = "wrong"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "refused the access token") {
		t.Errorf("wrong token = %v", err)
	}
}

func TestValidate(t *testing.T) {
	f := xdmtest.New(t)
	a := xdm.New()
	if err := a.Validate(f.Settings(), f.Secrets()); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, tc := range []struct {
		settings map[string]any
		secrets  map[string]string
		field    string
		secret   bool
	}{
		{map[string]any{"accountID": "@acme"}, f.Secrets(), "accountID", false},
		{map[string]any{}, f.Secrets(), "accountID", false},
		{map[string]any{"accountID": 42}, f.Secrets(), "accountID", false},
		{map[string]any{"accountID": "42", "baseURL": "api.x.com"}, f.Secrets(), "baseURL", false},
		{f.Settings(), map[string]string{"accessToken": "t"}, "consumerSecret", true},
		{f.Settings(), map[string]string{"consumerSecret": "s"}, "accessToken", true},
		{f.Settings(), map[string]string{"consumerSecret": "s", "accessToken": "Bearer t"}, "accessToken", true},
	} {
		var fe *channels.FieldError
		if err := a.Validate(tc.settings, tc.secrets); !errors.As(err, &fe) || fe.Field != tc.field || fe.Secret != tc.secret {
			t.Errorf("Validate(%v, %v) = %v, want an error about %s", tc.settings, tc.secrets, err, tc.field)
		}
	}
}

func TestFetchMedia(t *testing.T) {
	f := xdmtest.New(t)
	a := xdm.New()
	rc, ct, err := a.FetchMedia(context.Background(), f.Config(t), channels.Media{URL: f.MediaURL(), ContentType: "image/jpeg"})
	if err != nil {
		t.Fatalf("FetchMedia: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != xdmtest.MediaBody || ct != "image/jpeg" {
		t.Errorf("media = %q %s", b, ct)
	}
	for _, u := range []string{"https://evil.example/x.jpg", "http://ton.twitter.com/x.jpg", strings.Replace(f.MediaURL(), "https", "http", 1), "::"} {
		if _, _, err := a.FetchMedia(context.Background(), f.Config(t), channels.Media{URL: u}); !channels.IsPermanent(err) {
			t.Errorf("FetchMedia(%s) = %v, want permanent (the token stays with X)", u, err)
		}
	}
	c := f.Config(t)
	c.Secrets["accessToken"] = "wrong"
	if _, _, err := a.FetchMedia(context.Background(), c, channels.Media{URL: f.MediaURL()}); !channels.IsPermanent(err) {
		t.Errorf("refused = %v, want permanent", err)
	}
}
