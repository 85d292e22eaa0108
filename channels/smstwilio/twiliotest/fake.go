// Package twiliotest is a fake Twilio for tests: an httptest server of
// the REST API's account, Messages and media resources that checks HTTP
// Basic AccountSid:AuthToken (refusing others 401 with code 20003, as
// Twilio does), records the messages sent and answers them as told; and
// builders of the signed requests Twilio posts to the channel's webhook,
// signed by this package's own implementation of the spec. It is a
// channelstest.Fake.
package twiliotest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"  //nolint:gosec // ids for tests
	"crypto/sha1" //nolint:gosec // Twilio's signature
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// The fake channel's account and numbers.
const (
	AccountSID = "AC0123456789abcdef0123456789abcdef"
	AuthToken  = "fedcba9876543210fedcba9876543210"
	FromNumber = "+14155550100"
	// WebhookURL is the channel's webhook URL in Config.
	WebhookURL = "https://switchboard.test/webhooks/sms_twilio/fake-key"
)

var (
	_ channelstest.Fake     = (*Fake)(nil)
	_ channelstest.Webhook  = (*Fake)(nil)
	_ channelstest.Receipts = (*Fake)(nil)
	_ channelstest.Provider = (*Fake)(nil)
)

// Message is one Messages create call as received.
type Message struct {
	To, From, MessagingServiceSid, Body, StatusCallback string //nolint:revive // the API's spelling
	MediaURLs                                           []string
	Form                                                url.Values
}

type answer struct {
	status     int
	code       int
	message    string
	sid        string
	retryAfter int
}

// Fake is the fake Twilio.
type Fake struct {
	URL string
	srv *httptest.Server

	mu         sync.Mutex
	now        func() time.Time
	answers    []answer
	messages   []Message
	sends      []channelstest.Sent
	media      map[string]media
	mediaCalls int
	accounts   int
	refused    int
	serial     int
}

type media struct {
	contentType string
	data        []byte
}

