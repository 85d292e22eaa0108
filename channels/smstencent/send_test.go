package smstencent_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/smstencent"
	"github.com/switchboard/switchboard/channels/smstencent/smstencenttest"
)

func shipped(to string) *channels.Outbound {
	return &channels.Outbound{DeliveryID: "delivery-1", Recipient: channels.Sender{ExternalID: to, Phone: to},
		Template: &channels.TemplateMessage{ID: smstencenttest.TemplateID, Params: map[string]any{"name": "Dana", "order": 17.0}}}
}

type outcome struct {
	permanent   bool
	credentials bool          // the channel's credentials were refused
	retry       time.Duration // exact RetryAfter
}

// TestSendOutcomes: each answer Tencent may give maps to what the outbox
// should do, after exactly one request.
func TestSendOutcomes(t *testing.T) {
	// 23:30 in Beijing: a daily limit resets in 30 minutes.
	at := time.Date(2025, 3, 1, 23, 30, 0, 0, time.FixedZone("CST", 8*3600))
	cases := []struct {
		name   string
		answer func(f *smstencenttest.Fake)
		want   outcome
	}{
		{"30 s limit", func(f *smstencenttest.Fake) { f.AnswerCode("LimitExceeded.PhoneNumberThirtySecondLimit") }, outcome{retry: 30 * time.Second}},
		{"hour limit", func(f *smstencenttest.Fake) { f.AnswerCode("LimitExceeded.PhoneNumberOneHourLimit") }, outcome{retry: time.Hour}},
		{"number's daily limit", func(f *smstencenttest.Fake) { f.AnswerCode("LimitExceeded.PhoneNumberDailyLimit") }, outcome{retry: 30 * time.Minute}},
		{"app's daily limit", func(f *smstencenttest.Fake) { f.AnswerCode("LimitExceeded.AppDailyLimit") }, outcome{retry: 30 * time.Minute}},
		{"other limit", func(f *smstencenttest.Fake) { f.AnswerCode("LimitExceeded.DeliveryFrequencyLimit") }, outcome{retry: time.Minute}},
		{"incorrect number", func(f *smstencenttest.Fake) { f.AnswerCode("InvalidParameterValue.IncorrectPhoneNumber") }, outcome{permanent: true}},
		{"blacklisted", func(f *smstencenttest.Fake) { f.AnswerCode("FailedOperation.PhoneNumberInBlacklist") }, outcome{permanent: true}},
		{"per-number internal error", func(f *smstencenttest.Fake) { f.AnswerCode("InternalError.Timeout") }, outcome{}},
		{"unknown secret id", func(f *smstencenttest.Fake) { f.AnswerError("AuthFailure.SecretIdNotFound") }, outcome{permanent: true, credentials: true}},
		{"signature refused", func(f *smstencenttest.Fake) { f.AnswerError("AuthFailure.SignatureFailure") }, outcome{permanent: true, credentials: true}},
		{"clock skew", func(f *smstencenttest.Fake) { f.AnswerError("AuthFailure.SignatureExpire") }, outcome{}},
		{"API rate", func(f *smstencenttest.Fake) { f.AnswerError("RequestLimitExceeded") }, outcome{retry: 5 * time.Second}},
		{"API rate per account", func(f *smstencenttest.Fake) { f.AnswerError("RequestLimitExceeded.UinLimitExceeded") }, outcome{retry: 5 * time.Second}},
		{"internal error", func(f *smstencenttest.Fake) { f.AnswerError("InternalError") }, outcome{}},
		{"bad template", func(f *smstencenttest.Fake) { f.AnswerError("FailedOperation.TemplateIncorrectOrUnapproved") }, outcome{permanent: true}},
		{"app not the account's", func(f *smstencenttest.Fake) { f.AnswerError("UnauthorizedOperation.SmsSdkAppIdVerifyFail") }, outcome{permanent: true, credentials: true}},
		{"gateway 502", func(f *smstencenttest.Fake) { f.AnswerHTTP(502) }, outcome{}},
		{"HTTP 429", func(f *smstencenttest.Fake) { f.AnswerHTTP(429) }, outcome{retry: 5 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := smstencenttest.New(t)
			f.SetNow(func() time.Time { return at })
			tc.answer(f)
			id, err := smstencent.New().Send(context.Background(), f.Config(t), shipped("+8613800138000"))
			var ce *channels.Error
			if !errors.As(err, &ce) || id != "" {
				t.Fatalf("Send = %q, %v; want a *channels.Error", id, err)
			}
			if ce.Permanent != tc.want.permanent || ce.RetryAfter != tc.want.retry || ce.Credentials != tc.want.credentials {
				t.Errorf("Send = %+v (%v), want %+v", ce, err, tc.want)
			}
			if n := len(f.Requests()); n != 1 || f.Refused() != 0 {
				t.Errorf("%d requests, %d refused; want one accepted (no retry inside Send)", n, f.Refused())
			}
		})
	}
}

