package smstwilio_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/smstwilio"
	"github.com/switchboard/switchboard/channels/smstwilio/twiliotest"
)

var customer = channels.Sender{ExternalID: "+14155550123", Phone: "+14155550123"}

func TestSendForm(t *testing.T) {
	f := twiliotest.New(t)
	c := f.Config(nil)
	c.Settings["messagingServiceSID"] = "MG0123456789abcdef0123456789abcdef"
	id, err := smstwilio.New().Send(context.Background(), c, &channels.Outbound{Recipient: customer, Text: "Your parcel",
		Attachments: []channels.Attachment{{URL: "https://sb.example.com/files/a?sig=1", ContentType: "image/png"}}})
	if err != nil || !strings.HasPrefix(id, "SM") {
		t.Fatalf("Send = %q, %v", id, err)
	}
	m := f.Messages()
	if len(m) != 1 || m[0].To != "+14155550123" || m[0].From != twiliotest.FromNumber || m[0].MessagingServiceSid != "MG0123456789abcdef0123456789abcdef" ||
		m[0].Body != "Your parcel" || m[0].StatusCallback != twiliotest.WebhookURL || len(m[0].MediaURLs) != 1 || m[0].MediaURLs[0] != "https://sb.example.com/files/a?sig=1" {
		t.Fatalf("sent %+v", m)
	}
	// Refused before calling Twilio.
	for name, o := range map[string]*channels.Outbound{
		"not a number": {Recipient: channels.Sender{ExternalID: "bob"}, Text: "x"},
		"too long":     {Recipient: customer, Text: strings.Repeat("é", smstwilio.MaxLength+1)},
		"empty":        {Recipient: customer},
	} {
		if _, err := smstwilio.New().Send(context.Background(), c, o); !channels.IsPermanent(err) {
			t.Errorf("%s: %v, want permanent", name, err)
		}
	}
	if len(f.Messages()) != 1 {
		t.Fatalf("%d sends", len(f.Messages()))
	}
}

func TestSendErrors(t *testing.T) {
	f := twiliotest.New(t)
	for _, tc := range []struct {
		status, code     int
		permanent, creds bool
		retryAfter       time.Duration
	}{
		{400, 21211, true, false, 0},
		{400, 21610, true, false, 0},
		{400, 21408, true, false, 0},
		{401, 20003, true, true, 0},
		{429, 20429, false, false, 5 * time.Second},
		{500, 20500, false, false, 0},
		{503, 0, false, false, 0},
	} {
		f.AnswerError(tc.status, tc.code, "told")
		_, err := smstwilio.New().Send(context.Background(), f.Config(nil), &channels.Outbound{Recipient: customer, Text: "x"})
		if err == nil || channels.IsPermanent(err) != tc.permanent || channels.IsCredentials(err) != tc.creds || channels.RetryAfterOf(err) != tc.retryAfter {
			t.Errorf("HTTP %d code %d: %v (permanent %v, credentials %v, retry after %v)", tc.status, tc.code, err,
				channels.IsPermanent(err), channels.IsCredentials(err), channels.RetryAfterOf(err))
		}
	}
}

func TestVerify(t *testing.T) {
	f := twiliotest.New(t)
	if err := smstwilio.New().Verify(context.Background(), f.Config(nil)); err != nil || f.AccountCalls() != 1 {
		t.Fatalf("Verify: %v after %d account calls", err, f.AccountCalls())
	}
	c := f.Config(nil)
	c.Secrets["authToken"] = "00000000000000000000000000000000"
	if err := smstwilio.New().Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "20003") {
		t.Fatalf("Verify with a wrong token: %v", err)
	}
}

func TestFetchMedia(t *testing.T) {
	f := twiliotest.New(t)
	msg, me := twiliotest.SID("MM", "m"), twiliotest.SID("ME", "m")
	f.AddMedia(msg, me, "image/gif", []byte("GIF89a"))
	a := smstwilio.New()
	body, ct, err := a.FetchMedia(context.Background(), f.Config(nil), channels.Media{ID: me, URL: "https://api.twilio.com" + twiliotest.MediaPath(msg, me)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "GIF89a" || ct != "image/gif" || f.MediaCalls() != 1 {
		t.Fatalf("fetched %q %s", b, ct)
	}
	// The credentials go to no other host and no other account.
	for _, link := range []string{
		"https://evil.example.com" + twiliotest.MediaPath(msg, me),
		"https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/" + msg + "/Media/" + me,
		"https://api.twilio.com/2010-04-01/Accounts/" + twiliotest.AccountSID + "/../../x",
		"ftp://api.twilio.com" + twiliotest.MediaPath(msg, me),
	} {
		if _, _, err := a.FetchMedia(context.Background(), f.Config(nil), channels.Media{URL: link}); !channels.IsPermanent(err) {
			t.Errorf("%s: %v, want permanent", link, err)
		}
	}
	if _, _, err := a.FetchMedia(context.Background(), f.Config(nil), channels.Media{URL: "https://api.twilio.com" + twiliotest.MediaPath(msg, "ME00000000000000000000000000000000")}); !channels.IsPermanent(err) {
		t.Errorf("missing media: %v, want permanent", err)
	}
	if f.Refused() != 0 || f.MediaCalls() != 1 {
		t.Fatalf("%d refused, %d downloads", f.Refused(), f.MediaCalls())
	}
}

func TestValidate(t *testing.T) {
	a := smstwilio.New()
	ok := map[string]any{"accountSID": twiliotest.AccountSID, "fromNumber": twiliotest.FromNumber}
	secrets := map[string]string{"authToken": twiliotest.AuthToken}
	if err := a.Validate(ok, secrets); err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(map[string]any{"accountSID": twiliotest.AccountSID, "messagingServiceSID": "MG0123456789abcdef0123456789abcdef"}, secrets); err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{"accountSID": twiliotest.AccountSID, "fromNumber": twiliotest.FromNumber}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, tc := range map[string]struct {
		settings map[string]any
		secrets  map[string]string
		field    string
	}{
		"no account":      {with("accountSID", nil), secrets, "accountSID"},
		"account SK":      {with("accountSID", "SK0123456789abcdef0123456789abcdef"), secrets, "accountSID"},
		"no sender":       {with("fromNumber", nil), secrets, "fromNumber"},
		"number national": {with("fromNumber", "4155550100"), secrets, "fromNumber"},
		"service PN":      {with("messagingServiceSID", "PN0123456789abcdef0123456789abcdef"), secrets, "messagingServiceSID"},
		"base URL path":   {with("baseURL", "https://api.twilio.com/2010-04-01"), secrets, "baseURL"},
		"unknown":         {with("region", "us1"), secrets, "region"},
		"no token":        {ok, map[string]string{}, "authToken"},
		"short token":     {ok, map[string]string{"authToken": "abc"}, "authToken"},
		"unknown secret":  {ok, map[string]string{"authToken": twiliotest.AuthToken, "apiKey": "x"}, "apiKey"},
	} {
		err := a.Validate(tc.settings, tc.secrets)
		fe, isField := err.(*channels.FieldError)
		if !isField || fe.Field != tc.field {
			t.Errorf("%s: %v, want a FieldError about %s", name, err, tc.field)
		}
	}
}
