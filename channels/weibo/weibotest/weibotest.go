// Package weibotest is a fake Weibo: an httptest server speaking the
// fan-service APIs the weibo adapter calls (reply.json, which checks the
// access token and records sends; account/get_uid.json; mss/msget), and a
// builder of the signed pushes Weibo posts to a channel's webhook. It
// implements channelstest.Fake. It signs and computes dedupe keys on its
// own, from the spec, so it does not trust the adapter's code.
package weibotest

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// The fake account's credentials.
const (
	AppSecret   = "weibotest-app-secret-0123456789abcdef"
	AccessToken = "2.00weibotestAccessTokenQWERTY0123456789"
	AppKey      = "3955823155"
	UID         = "5000000001" // the account
	Fan         = "2489518277" // a fan the suite sends to
	ImageFID    = "821804459"  // a file the fake hands out
)

// Image is the bytes of ImageFID.
var Image = []byte("\xff\xd8\xff\xe0 weibotest jpeg")

// Clock is the fake config's Now: the time its signatures are made for.
var Clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Fake is Weibo.
type Fake struct {
	srv *httptest.Server

	mu      sync.Mutex
	next    []reply
	sends   []Sent
	refused int
	fetches int
	n       int
}

// Sent is one reply.json call as Weibo received it.
type Sent struct {
	ReceiverID, Type, Text string
	Data                   string // the data field as received
}

// reply is how the fake answers one send.
type reply struct {
	status int
	body   any
	header http.Header
}

var (
	_ channelstest.Fake     = (*Fake)(nil)
	_ channelstest.Webhook  = (*Fake)(nil)
	_ channelstest.Provider = (*Fake)(nil)
)

// NewFake starts the fake, closed when t ends.
func NewFake(t channelstest.TB) *Fake {
	f := &Fake{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2/messages/reply.json", f.reply)
	mux.HandleFunc("GET /2/account/get_uid.json", f.getUID)
	mux.HandleFunc("GET /2/mss/msget", f.msget)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the base URL of every API of the fake.
func (f *Fake) URL() string { return f.srv.URL }

// Client is an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Settings are a channel's settings pointing at the fake.
func (f *Fake) Settings() map[string]any {
	return map[string]any{"appKey": AppKey, "uid": UID, "baseURL": f.URL(), "apiBaseURL": f.URL() + "/", "uploadBaseURL": f.URL()}
}

// Secrets are the channel's secrets.
func (f *Fake) Secrets() map[string]string {
	return map[string]string{"appSecret": AppSecret, "accessToken": AccessToken}
}

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{
		ChannelID: "ch-weibotest", Key: "key-weibotest", WebhookURL: "https://sb.example.com/webhooks/weibo/key-weibotest",
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(),
		Now:   func() time.Time { return Clock },
		State: &channels.MemoryState{},
	}
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake.
func (f *Fake) Receipts() (channelstest.Receipts, string) {
	return nil, "Weibo sends no delivery or read receipts for fan-service replies"
}

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// Signature is the hex SHA-1 of {secret, timestamp, nonce} sorted and
// concatenated, as Weibo signs.
func Signature(secret, timestamp, nonce string) string {
	parts := []string{secret, timestamp, nonce}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(parts[0] + parts[1] + parts[2]))
	return hex.EncodeToString(sum[:])
}

// Query is the signed query Weibo adds to a push or handshake at time at
// (milliseconds) with nonce; an empty secret leaves the signature out.
func Query(secret string, at time.Time, nonce string) url.Values {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}}
	if secret != "" {
		q.Set("signature", Signature(secret, ts, nonce))
	}
	return q
}

// Push is a push request with body and query q.
func Push(q url.Values, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/weibo/key-weibotest?"+q.Encode(), bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// Message is a push body of a type from sender to UID at time at.
func Message(typ, sender, text string, at time.Time, data map[string]any) []byte {
	if data == nil {
		data = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "receiver_id": json.Number(UID), "sender_id": json.Number(sender),
		"created_at": at.In(time.FixedZone("CST", 8*3600)).Format("Mon Jan 02 15:04:05 -0700 2006"), "text": text, "data": data})
	return b
}

// DedupeKey is the provider message id the adapter must give a push:
// "wb:" sender ":" created_at ":" the first 12 bytes of the body's
// SHA-256, in hex.
func DedupeKey(body []byte) string {
	var p struct {
		Sender  json.Number `json:"sender_id"`
		Created string      `json:"created_at"`
	}
	_ = json.Unmarshal(body, &p)
	sum := sha256.Sum256(body)
	return "wb:" + p.Sender.String() + ":" + p.Created + ":" + hex.EncodeToString(sum[:12])
}

