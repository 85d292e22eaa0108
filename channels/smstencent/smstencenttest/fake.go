// Package smstencenttest is a fake Tencent Cloud SMS for tests: an
// httptest server that checks every request's TC3-HMAC-SHA256 signature
// with its own implementation of the spec's steps (refusing bad ones as
// Tencent does, with AuthFailure codes), records SendSms calls and
// answers them as told; and builders of the reply and status callbacks
// Tencent posts to the channel. It is a channelstest.Fake.
package smstencenttest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// Credentials and settings of the fake's channel.
const (
	SecretID      = "AKIDfake0123456789abcdefghijklmnopqr"
	SecretKey     = "fakeSecretKey0123456789abcdefghij"
	CallbackToken = "cb-token-0123456789abcdef"
	SdkAppID      = "1400000001"
	SignName      = "腾讯云"
	Region        = "ap-guangzhou"
	// TemplateID is the fake channel's template: "Hello {{name}}, your
	// order {{order}} has shipped."
	TemplateID = "1234567"
	// WebhookURL is the channel's webhook URL in Config.
	WebhookURL = "https://switchboard.test/webhooks/sms_tencent/fake-key"
)

// Templates is the fake channel's templates setting.
func Templates() []any {
	return []any{map[string]any{"id": TemplateID, "name": "Order shipped", "params": []any{"name", "order"},
		"body": "Hello {{name}}, your order {{order}} has shipped."}}
}

// Request is one authenticated request as received.
type Request struct {
	Action string
	Header http.Header
	Body   []byte
}

// SendSms is a SendSms body as the fake decodes it.
type SendSms struct {
	PhoneNumberSet   []string
	SmsSdkAppId      string //nolint:revive // the API's spelling
	TemplateId       string //nolint:revive
	SignName         string
	TemplateParamSet []string
	SessionContext   string
}

// Fake is the fake Tencent Cloud SMS.
type Fake struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	now      func() time.Time
	answers  []answer
	requests []Request
	sends    []channelstest.Sent
	bodies   []SendSms
	refused  int
	serial   int
}

// answer is a queued answer: a per-number code or a request error.
type answer struct {
	number, request string
	serial          string
	httpStatus      int
}

// New starts a fake whose clock is time.Now.
func New(t testing.TB) *Fake {
	f := &Fake{now: time.Now}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// SetNow sets the clock the fake checks timestamps against (and that
// Config gives the adapter).
func (f *Fake) SetNow(now func() time.Time) {
	f.mu.Lock()
	f.now = now
	f.mu.Unlock()
}

func (f *Fake) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now()
}

// Settings are the channel's settings pointing at the fake.
func (f *Fake) Settings() map[string]any {
	return map[string]any{"sdkAppID": SdkAppID, "signName": SignName, "region": Region,
		"baseURL": f.URL, "templates": Templates()}
}

// Secrets are the channel's secrets.
func (f *Fake) Secrets() map[string]string {
	return map[string]string{"secretID": SecretID, "secretKey": SecretKey, "callbackToken": CallbackToken}
}

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{ChannelID: "fake-channel", Key: "fake-key", WebhookURL: WebhookURL,
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(), Now: f.clock, State: &channels.MemoryState{}}
}

// AnswerCode makes the next SendSms answer code for the number
// (SendStatusSet[0].Code).
func (f *Fake) AnswerCode(code string) {
	f.mu.Lock()
	f.answers = append(f.answers, answer{number: code})
	f.mu.Unlock()
}

// AnswerError makes the next SendSms a request error with code.
func (f *Fake) AnswerError(code string) {
	f.mu.Lock()
	f.answers = append(f.answers, answer{request: code})
	f.mu.Unlock()
}

// AnswerHTTP makes the next SendSms answer a bare HTTP status.
func (f *Fake) AnswerHTTP(status int) {
	f.mu.Lock()
	f.answers = append(f.answers, answer{httpStatus: status})
	f.mu.Unlock()
}

// Requests lists the authenticated requests, oldest first.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// SendBodies lists the authenticated SendSms bodies, oldest first.
func (f *Fake) SendBodies() []SendSms {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SendSms(nil), f.bodies...)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	action := r.Header.Get("X-TC-Action")
	if code, msg := f.authenticate(r, body); code != "" {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		writeError(w, code, msg)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, Request{Action: action, Header: r.Header.Clone(), Body: body})
	f.mu.Unlock()
	switch action {
	case "SendSms":
		f.sendSms(w, body)
	case "SendStatusStatistics":
		var in struct {
			BeginTime, EndTime, SmsSdkAppId string //nolint:revive
			Limit, Offset                   *int
		}
		switch {
		case json.Unmarshal(body, &in) != nil || len(in.BeginTime) != 10 || len(in.EndTime) != 10 || in.Limit == nil || in.Offset == nil:
			writeError(w, "InvalidParameter", "malformed SendStatusStatistics")
		case in.SmsSdkAppId != SdkAppID:
			writeError(w, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail")
		default:
			writeJSON(w, map[string]any{"SendStatusStatistics": map[string]any{"FeeCount": 0, "RequestCount": 0, "RequestSuccessCount": 0}})
		}
	default:
		writeError(w, "InvalidAction", "unknown action "+action)
	}
}