// New starts a fake.
func New(t testing.TB) *Fake {
	f := &Fake{now: time.Now, media: map[string]media{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Settings are the channel's settings pointing at the fake.
func (f *Fake) Settings() map[string]any {
	return map[string]any{"accountSID": AccountSID, "fromNumber": FromNumber, "baseURL": f.URL}
}

// Secrets are the channel's secrets.
func (f *Fake) Secrets() map[string]string { return map[string]string{"authToken": AuthToken} }

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{ChannelID: "fake-channel", Key: "fake-key", WebhookURL: WebhookURL,
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(), Now: f.clock, State: &channels.MemoryState{}}
}

func (f *Fake) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now()
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake.
func (f *Fake) Receipts() (channelstest.Receipts, string) { return f, "" }

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// SID is a Twilio sid of the prefix ("SM", "MM", "ME") made from name.
func SID(prefix, name string) string {
	h := md5.Sum([]byte(name)) //nolint:gosec
	return prefix + hex.EncodeToString(h[:])
}

// Phone is the E.164 number the fake gives a sender name.
func Phone(name string) string {
	h := md5.Sum([]byte(name)) //nolint:gosec
	return fmt.Sprintf("+1415%07d", (int(h[0])<<16|int(h[1])<<8|int(h[2]))%10000000)
}

// Signature is X-Twilio-Signature as the spec writes it, computed here
// apart from the adapter: HMAC-SHA1 with the token over the URL followed
// by each parameter's name and value, sorted by name, base64.
func Signature(token, rawURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(rawURL)
	for _, k := range keys {
		vs := append([]string(nil), form[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k + v)
		}
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Post builds Twilio's POST of form to target, signed for signedURL with
// token ("" for no signature).
func Post(target, signedURL, token string, form url.Values) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		r.Header.Set("X-Twilio-Signature", Signature(token, signedURL, form))
	}
	return r
}

// Inbound is the form of a customer's SMS with sid from phone.
func Inbound(sid, phone, text string) url.Values {
	return url.Values{"ToCountry": {"US"}, "ToState": {"CA"}, "SmsMessageSid": {sid}, "NumMedia": {"0"},
		"ToCity": {"SAN FRANCISCO"}, "FromZip": {"94105"}, "SmsSid": {sid}, "FromState": {"CA"}, "SmsStatus": {"received"},
		"FromCity": {"SAN FRANCISCO"}, "Body": {text}, "FromCountry": {"US"}, "To": {FromNumber}, "ToZip": {"94105"},
		"NumSegments": {"1"}, "MessageSid": {sid}, "AccountSid": {AccountSID}, "From": {phone}, "ApiVersion": {"2010-04-01"}}
}

// WithMedia adds MMS media to an inbound form: each URL a media resource
// of the fake (its path on api.twilio.com, as Twilio gives it).
func WithMedia(form url.Values, msgSID string, items ...[2]string) url.Values {
	form.Set("NumMedia", strconv.Itoa(len(items)))
	for i, it := range items {
		form.Set(fmt.Sprintf("MediaUrl%d", i), "https://api.twilio.com"+MediaPath(msgSID, it[0]))
		form.Set(fmt.Sprintf("MediaContentType%d", i), it[1])
	}
	return form
}

// MediaPath is the path of a media resource.
func MediaPath(msgSID, mediaSID string) string {
	return "/2010-04-01/Accounts/" + AccountSID + "/Messages/" + msgSID + "/Media/" + mediaSID
}

// Status is the form of a status callback.
func Status(sid, to, status string, errorCode int) url.Values {
	form := url.Values{"SmsSid": {sid}, "SmsStatus": {status}, "MessageStatus": {status}, "To": {to},
		"MessageSid": {sid}, "AccountSid": {AccountSID}, "From": {FromNumber}, "ApiVersion": {"2010-04-01"}}
	if errorCode != 0 {
		form.Set("ErrorCode", strconv.Itoa(errorCode))
	}
	return form
}

// Inbound implements channelstest.Webhook: ids become message sids,
// senders numbers.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	sid, phone := SID("SM", m.ID), Phone(m.Sender)
	return Post(WebhookURL, WebhookURL, AuthToken, Inbound(sid, phone, m.Text)), channelstest.Spec{ID: sid, Sender: phone, Text: m.Text}
}

// Sign implements channelstest.Webhook: the body's parameters signed (a
// body that is no form is signed as if it had none).
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request {
	form, _ := url.ParseQuery(string(body))
	r, _ := http.NewRequest(http.MethodPost, WebhookURL, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", Signature(AuthToken, WebhookURL, form))
	return r
}

// Forge implements channelstest.Webhook.
func (f *Fake) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	sid, phone := SID("SM", m.ID), Phone(m.Sender)
	form := Inbound(sid, phone, m.Text)
	other := Inbound(sid, phone, m.Text+"!")
	tampered, _ := http.NewRequest(http.MethodPost, WebhookURL, strings.NewReader(other.Encode()))
	tampered.Header.Set("X-Twilio-Signature", Signature(AuthToken, WebhookURL, form))
	extra := url.Values{}
	for k, v := range form {
		extra[k] = v
	}
	extra.Set("Injected", "1")
	added, _ := http.NewRequest(http.MethodPost, WebhookURL, strings.NewReader(extra.Encode()))
	added.Header.Set("X-Twilio-Signature", Signature(AuthToken, WebhookURL, form))
	return map[string]*http.Request{
		"unsigned":                Post(WebhookURL, WebhookURL, "", form),
		"another token":           Post(WebhookURL, WebhookURL, "00000000000000000000000000000000", form),
		"signed for another URL":  Post(WebhookURL, "https://switchboard.test/webhooks/sms_twilio/other-key", AuthToken, form),
		"signed without the path": Post(WebhookURL, "https://switchboard.test", AuthToken, form),
		"tampered body":           tampered,
		"parameter added":         added,
	}
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	ok := Inbound(SID("SM", "x"), "+14155550123", "hi")
	with := func(k, v string) []byte {
		c := url.Values{}
		for kk, vv := range ok {
			c[kk] = vv
		}
		if v == "" {
			c.Del(k)
			c.Del("Sms" + k)
		} else {
			c.Set(k, v)
		}
		return []byte(c.Encode())
	}
	return map[string][]byte{
		"JSON":               []byte(`{"MessageSid":"SM0123","Body":"hi"}`),
		"bad escape":         []byte("Body=%zz&MessageSid=SM1"),
		"no MessageSid":      with("MessageSid", ""),
		"short MessageSid":   with("MessageSid", "SM123"),
		"no From":            with("From", ""),
		"From not E.164":     with("From", "14155550123"),
		"no Body, no media":  with("Body", ""),
		"NumMedia words":     with("NumMedia", "two"),
		"NumMedia too many":  with("NumMedia", "11"),
		"media without URL":  with("NumMedia", "1"),
		"another account":    with("AccountSid", "AC00000000000000000000000000000000"),
		"invalid UTF-8 body": with("Body", "\xff\xfe"),
	}
}

// Receipt implements channelstest.Receipts.
func (f *Fake) Receipt(t channelstest.TB, providerID string, status channels.DeliveryStatus) *http.Request {
	st, code := strings.ToLower(string(status)), 0
	if status == channels.StatusFailed {
		st, code = "undelivered", 30003
	}
	return Post(WebhookURL, WebhookURL, AuthToken, Status(providerID, f.Recipient().ExternalID, st, code))
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender {
	return channels.Sender{ExternalID: "+14155550199", Phone: "+14155550199"}
}

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	var next answer
	switch a.Outcome {
	case channelstest.OK:
		next.sid = a.ID
	case channelstest.Permanent:
		next = answer{status: 400, code: 21211, message: "The 'To' number is not a valid phone number."}
	case channelstest.Transient:
		next = answer{status: 500, code: 20500, message: "An internal server error has occurred"}
	case channelstest.RateLimited:
		next = answer{status: 429, code: 20429, message: "Too Many Requests", retryAfter: int(a.RetryAfter / time.Second)}
	}
	f.mu.Lock()
	f.answers = append(f.answers, next)
	f.mu.Unlock()
}

// AnswerError makes the next Messages create fail with Twilio's error.
func (f *Fake) AnswerError(status, code int, message string) {
	f.mu.Lock()
	f.answers = append(f.answers, answer{status: status, code: code, message: message})
	f.mu.Unlock()
}

// Sends implements channelstest.Provider.
func (f *Fake) Sends() []channelstest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]channelstest.Sent(nil), f.sends...)
}