// uidOf maps a spec's sender to a Weibo uid: ten digits.
func uidOf(s string) string {
	if s == Fan {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	return strconv.FormatUint(1000000000+uint64(h.Sum32())%8999999999, 10)
}

// Inbound implements channelstest.Webhook: a text push.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	sender := uidOf(m.Sender)
	body := Message("text", sender, m.Text, Clock.Add(-2*time.Second), nil)
	return Push(Query(AppSecret, Clock, "57155157"), body), channelstest.Spec{ID: DedupeKey(body), Sender: sender, Text: m.Text}
}

// Sign implements channelstest.Webhook.
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request {
	return Push(Query(AppSecret, Clock, "1234567"), body)
}

// Forge implements channelstest.Webhook. The signature does not cover the
// body, so there is no tampered-body forgery to list.
func (f *Fake) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	body := Message("text", uidOf(m.Sender), m.Text, Clock, nil)
	swapped := Query(AppSecret, Clock, "1111")
	swapped.Set("nonce", "2222")
	otherTS := Query(AppSecret, Clock, "3333")
	otherTS.Set("timestamp", strconv.FormatInt(Clock.Add(time.Second).UnixMilli(), 10))
	noTS := Query(AppSecret, Clock, "4444")
	noTS.Del("timestamp")
	noNonce := Query(AppSecret, Clock, "5555")
	noNonce.Del("nonce")
	return map[string]*http.Request{
		"bad signature":     Push(Query("another-app-secret", Clock, "6666"), body),
		"missing signature": Push(Query("", Clock, "7777"), body),
		"missing timestamp": Push(noTS, body),
		"missing nonce":     Push(noNonce, body),
		"other nonce":       Push(swapped, body),
		"other timestamp":   Push(otherTS, body),
		"stale timestamp":   Push(Query(AppSecret, Clock.Add(-6*time.Minute), "8888"), body),
		"future timestamp":  Push(Query(AppSecret, Clock.Add(6*time.Minute), "9999"), body),
		"seconds timestamp": Push(secondsQuery(), body),
		"signature not hex": Push(url.Values{"signature": {"zz"}, "timestamp": {"1"}, "nonce": {"1"}}, body),
	}
}

// secondsQuery signs a timestamp in seconds: a replay from long ago when
// read as milliseconds.
func secondsQuery() url.Values {
	ts := strconv.FormatInt(Clock.Unix(), 10)
	return url.Values{"timestamp": {ts}, "nonce": {"42"}, "signature": {Signature(AppSecret, ts, "42")}}
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	at := Clock.Add(-time.Second)
	return map[string][]byte{
		"an array":               []byte(`[]`),
		"null":                   []byte(`null`),
		"a string":               []byte(`"text"`),
		"no type":                []byte(`{"receiver_id":5000000001,"sender_id":2489518277,"created_at":"Sat Mar 01 19:59:59 +0800 2025","text":"hi"}`),
		"type not a string":      []byte(`{"type":1,"receiver_id":5000000001,"sender_id":2489518277,"created_at":"Sat Mar 01 19:59:59 +0800 2025","text":"hi"}`),
		"no sender_id":           []byte(`{"type":"text","receiver_id":5000000001,"created_at":"Sat Mar 01 19:59:59 +0800 2025","text":"hi"}`),
		"sender_id not a uid":    []byte(`{"type":"text","receiver_id":5000000001,"sender_id":"alice","created_at":"Sat Mar 01 19:59:59 +0800 2025","text":"hi"}`),
		"sender_id fractional":   []byte(`{"type":"text","receiver_id":5000000001,"sender_id":1.5,"created_at":"Sat Mar 01 19:59:59 +0800 2025","text":"hi"}`),
		"no receiver_id":         []byte(`{"type":"text","sender_id":2489518277,"created_at":"Sat Mar 01 19:59:59 +0800 2025","text":"hi"}`),
		"no created_at":          []byte(`{"type":"text","receiver_id":5000000001,"sender_id":2489518277,"text":"hi"}`),
		"text not a string":      []byte(`{"type":"text","receiver_id":5000000001,"sender_id":2489518277,"created_at":"Sat Mar 01 19:59:59 +0800 2025","text":["hi"]}`),
		"text without text":      Message("text", Fan, " ", at, nil),
		"data not an object":     []byte(`{"type":"image","receiver_id":5000000001,"sender_id":2489518277,"created_at":"Sat Mar 01 19:59:59 +0800 2025","data":[1]}`),
		"image without vfid":     Message("image", Fan, "", at, map[string]any{"tovfid": 1}),
		"position without coord": Message("position", Fan, "", at, map[string]any{"longitude": "116.3"}),
		"position out of range":  Message("position", Fan, "", at, map[string]any{"longitude": "116.3", "latitude": "91"}),
		"event without subtype":  Message("event", Fan, "", at, map[string]any{}),
		"click without key":      Message("event", Fan, "", at, map[string]any{"subtype": "click"}),
		"two objects":            []byte(`{"type":"text"}{"type":"text"}`),
		"invalid UTF-8":          []byte("{\"type\":\"text\",\"receiver_id\":5000000001,\"sender_id\":2489518277,\"created_at\":\"x\",\"text\":\"\xff\"}"),
	}
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender { return channels.Sender{ExternalID: Fan} }

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	switch a.Outcome {
	case channelstest.Permanent:
		f.AnswerError(http.StatusBadRequest, 20003, "User does not exists!")
	case channelstest.Transient:
		f.AnswerError(http.StatusInternalServerError, 10001, "System error")
	case channelstest.RateLimited:
		// Weibo says nothing of when to retry.
		f.AnswerError(http.StatusForbidden, 10023, "User requests out of rate limit!")
	default:
		f.mu.Lock()
		defer f.mu.Unlock()
		f.next = append(f.next, reply{status: http.StatusOK, body: map[string]any{"idstr": a.ID, "result": true}})
	}
}

