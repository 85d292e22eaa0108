package smstencent_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/smstencent"
	"github.com/switchboard/switchboard/channels/smstencent/smstencenttest"
)

func receive(t *testing.T, c *channels.Config, r *http.Request) (*channels.Delivery, error) {
	t.Helper()
	body, _ := io.ReadAll(r.Body)
	return smstencent.New().Receive(context.Background(), c, r, body)
}

func errStatus(err error) int {
	var ce *channels.Error
	if errors.As(err, &ce) {
		return ce.Status
	}
	return 0
}

// TestReceiveReply: the spec's reply body becomes a message from the
// E.164 number, vouched for by the carrier, answered as Tencent expects.
func TestReceiveReply(t *testing.T) {
	f := smstencenttest.New(t)
	c := f.Config(t)
	body := `{"extend":"01","mobile":"13800138000","nationcode":"86","sign":"腾讯云","text":"收到，谢谢","time":1457336869}`
	d, err := receive(t, c, smstencenttest.Post(smstencenttest.WebhookURL, smstencenttest.CallbackToken, []byte(body)))
	if err != nil || len(d.Messages) != 1 {
		t.Fatalf("Receive = %+v, %v", d, err)
	}
	m := d.Messages[0]
	want := channels.Sender{ExternalID: "+8613800138000", Phone: "+8613800138000", Verified: true}
	if m.Sender != want || m.Text != "收到，谢谢" || !m.Time.Equal(time.Unix(1457336869, 0)) ||
		m.ProviderMessageID != smstencenttest.ReplyID("+8613800138000", 1457336869, "收到，谢谢") ||
		m.Metadata["sign"] != "腾讯云" || m.Metadata["extend"] != "01" {
		t.Fatalf("message %+v", m)
	}
	if resp := d.Respond(nil); resp.Status != 200 || string(resp.Body) != `{"result":0,"errmsg":"OK"}` {
		t.Fatalf("answer %d %s", resp.Status, resp.Body)
	}
	// Unconfirmed form: the time as a string of digits is the same message.
	d2, err := receive(t, c, smstencenttest.Post(smstencenttest.WebhookURL, smstencenttest.CallbackToken,
		[]byte(strings.Replace(body, `1457336869`, `"1457336869"`, 1))))
	if err != nil || d2.Messages[0].ProviderMessageID != m.ProviderMessageID {
		t.Fatalf("string time: %+v, %v", d2, err)
	}
	// The same text from the same number at another time is another message.
	d3, _ := receive(t, c, smstencenttest.Post(smstencenttest.WebhookURL, smstencenttest.CallbackToken,
		[]byte(strings.Replace(body, `1457336869`, `1457336870`, 1))))
	if d3.Messages[0].ProviderMessageID == m.ProviderMessageID {
		t.Fatal("two replies share an id")
	}
}

// TestReceiveStatus: a batch of reports becomes receipts named by sid.
func TestReceiveStatus(t *testing.T) {
	f := smstencenttest.New(t)
	body := `[{"user_receive_time":"2015-10-17 08:03:04","nationcode":"86","mobile":"13800138000","report_status":"SUCCESS","errmsg":"DELIVRD","description":"用户短信送达成功","sid":"2433:1"},
	{"user_receive_time":"2015-10-17 08:03:05","nationcode":"86","mobile":"13800138001","report_status":"FAIL","errmsg":"MK:0001","description":"空号","sid":"2433:2"}]`
	d, err := receive(t, f.Config(t), smstencenttest.Post(smstencenttest.WebhookURL, smstencenttest.CallbackToken, []byte(body)))
	if err != nil || len(d.Receipts) != 2 || len(d.Messages) != 0 {
		t.Fatalf("Receive = %+v, %v", d, err)
	}
	ok, failed := d.Receipts[0], d.Receipts[1]
	if ok.ProviderMessageID != "2433:1" || ok.Status != channels.StatusDelivered || !ok.Time.Equal(time.Date(2015, 10, 17, 0, 3, 4, 0, time.UTC)) {
		t.Errorf("delivered receipt %+v", ok)
	}
	if failed.ProviderMessageID != "2433:2" || failed.Status != channels.StatusFailed || failed.Reason != "MK:0001: 空号" {
		t.Errorf("failed receipt %+v", failed)
	}
}

// TestReceiveWithoutToken: a channel whose callback token was removed
// accepts nothing, even with an empty token in the URL.
func TestReceiveWithoutToken(t *testing.T) {
	f := smstencenttest.New(t)
	c := f.Config(t)
	delete(c.Secrets, "callbackToken")
	body := smstencenttest.Reply("+8613800138000", "hi", 1700000000)
	for _, tok := range []string{"", smstencenttest.CallbackToken} {
		r := smstencenttest.Post(smstencenttest.WebhookURL, tok, body)
		if r.URL.RawQuery == "" {
			r.URL.RawQuery = "token="
		}
		if d, err := receive(t, c, r); errStatus(err) != 401 || d != nil {
			t.Errorf("token %q: Receive = %v, %v; want 401", tok, d, err)
		}
	}
}

func TestValidate(t *testing.T) {
	f := smstencenttest.New(t)
	a := smstencent.New()
	good := f.Config(t)
	if err := a.Validate(good.Settings, good.Secrets); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for name, tc := range map[string]struct {
		setting, secret string
		value           any
	}{
		"sdkAppID letters":      {setting: "sdkAppID", value: "abc"},
		"sdkAppID missing":      {setting: "sdkAppID", value: nil},
		"sdkAppID a number":     {setting: "sdkAppID", value: 1400000001.0},
		"signName empty":        {setting: "signName", value: " "},
		"region":                {setting: "region", value: "Guangzhou"},
		"baseURL scheme":        {setting: "baseURL", value: "ftp://sms.tencentcloudapi.com"},
		"baseURL path":          {setting: "baseURL", value: "https://sms.tencentcloudapi.com/v3"},
		"template id":           {setting: "templates", value: []any{map[string]any{"id": "welcome", "name": "W"}}},
		"template language":     {setting: "templates", value: []any{map[string]any{"id": "1", "name": "W", "language": "zh"}}},
		"template placeholder":  {setting: "templates", value: []any{map[string]any{"id": "1", "name": "W", "body": "{{x}}"}}},
		"secretID spaces":       {secret: "secretID", value: "AKID 123"},
		"secretKey missing":     {secret: "secretKey", value: ""},
		"callbackToken short":   {secret: "callbackToken", value: "short"},
		"callbackToken escaped": {secret: "callbackToken", value: "0123456789abcdef&x=1"},
	} {
		settings, secrets := map[string]any{}, map[string]string{}
		for k, v := range good.Settings {
			settings[k] = v
		}
		for k, v := range good.Secrets {
			secrets[k] = v
		}
		if tc.setting != "" {
			if tc.value == nil {
				delete(settings, tc.setting)
			} else {
				settings[tc.setting] = tc.value
			}
		} else if s, _ := tc.value.(string); s == "" {
			delete(secrets, tc.secret)
		} else {
			secrets[tc.secret] = s
		}
		var fe *channels.FieldError
		err := a.Validate(settings, secrets)
		if !errors.As(err, &fe) || fe.Field != tc.setting+tc.secret || fe.Secret != (tc.secret != "") {
			t.Errorf("%s: Validate = %v, want a FieldError about %s%s", name, err, tc.setting, tc.secret)
		}
	}
}