// TestSendBody: the body names the number, app, template, sign, the
// parameters in the template's order as strings, and the delivery id.
func TestSendBody(t *testing.T) {
	f := smstencenttest.New(t)
	id, err := smstencent.New().Send(context.Background(), f.Config(t), shipped("+8613800138000"))
	if err != nil || !strings.HasPrefix(id, "2433:") {
		t.Fatalf("Send = %q, %v", id, err)
	}
	b := f.SendBodies()[0]
	if strings.Join(b.PhoneNumberSet, ",") != "+8613800138000" || b.SmsSdkAppId != smstencenttest.SdkAppID ||
		b.TemplateId != smstencenttest.TemplateID || b.SignName != smstencenttest.SignName ||
		strings.Join(b.TemplateParamSet, "|") != "Dana|17" || b.SessionContext != "delivery-1" {
		t.Errorf("SendSms body %+v", b)
	}
	if r := f.Requests()[0]; r.Header.Get("X-TC-Region") != smstencenttest.Region {
		t.Errorf("region header %q", r.Header.Get("X-TC-Region"))
	}
}

// TestSendRefusedBeforeAsking: what Tencent could never send fails for
// good without a request.
func TestSendRefusedBeforeAsking(t *testing.T) {
	f := smstencenttest.New(t)
	free := shipped("+8613800138000")
	free.Template, free.Text = nil, "free text"
	unknown := shipped("+8613800138000")
	unknown.Template.ID = "999"
	missing := shipped("+8613800138000")
	delete(missing.Template.Params, "order")
	for name, m := range map[string]*channels.Outbound{
		"free text": free, "unknown template": unknown, "missing parameter": missing,
		"not E.164": shipped("13800138000"), "a name": shipped("conf-user-1"),
	} {
		if _, err := smstencent.New().Send(context.Background(), f.Config(t), m); !channels.IsPermanent(err) {
			t.Errorf("%s: Send = %v, want a permanent error", name, err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests reached Tencent", n)
	}
}

// TestSendClockSkew: a clock 10 minutes off is refused by Tencent as
// expired, which may pass once the clock is fixed: not permanent.
func TestSendClockSkew(t *testing.T) {
	f := smstencenttest.New(t)
	c := f.Config(t)
	c.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	_, err := smstencent.New().Send(context.Background(), c, shipped("+8613800138000"))
	if err == nil || channels.IsPermanent(err) || f.Refused() != 1 || !strings.Contains(err.Error(), "SignatureExpire") {
		t.Fatalf("Send with a skewed clock = %v (refused %d)", err, f.Refused())
	}
}

func TestVerify(t *testing.T) {
	f := smstencenttest.New(t)
	a := smstencent.New()
	if err := a.Verify(context.Background(), f.Config(t)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	r := f.Requests()
	if len(r) != 1 || r[0].Header.Get("X-TC-Action") != "SendStatusStatistics" || !strings.Contains(string(r[0].Body), `"SmsSdkAppId":"1400000001","Limit":0,"Offset":0`) {
		t.Fatalf("requests %+v", r)
	}
	for name, tc := range map[string]struct {
		change func(c *channels.Config)
		want   string
	}{
		"wrong key":     {func(c *channels.Config) { c.Secrets["secretKey"] += "x" }, "secretKey does not match"},
		"wrong id":      {func(c *channels.Config) { c.Secrets["secretID"] += "x" }, "secretID does not exist"},
		"wrong app":     {func(c *channels.Config) { c.Settings["sdkAppID"] = "1400000002" }, "sdkAppID"},
		"skewed clock":  {func(c *channels.Config) { c.Now = func() time.Time { return time.Now().Add(-time.Hour) } }, "clock"},
		"no such host":  {func(c *channels.Config) { c.Settings["baseURL"] = "http://127.0.0.1:1" }, "unreachable"},
		"no secret key": {func(c *channels.Config) { delete(c.Secrets, "secretKey") }, "required"},
	} {
		c := f.Config(t)
		tc.change(c)
		if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Verify = %v, want it to say %q", name, err, tc.want)
		}
	}
}