// AnswerError answers the next send with Weibo's error JSON.
func (f *Fake) AnswerError(status, code int, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = append(f.next, reply{status: status,
		body: map[string]any{"error": msg, "error_code": code, "request": "/2/messages/reply.json"}})
}

// Sends implements channelstest.Provider.
func (f *Fake) Sends() []channelstest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]channelstest.Sent, len(f.sends))
	for i, s := range f.sends {
		out[i] = channelstest.Sent{To: s.ReceiverID, Text: s.Text}
	}
	return out
}

// Replies lists the reply.json calls received with the right token.
func (f *Fake) Replies() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sends...)
}

// Refused implements channelstest.Provider.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Fetches counts the files handed out.
func (f *Fake) Fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// Omits implements channelstest.Provider.
func (f *Fake) Omits(field string) string {
	switch field {
	case channelstest.FieldReplyTo:
		return "reply.json names the fan, not a message"
	case channelstest.FieldThreadKey:
		return "Weibo private messages have no threads"
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authorized checks the access token, answering Weibo's 21332 when wrong.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request, token string) bool {
	if token == AccessToken {
		return true
	}
	f.mu.Lock()
	f.refused++
	f.mu.Unlock()
	writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_access_token", "error_code": 21332, "request": r.URL.Path})
	return false
}

func (f *Fake) reply(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "bad request", "error_code": 10008, "request": r.URL.Path})
		return
	}
	if !f.authorized(w, r, r.PostForm.Get("access_token")) {
		return
	}
	var data struct {
		Text string `json:"text"`
	}
	s := Sent{ReceiverID: r.PostForm.Get("receiver_id"), Type: r.PostForm.Get("type"), Data: r.PostForm.Get("data")}
	if s.Type != "text" || json.Unmarshal([]byte(s.Data), &data) != nil || data.Text == "" || s.ReceiverID == "" ||
		strings.Trim(s.ReceiverID, "0123456789") != "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "miss required parameter", "error_code": 10016, "request": r.URL.Path})
		return
	}
	s.Text = data.Text
	f.mu.Lock()
	f.sends = append(f.sends, s)
	f.n++
	a := reply{status: http.StatusOK, body: map[string]any{"result": true, "receiver_id": json.Number(s.ReceiverID), "type": "text"}}
	if len(f.next) > 0 {
		a, f.next = f.next[0], f.next[1:]
	}
	f.mu.Unlock()
	for k, v := range a.header {
		w.Header()[k] = v
	}
	writeJSON(w, a.status, a.body)
}

func (f *Fake) getUID(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, r.URL.Query().Get("access_token")) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uid": json.Number(UID)})
}

func (f *Fake) msget(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, r.URL.Query().Get("access_token")) {
		return
	}
	if r.URL.Query().Get("fid") != ImageFID {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "file not found", "error_code": 20101, "request": r.URL.Path})
		return
	}
	f.mu.Lock()
	f.fetches++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(Image)
}

// String describes the fake for test logs.
func (f *Fake) String() string { return fmt.Sprintf("weibotest fake at %s", f.URL()) }
