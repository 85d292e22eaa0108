// Package xdmtest is a fake X API for tests: an httptest (TLS) server
// that checks the Bearer token of every request, answers GET /2/users/me,
// records DM sends (POST /2/dm_conversations/with/{id}/messages) and
// answers them as told, and serves DM media; and builders of the Account
// Activity events X posts to the webhook, signed with its own HMAC. It is
// a channelstest.Fake.
package xdmtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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

// Credentials and ids of the fake's channel.
const (
	AccountID      = "1080000000000000001"
	ConsumerSecret = "fakeConsumerSecret0123456789abcdefghijklmnopqrstuv"
	AccessToken    = "fakeUserAccessToken-0123456789"
	// CustomerID is the customer the conformance suite sends to.
	CustomerID = "2244994945"
	// WebhookURL is the channel's webhook URL in Config.
	WebhookURL = "https://switchboard.test/webhooks/x_dm/fake-key"
	// MediaPath is where the fake serves DM media; MediaBody its bytes.
	MediaPath = "/1.1/ton/data/dm/1/2/photo.jpg"
	MediaBody = "\xff\xd8\xff fake jpeg"
)

// Sent is one authenticated DM send as received.
type Sent struct {
	Participant string
	Header      http.Header
	Body        []byte
}

type answer struct {
	outcome channelstest.Outcome
	id      string
	wait    time.Duration
	status  int
}

// Fake is the fake X API.
type Fake struct {
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	now     func() time.Time
	answers []answer
	sends   []channelstest.Sent
	raw     []Sent
	refused int
	serial  int
	media   []byte
	mediaCT string
	fetches int
}

// New starts a fake whose clock is time.Now.
func New(t testing.TB) *Fake {
	f := &Fake{now: time.Now, media: []byte(MediaBody), mediaCT: "image/jpeg"}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// SetNow sets the clock rate-limit resets are computed from (and that
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

// Client is an HTTP client that trusts the fake's certificate.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Settings are the channel's settings pointing at the fake.
func (f *Fake) Settings() map[string]any {
	return map[string]any{"accountID": AccountID, "baseURL": f.URL}
}

// Secrets are the channel's secrets.
func (f *Fake) Secrets() map[string]string {
	return map[string]string{"consumerSecret": ConsumerSecret, "accessToken": AccessToken}
}

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{ChannelID: "fake-channel", Key: "fake-key", WebhookURL: WebhookURL,
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(), Now: f.clock, State: &channels.MemoryState{}}
}

// AnswerHTTP makes the next send answer status with an X problem body
// (and, for 429, x-rate-limit-reset wait from the fake's clock).
func (f *Fake) AnswerHTTP(status int, wait time.Duration) {
	f.mu.Lock()
	f.answers = append(f.answers, answer{status: status, wait: wait})
	f.mu.Unlock()
}

// Raw lists the authenticated sends as received, oldest first.
func (f *Fake) Raw() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.raw...)
}

// SetMedia sets the bytes and type of the media the fake serves at
// MediaPath (a JPEG-looking MediaBody by default).
func (f *Fake) SetMedia(contentType string, data []byte) {
	f.mu.Lock()
	f.media, f.mediaCT = data, contentType
	f.mu.Unlock()
}

// MediaFetches counts the authenticated media downloads.
func (f *Fake) MediaFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// MediaURL is the URL of the fake's DM media.
func (f *Fake) MediaURL() string { return f.URL + MediaPath }

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") != "Bearer "+AccessToken {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		problem(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized", 0)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/2/users/me":
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"id": AccountID, "name": "Acme Support", "username": "acmesupport"}})
	case r.Method == http.MethodGet && r.URL.Path == MediaPath:
		f.mu.Lock()
		f.fetches++
		data, ct := f.media, f.mediaCT
		f.mu.Unlock()
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(data)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/2/dm_conversations/with/") && strings.HasSuffix(r.URL.Path, "/messages"):
		to := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2/dm_conversations/with/"), "/messages")
		f.send(w, r, to, body)
	default:
		problem(w, http.StatusNotFound, "Not Found Error", "no such endpoint "+r.Method+" "+r.URL.Path, 0)
	}
}

