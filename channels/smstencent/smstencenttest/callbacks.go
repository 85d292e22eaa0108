package smstencenttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

var (
	_ channelstest.Fake     = (*Fake)(nil)
	_ channelstest.Webhook  = (*Fake)(nil)
	_ channelstest.Receipts = (*Fake)(nil)
	_ channelstest.NoRead   = (*Fake)(nil)
	_ channelstest.Provider = (*Fake)(nil)
)

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake.
func (f *Fake) Receipts() (channelstest.Receipts, string) { return f, "" }

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// Reply is the body Tencent posts for a customer's SMS (the spec's
// fields); time is unix seconds.
func Reply(phone, text string, unix int64) []byte {
	nation, mobile := split(phone)
	b, _ := json.Marshal(map[string]any{"extend": "", "mobile": mobile, "nationcode": nation,
		"sign": SignName, "text": text, "time": unix})
	return b
}

// Status is the body Tencent posts for one delivery report.
func Status(sid, phone string, delivered bool, at time.Time) []byte {
	nation, mobile := split(phone)
	st, errmsg, desc := "SUCCESS", "DELIVRD", "用户短信送达成功"
	if !delivered {
		st, errmsg, desc = "FAIL", "MK:0001", "空号"
	}
	b, _ := json.Marshal([]any{map[string]any{"user_receive_time": at.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05"),
		"nationcode": nation, "mobile": mobile, "report_status": st, "errmsg": errmsg, "description": desc, "sid": sid}})
	return b
}

func split(phone string) (nation, mobile string) {
	return "86", strings.TrimPrefix(phone, "+86")
}

// ReplyID is what a reply's ProviderMessageID must be: a hash of the
// number, the time and the text (there is no id), computed here apart
// from the adapter.
func ReplyID(phone string, unix int64, text string) string {
	sum := sha256.Sum256([]byte(phone + "\n" + strconv.FormatInt(unix, 10) + "\n" + text))
	return "reply-" + hex.EncodeToString(sum[:])[:32]
}

// Post builds a callback request to webhookURL with the callback token.
func Post(webhookURL, token string, body []byte) *http.Request {
	u, _ := url.Parse(webhookURL)
	if token != "" {
		q := u.Query()
		q.Set("token", token)
		u.RawQuery = q.Encode()
	}
	r, _ := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// Inbound implements channelstest.Webhook: the sender becomes a Chinese
// mobile number, the id the hash of number, time and text.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	phone, unix := Phone(m.Sender), f.clock().Unix()
	return f.Sign(nil, Reply(phone, m.Text, unix)), channelstest.Spec{ID: ReplyID(phone, unix, m.Text), Sender: phone, Text: m.Text}
}

// Sign implements channelstest.Webhook: Tencent signs nothing, the
// genuine request is the one to the URL with the token.
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request {
	return Post(WebhookURL, CallbackToken, body)
}

// Forge implements channelstest.Webhook.
func (f *Fake) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	body := Reply(Phone(m.Sender), m.Text, f.clock().Unix())
	header := Post(WebhookURL, "", body)
	header.Header.Set("X-Token", CallbackToken)
	return map[string]*http.Request{
		"no token":          Post(WebhookURL, "", body),
		"wrong token":       Post(WebhookURL, "cb-token-0123456789abcdeX", body),
		"token prefix":      Post(WebhookURL, CallbackToken[:len(CallbackToken)-1], body),
		"token extended":    Post(WebhookURL, CallbackToken+"0", body),
		"token upper case":  Post(WebhookURL, strings.ToUpper(CallbackToken), body),
		"token in a header": header,
	}
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	return map[string][]byte{
		"null":                  []byte(`null`),
		"a string":              []byte(`"hello"`),
		"empty object":          []byte(`{}`),
		"mobile a number":       []byte(`{"mobile":13800000000,"nationcode":"86","text":"hi","time":1700000000}`),
		"no mobile":             []byte(`{"nationcode":"86","text":"hi","time":1700000000}`),
		"letters in mobile":     []byte(`{"mobile":"1380000abcd","nationcode":"86","text":"hi","time":1700000000}`),
		"no nationcode":         []byte(`{"mobile":"13800000000","text":"hi","time":1700000000}`),
		"no text":               []byte(`{"mobile":"13800000000","nationcode":"86","time":1700000000}`),
		"text an object":        []byte(`{"mobile":"13800000000","nationcode":"86","text":{},"time":1700000000}`),
		"no time":               []byte(`{"mobile":"13800000000","nationcode":"86","text":"hi"}`),
		"time in milliseconds":  []byte(`{"mobile":"13800000000","nationcode":"86","text":"hi","time":1700000000000}`),
		"time words":            []byte(`{"mobile":"13800000000","nationcode":"86","text":"hi","time":"yesterday"}`),
		"two objects":           []byte(`{"mobile":"13800000000","nationcode":"86","text":"hi","time":1700000000}{}`),
		"invalid UTF-8":         []byte("{\"mobile\":\"13800000000\",\"nationcode\":\"86\",\"text\":\"\xff\",\"time\":1700000000}"),
		"empty status array":    []byte(`[]`),
		"status not objects":    []byte(`[1,2]`),
		"status unknown":        []byte(`[{"sid":"1:2","report_status":"MAYBE","mobile":"13800000000","nationcode":"86"}]`),
		"status without sid":    []byte(`[{"report_status":"SUCCESS","mobile":"13800000000","nationcode":"86"}]`),
		"status sid a number":   []byte(`[{"sid":12,"report_status":"SUCCESS"}]`),
		"status, then garbage":  []byte(`[{"sid":"1:2","report_status":"SUCCESS"}] x`),
		"neither object nor []": []byte(`12`),
	}
}

// Receipt implements channelstest.Receipts.
func (f *Fake) Receipt(t channelstest.TB, providerID string, status channels.DeliveryStatus) *http.Request {
	switch status {
	case channels.StatusDelivered, channels.StatusFailed:
		return f.Sign(t, Status(providerID, f.Recipient().ExternalID, status == channels.StatusDelivered, f.clock()))
	}
	t.Fatalf("Tencent SMS reports no %s", status)
	return nil
}

// NoRead implements channelstest.NoRead.
func (f *Fake) NoRead() string {
	return "an SMS status report says delivered or failed, never read"
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender {
	return channels.Sender{ExternalID: "+8613800138000", Phone: "+8613800138000"}
}

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	var next answer
	switch a.Outcome {
	case channelstest.OK:
		next.serial = a.ID
	case channelstest.Permanent:
		next.number = "InvalidParameterValue.IncorrectPhoneNumber"
	case channelstest.Transient:
		next.request = "InternalError.Timeout"
	case channelstest.RateLimited:
		next.number = "LimitExceeded.PhoneNumberThirtySecondLimit"
		if a.RetryAfter > 30*time.Second {
			next.number = "LimitExceeded.PhoneNumberOneHourLimit"
		}
	}
	f.mu.Lock()
	f.answers = append(f.answers, next)
	f.mu.Unlock()
}

// Sends implements channelstest.Provider.
func (f *Fake) Sends() []channelstest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]channelstest.Sent(nil), f.sends...)
}

// Refused implements channelstest.Provider.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Omits implements channelstest.Provider.
func (f *Fake) Omits(field string) string {
	switch field {
	case channelstest.FieldReplyTo:
		return "an SMS carries no reference to the message it answers"
	case channelstest.FieldThreadKey:
		return "a customer's SMS carries nothing back but their number"
	}
	return ""
}
