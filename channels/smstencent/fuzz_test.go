package smstencent_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/smstencent"
	"github.com/switchboard/switchboard/channels/smstencent/smstencenttest"
)

var fuzzE164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// fuzzReceive checks one callback: it never panics, a request without
// the channel's token is refused 401 and yields nothing, and what is
// accepted is well formed.
func fuzzReceive(t *testing.T, c *channels.Config, body []byte, token string) {
	r := smstencenttest.Post(smstencenttest.WebhookURL, token, body)
	d, err := smstencent.New().Receive(context.Background(), c, r, body)
	if token != smstencenttest.CallbackToken {
		if errStatus(err) != 401 || d != nil {
			t.Fatalf("token %q: Receive = %v, %v; want 401", token, d, err)
		}
		return
	}
	if err != nil {
		if st := errStatus(err); st != 400 || d != nil {
			t.Fatalf("Receive refused with %d (%v) and %v; want 400", st, err, d)
		}
		return
	}
	if len(d.Messages)+len(d.Receipts) == 0 || d.Respond == nil {
		t.Fatalf("accepted an empty delivery: %+v", d)
	}
	for _, m := range d.Messages {
		if !fuzzE164.MatchString(m.Sender.ExternalID) || m.Sender.Phone != m.Sender.ExternalID || m.Text == "" || m.ProviderMessageID == "" {
			t.Fatalf("accepted message %+v", m)
		}
	}
	for _, rc := range d.Receipts {
		if rc.ProviderMessageID == "" || (rc.Status != channels.StatusDelivered && rc.Status != channels.StatusFailed) ||
			(rc.Status == channels.StatusFailed && rc.Reason == "") {
			t.Fatalf("accepted receipt %+v", rc)
		}
	}
}

func FuzzReceiveReply(f *testing.F) {
	f.Add([]byte(`{"extend":"","mobile":"13800138000","nationcode":"86","sign":"腾讯云","text":"你好","time":1457336869}`), smstencenttest.CallbackToken)
	f.Add([]byte(`{"extend":"01","mobile":"2025550123","nationcode":"1","sign":"Acme","text":"STOP","time":"1700000000"}`), smstencenttest.CallbackToken)
	f.Add([]byte(`{"mobile":"13800138000","nationcode":"86","text":"hi","time":1457336869}`), "")
	f.Add([]byte(`{"mobile":"13800138000","nationcode":"086","text":"hi","time":1e9}`), smstencenttest.CallbackToken)
	f.Add([]byte(`{"mobile":"13800138000","nationcode":"86","text":"hi","time":1457336869}`), "cb-token-0123456789abcdeX")
	fk := smstencenttest.New(f)
	c := fk.Config(f)
	f.Fuzz(func(t *testing.T, body []byte, token string) { fuzzReceive(t, c, body, token) })
}

func FuzzReceiveStatus(f *testing.F) {
	f.Add([]byte(`[{"user_receive_time":"2015-10-17 08:03:04","nationcode":"86","mobile":"13800138000","report_status":"SUCCESS","errmsg":"DELIVRD","description":"用户短信送达成功","sid":"2433:1"}]`), smstencenttest.CallbackToken)
	f.Add([]byte(`[{"user_receive_time":"2015-10-17 08:03:04","nationcode":"86","mobile":"13800138000","report_status":"FAIL","errmsg":"MK:0001","description":"空号","sid":"x"},{"report_status":"SUCCESS","sid":"y"}]`), smstencenttest.CallbackToken)
	f.Add([]byte(`[{"report_status":"FAIL","sid":"x"}]`), smstencenttest.CallbackToken)
	f.Add([]byte(`[{"report_status":"SUCCESS","sid":"2433:1"}]`), "")
	f.Add([]byte(`[]`), smstencenttest.CallbackToken)
	fk := smstencenttest.New(f)
	c := fk.Config(f)
	f.Fuzz(func(t *testing.T, body []byte, token string) { fuzzReceive(t, c, body, token) })
}