func (f *Fake) send(w http.ResponseWriter, r *http.Request, to string, body []byte) {
	var in struct {
		Text string `json:"text"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Text == "" || r.Header.Get("Content-Type") != "application/json" {
		problem(w, http.StatusBadRequest, "Invalid Request", fmt.Sprintf("malformed send: %v", err), 0)
		return
	}
	f.mu.Lock()
	f.sends = append(f.sends, channelstest.Sent{To: to, Text: in.Text})
	f.raw = append(f.raw, Sent{Participant: to, Header: r.Header.Clone(), Body: body})
	var a answer
	if len(f.answers) > 0 {
		a, f.answers = f.answers[0], f.answers[1:]
	}
	f.serial++
	if a.id == "" {
		a.id = strconv.Itoa(1790000000000000000 + f.serial)
	}
	now := f.now()
	f.mu.Unlock()
	switch {
	case a.status == http.StatusTooManyRequests || a.outcome == channelstest.RateLimited:
		// Whole seconds, rounded up: the window resets no earlier.
		reset := now.Add(a.wait)
		secs := reset.Unix()
		if reset.After(time.Unix(secs, 0)) {
			secs++
		}
		problem(w, http.StatusTooManyRequests, "Too Many Requests", "Too Many Requests", secs)
	case a.status != 0:
		problem(w, a.status, http.StatusText(a.status), "answered as told", 0)
	case a.outcome == channelstest.Permanent:
		problem(w, http.StatusForbidden, "Forbidden", "You are not permitted to send messages to this user.", 0)
	case a.outcome == channelstest.Transient:
		problem(w, http.StatusServiceUnavailable, "Service Unavailable", "Service Unavailable", 0)
	default:
		writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
			"dm_conversation_id": AccountID + "-" + to, "dm_event_id": a.id}})
	}
}

func problem(w http.ResponseWriter, status int, title, detail string, reset int64) {
	if reset > 0 {
		w.Header().Set("x-rate-limit-reset", strconv.FormatInt(reset, 10))
		w.Header().Set("x-rate-limit-remaining", "0")
	}
	writeJSON(w, status, map[string]any{"title": title, "detail": detail, "type": "about:blank", "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return hook{f}, "" }

// Receipts implements channelstest.Fake: X reports no delivery status of
// a DM, only that the customer read the conversation up to a time (a
// watermark, tested in the package).
func (f *Fake) Receipts() (channelstest.Receipts, string) {
	return nil, "X reports no per-message delivery status for DMs, only read watermarks"
}

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return provider{f}, "" }

type provider struct{ f *Fake }

func (p provider) Recipient() channels.Sender { return channels.Sender{ExternalID: CustomerID} }

func (p provider) Answer(a channelstest.Answer) {
	p.f.mu.Lock()
	p.f.answers = append(p.f.answers, answer{outcome: a.Outcome, id: a.ID, wait: a.RetryAfter})
	p.f.mu.Unlock()
}

func (p provider) Sends() []channelstest.Sent {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	return append([]channelstest.Sent(nil), p.f.sends...)
}

func (p provider) Refused() int {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	return p.f.refused
}

func (p provider) Omits(string) string {
	return "the DM API v2 send takes only the participant and the text: a DM conversation has no reply-to or thread"
}

// Signature is the x-twitter-webhooks-signature of body under secret,
// computed here from the spec: "sha256=" + base64(HMAC-SHA256).
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Request is a POST of body to the webhook signed with secret ("" for
// no signature header).
func Request(body []byte, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, WebhookURL, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	if secret != "" {
		r.Header.Set("x-twitter-webhooks-signature", Signature(secret, body))
	}
	return r
}

// Millis is t as X's created_timestamp.
func Millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// DM is a message_create event from sender to recipient.
func DM(id, sender, recipient, text string, at time.Time) map[string]any {
	return map[string]any{"type": "message_create", "id": id, "created_timestamp": Millis(at),
		"message_create": map[string]any{"target": map[string]any{"recipient_id": recipient},
			"sender_id": sender, "source_app_id": "268278",
			"message_data": map[string]any{"text": text, "entities": map[string]any{
				"hashtags": []any{}, "symbols": []any{}, "user_mentions": []any{}, "urls": []any{}}}}}
}

// WithPhoto adds a photo attachment to a DM event; the text gets its
// t.co link, as X does.
func WithPhoto(e map[string]any, mediaURL string) map[string]any {
	md := e["message_create"].(map[string]any)["message_data"].(map[string]any)
	md["text"] = strings.TrimSpace(md["text"].(string) + " https://t.co/PhotoLink1")
	md["attachment"] = map[string]any{"type": "media", "media": map[string]any{
		"id": 1234567890123456789, "id_str": "1234567890123456789", "type": "photo",
		"media_url": strings.Replace(mediaURL, "https://", "http://", 1), "media_url_https": mediaURL,
		"url": "https://t.co/PhotoLink1", "display_url": "pic.twitter.com/PhotoLink1",
		"expanded_url": "https://twitter.com/messages/media/1"}}
	return e
}

// Users is a users map naming each id.
func Users(ids ...string) map[string]any {
	u := map[string]any{}
	for _, id := range ids {
		u[id] = map[string]any{"id": id, "created_timestamp": "1422556069340", "name": "User " + id,
			"screen_name": "user" + id, "protected": false, "verified": false, "followers_count": 1}
	}
	return u
}

// Body is an Account Activity body for forUser carrying DM events.
func Body(forUser string, events []map[string]any, users map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"for_user_id": forUser, "direct_message_events": events, "users": users})
	return b
}

// Numeric is a stable numeric X id for a test name.
func Numeric(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64()>>1, 10)
}

type hook struct{ f *Fake }

func (h hook) body(m channelstest.Spec) ([]byte, channelstest.Spec) {
	want := channelstest.Spec{ID: Numeric(m.ID), Sender: Numeric(m.Sender), Text: m.Text}
	return Body(AccountID, []map[string]any{DM(want.ID, want.Sender, AccountID, m.Text, h.f.clock())}, Users(want.Sender, AccountID)), want
}

func (h hook) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	b, want := h.body(m)
	return Request(b, ConsumerSecret), want
}

func (h hook) Sign(_ channelstest.TB, body []byte) *http.Request {
	return Request(body, ConsumerSecret)
}

func (h hook) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	b, _ := h.body(m)
	tampered := Request(b, ConsumerSecret)
	tampered.Body = io.NopCloser(bytes.NewReader(bytes.Replace(b, []byte(m.Text), []byte("tampered text"), 1)))
	noPrefix := Request(b, "")
	noPrefix.Header.Set("x-twitter-webhooks-signature", strings.TrimPrefix(Signature(ConsumerSecret, b), "sha256="))
	hexSig := Request(b, "")
	hm := hmac.New(sha256.New, []byte(ConsumerSecret))
	hm.Write(b)
	hexSig.Header.Set("x-twitter-webhooks-signature", fmt.Sprintf("sha256=%x", hm.Sum(nil)))
	return map[string]*http.Request{
		"unsigned":              Request(b, ""),
		"wrong secret":          Request(b, "someone-elses-consumer-secret"),
		"tampered body":         tampered,
		"signature sans prefix": noPrefix,
		"hex signature":         hexSig,
	}
}

func (h hook) Malformed() map[string][]byte {
	at := h.f.clock()
	return map[string][]byte{
		"no for_user_id":         []byte(`{"direct_message_events":[]}`),
		"numeric for_user_id":    []byte(`{"for_user_id":` + AccountID + `,"direct_message_events":[]}`),
		"events not an array":    []byte(`{"for_user_id":"` + AccountID + `","direct_message_events":{}}`),
		"event without id":       Body(AccountID, []map[string]any{DM("", "42", AccountID, "hi", at)}, nil),
		"event without sender":   Body(AccountID, []map[string]any{DM("17", "", AccountID, "hi", at)}, nil),
		"message_create missing": []byte(`{"for_user_id":"` + AccountID + `","direct_message_events":[{"type":"message_create","id":"17"}]}`),
		"a JSON array":           []byte(`[]`),
	}
}