// Messages lists the authenticated Messages create calls, oldest first.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.messages...)
}

// Refused implements channelstest.Provider.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// AccountCalls counts the authenticated account fetches (Verify).
func (f *Fake) AccountCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accounts
}

// MediaCalls counts the authenticated media downloads.
func (f *Fake) MediaCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mediaCalls
}

// AddMedia makes a media resource downloadable.
func (f *Fake) AddMedia(msgSID, mediaSID, contentType string, data []byte) {
	f.mu.Lock()
	f.media[MediaPath(msgSID, mediaSID)] = media{contentType, data}
	f.mu.Unlock()
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

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != AccountSID || pass != AuthToken {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		writeError(w, 401, 20003, "Authenticate")
		return
	}
	account := "/2010-04-01/Accounts/" + AccountSID
	switch {
	case r.Method == http.MethodGet && r.URL.Path == account+".json":
		f.mu.Lock()
		f.accounts++
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"sid": AccountSID, "friendly_name": "Fake", "status": "active", "type": "Full"})
	case r.Method == http.MethodPost && r.URL.Path == account+"/Messages.json":
		f.create(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, account+"/Messages/"):
		f.mu.Lock()
		m, ok := f.media[r.URL.Path]
		if ok {
			f.mediaCalls++
		}
		f.mu.Unlock()
		if !ok {
			writeError(w, 404, 20404, "The requested resource was not found")
			return
		}
		w.Header().Set("Content-Type", m.contentType)
		_, _ = w.Write(m.data)
	default:
		writeError(w, 404, 20404, "The requested resource "+r.URL.Path+" was not found")
	}
}

func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		writeError(w, 400, 21000, "malformed form")
		return
	}
	form := r.PostForm
	msg := Message{To: form.Get("To"), From: form.Get("From"), MessagingServiceSid: form.Get("MessagingServiceSid"),
		Body: form.Get("Body"), StatusCallback: form.Get("StatusCallback"), MediaURLs: form["MediaUrl"], Form: form}
	f.mu.Lock()
	f.messages = append(f.messages, msg)
	f.sends = append(f.sends, channelstest.Sent{To: msg.To, Text: msg.Body})
	var a answer
	if len(f.answers) > 0 {
		a, f.answers = f.answers[0], f.answers[1:]
	}
	f.serial++
	if a.sid == "" {
		a.sid = SID("SM", "sent-"+strconv.Itoa(f.serial))
	}
	f.mu.Unlock()
	switch {
	case msg.To == "" || (msg.From == "" && msg.MessagingServiceSid == "") || (msg.Body == "" && len(msg.MediaURLs) == 0):
		writeError(w, 400, 21604, "A 'To', 'From' and 'Body' or 'MediaUrl' are required")
	case a.status != 0:
		if a.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
		}
		writeError(w, a.status, a.code, a.message)
	default:
		writeJSON(w, 201, map[string]any{"sid": a.sid, "status": "queued", "to": msg.To, "from": msg.From,
			"body": msg.Body, "error_code": nil, "error_message": nil, "account_sid": AccountSID, "num_media": strconv.Itoa(len(msg.MediaURLs))})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{"code": code, "message": message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

// AnswerSID makes the next Messages create succeed with sid.
func (f *Fake) AnswerSID(sid string) {
	f.mu.Lock()
	f.answers = append(f.answers, answer{sid: sid})
	f.mu.Unlock()
}