func (f *Fake) sendSms(w http.ResponseWriter, body []byte) {
	var in SendSms
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || len(in.PhoneNumberSet) != 1 {
		writeError(w, "InvalidParameter", fmt.Sprintf("malformed SendSms: %v", err))
		return
	}
	if in.SmsSdkAppId != SdkAppID {
		writeError(w, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail")
		return
	}
	sent := channelstest.Sent{To: in.PhoneNumberSet[0]}
	if in.TemplateId == TemplateID && len(in.TemplateParamSet) == 2 {
		sent.Template = &channels.TemplateMessage{ID: in.TemplateId,
			Params: map[string]any{"name": in.TemplateParamSet[0], "order": in.TemplateParamSet[1]}}
		sent.Text = "Hello " + in.TemplateParamSet[0] + ", your order " + in.TemplateParamSet[1] + " has shipped."
	}
	f.mu.Lock()
	f.sends = append(f.sends, sent)
	f.bodies = append(f.bodies, in)
	var a answer
	if len(f.answers) > 0 {
		a, f.answers = f.answers[0], f.answers[1:]
	}
	f.serial++
	if a.serial == "" {
		a.serial = fmt.Sprintf("2433:%d", 300000000+f.serial)
	}
	f.mu.Unlock()
	switch {
	case a.httpStatus != 0:
		http.Error(w, "upstream error", a.httpStatus)
	case a.request != "":
		writeError(w, a.request, "answered as told")
	default:
		code := a.number
		if code == "" {
			code = "Ok"
		}
		writeJSON(w, map[string]any{"SendStatusSet": []any{map[string]any{"SerialNo": a.serial,
			"PhoneNumber": in.PhoneNumberSet[0], "Fee": 1, "SessionContext": in.SessionContext,
			"Code": code, "Message": "send " + code, "IsoCode": "CN"}}})
	}
}

func writeJSON(w http.ResponseWriter, resp map[string]any) {
	resp["RequestId"] = "fake-request-id"
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Response": resp})
}

func writeError(w http.ResponseWriter, code, msg string) {
	writeJSON(w, map[string]any{"Error": map[string]any{"Code": code, "Message": msg}})
}

// authenticate checks the request as Tencent does; it returns the
// refusal's code, or "". Tencent answers refusals with HTTP 200 and an
// error code.
func (f *Fake) authenticate(r *http.Request, body []byte) (code, msg string) {
	h := r.Header
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "" {
		return "InvalidParameter", "POST to / only"
	}
	if h.Get("X-TC-Version") != "2021-01-11" || h.Get("X-TC-Region") == "" || h.Get("Content-Type") != "application/json" {
		return "InvalidParameter", "bad X-TC-Version, X-TC-Region or Content-Type"
	}
	ts, err := strconv.ParseInt(h.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "MissingParameter", "X-TC-Timestamp"
	}
	// "TC3-HMAC-SHA256 Credential=<id>/<date>/sms/tc3_request, SignedHeaders=content-type;host, Signature=<hex>"
	rest, ok := strings.CutPrefix(h.Get("Authorization"), "TC3-HMAC-SHA256 ")
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	cred := strings.Split(parts["Credential"], "/")
	if !ok || len(cred) != 4 || parts["SignedHeaders"] != "content-type;host" || cred[2] != "sms" || cred[3] != "tc3_request" {
		return "AuthFailure.SignatureFailure", "malformed Authorization"
	}
	if cred[0] != SecretID {
		return "AuthFailure.SecretIdNotFound", "The SecretId is not found"
	}
	at := time.Unix(ts, 0).UTC()
	if d := f.clock().Sub(at); d > 5*time.Minute || d < -5*time.Minute {
		return "AuthFailure.SignatureExpire", "signature expired"
	}
	date := at.Format("2006-01-02")
	if cred[1] != date {
		return "AuthFailure.SignatureFailure", "credential date is not the timestamp's"
	}
	if !hmac.Equal([]byte(parts["Signature"]), []byte(expectedSignature(SecretKey, r.Host, ts, body))) {
		return "AuthFailure.SignatureFailure", "The provided credentials could not be validated"
	}
	return "", ""
}

// expectedSignature follows the spec's five steps, written out here
// apart from the adapter's signer.
func expectedSignature(key, host string, ts int64, body []byte) string {
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	lines := []string{"POST", "/", "", "content-type:application/json", "host:" + host, "", "content-type;host", hexSum(body)}
	canonical := strings.Join(lines, "\n")
	toSign := strings.Join([]string{"TC3-HMAC-SHA256", strconv.FormatInt(ts, 10), date + "/sms/tc3_request", hexSum([]byte(canonical))}, "\n")
	k := []byte("TC3" + key)
	for _, part := range []string{date, "sms", "tc3_request", toSign} {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(part))
		k = m.Sum(nil)
	}
	return hex.EncodeToString(k)
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Phone is the E.164 number the fake gives a sender name; Mobile is it
// without "+86".
func Phone(sender string) string {
	h := fnv.New32a()
	h.Write([]byte(sender))
	return fmt.Sprintf("+86138%08d", h.Sum32()%1e8)
}
