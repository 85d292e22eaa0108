// Package metatest is a fake Meta platform for the Messenger and
// Instagram kinds: a Graph API (httptest) that checks the Page token on
// every call and records Send API calls, and a builder of the webhook
// notifications Meta posts, signed here from the spec's words (lowercase
// hex HMAC-SHA256 of the raw body under the app secret), not with the
// adapters' code. It implements channelstest.Fake.
package metatest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// The fake config's credentials and ids.
const (
	AppSecret   = "metatest-app-secret"
	VerifyToken = "metatest-verify-token"
	PageToken   = "EAAmetatestPageToken"
	AccountID   = "104987654321098"
	Version     = "v21.0"
)

// Clock is the fake config's Now.
var Clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Sent is one Send API call as the fake received it.
type Sent struct {
	To, MessagingType, Tag, Text string
	AttachmentType, URL          string
}

// Fake is the Graph API and the webhook's sender for one kind.
type Fake struct {
	srv     *httptest.Server
	object  string // "page" or "instagram"
	setting string // the account setting: "pageID" or "accountID"

	mu      sync.Mutex
	next    []channelstest.Answer
	sends   []Sent
	refused int
	n       int
}

var (
	_ channelstest.Fake     = (*Fake)(nil)
	_ channelstest.Webhook  = (*Fake)(nil)
	_ channelstest.Provider = (*Fake)(nil)
)

// NewMessenger starts a fake for the messenger kind, closed when t ends.
func NewMessenger(t channelstest.TB) *Fake { return start(t, "page", "pageID") }

// NewInstagram starts a fake for the instagram kind.
func NewInstagram(t channelstest.TB) *Fake { return start(t, "instagram", "accountID") }

func start(t channelstest.TB, object, setting string) *Fake {
	f := &Fake{object: object, setting: setting}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the Graph API's base URL.
func (f *Fake) URL() string { return f.srv.URL }

// Settings and Secrets are a channel's, pointing at the fake.
func (f *Fake) Settings() map[string]any {
	return map[string]any{f.setting: AccountID, "baseURL": f.srv.URL, "graphVersion": Version, "appID": "1234567890"}
}

// Secrets are the channel's secrets.
func (f *Fake) Secrets() map[string]string {
	return map[string]string{"appSecret": AppSecret, "verifyToken": VerifyToken, "accessToken": PageToken}
}

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{ChannelID: "ch-meta", Key: "key-meta", WebhookURL: "https://sb.example.com/webhooks/x/key-meta",
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(),
		Now: func() time.Time { return Clock }, State: &channels.MemoryState{}}
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake: Messenger reports deliveries by
// message id but reads only as watermarks, and failures never.
func (f *Fake) Receipts() (channelstest.Receipts, string) {
	return nil, "Messenger-style webhooks report reads as watermarks (all messages up to a time) and never report failures; watermarks are tested in the package and server tests"
}

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// Signature is X-Hub-Signature-256 for body.
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Request is a webhook POST of body signed with secret ("" leaves the
// header out).
func Request(body []byte, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/meta/key-meta", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	if secret != "" {
		r.Header.Set("X-Hub-Signature-256", Signature(secret, body))
	}
	return r
}

// Notification is the body of a notification with one entry of the
// account carrying items.
func (f *Fake) Notification(items ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"object": f.object, "entry": []any{
		map[string]any{"id": AccountID, "time": Clock.UnixMilli(), "messaging": items}}})
	return b
}

// Text is a messaging item carrying a customer's text message.
func Text(mid, sender, text string, at time.Time) map[string]any {
	return map[string]any{"sender": map[string]any{"id": sender}, "recipient": map[string]any{"id": AccountID},
		"timestamp": at.UnixMilli(), "message": map[string]any{"mid": mid, "text": text}}
}

// Inbound implements channelstest.Webhook.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	return Request(f.Notification(Text(m.ID, m.Sender, m.Text, Clock)), AppSecret), m
}

// Sign implements channelstest.Webhook.
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request { return Request(body, AppSecret) }

// Forge implements channelstest.Webhook.
func (f *Fake) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	body := f.Notification(Text(m.ID, m.Sender, m.Text, Clock))
	tampered := Request(body, AppSecret)
	tampered.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), m.Text, m.Text+"!", 1)))
	sha1Only := Request(body, "")
	sha1Only.Header.Set("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567")
	return map[string]*http.Request{
		"another app's secret": Request(body, "someone-elses-secret"),
		"missing signature":    Request(body, ""),
		"sha1 signature only":  sha1Only,
		"tampered body":        tampered,
	}
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	other := "instagram"
	if f.object == "instagram" {
		other = "page"
	}
	return map[string][]byte{
		"another object":    []byte(`{"object":"` + other + `","entry":[]}`),
		"entry not a list":  []byte(`{"object":"` + f.object + `","entry":{}}`),
		"wrong types":       []byte(`{"object":"` + f.object + `","entry":[{"id":5,"messaging":"x"}]}`),
		"an array":          []byte(`[]`),
		"timestamp as text": []byte(`{"object":"` + f.object + `","entry":[{"id":"1","messaging":[{"timestamp":"now"}]}]}`),
	}
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender { return channels.Sender{ExternalID: "6543210987654321"} }

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = append(f.next, a)
}

// Calls are the Send API calls received, oldest first.
func (f *Fake) Calls() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sends...)
}

// Sends implements channelstest.Provider.
func (f *Fake) Sends() []channelstest.Sent {
	var out []channelstest.Sent
	for _, s := range f.Calls() {
		out = append(out, channelstest.Sent{To: s.To, Text: s.Text})
	}
	return out
}

// Refused implements channelstest.Provider.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Omits implements channelstest.Provider.
func (f *Fake) Omits(field string) string {
	return "the Send API addresses a person, not a message or thread: it has no " + field
}

func graphError(w http.ResponseWriter, status, code, subcode int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"OAuthException","code":%d,"error_subcode":%d,"fbtrace_id":"AbCdEf"}}`, msg, code, subcode)
}

// serve is the Graph API: GET /{v}/me and /{v}/{account} (verify) and
// POST /{v}/me/messages (the Send API, token in the query).
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("access_token")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if token != PageToken {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		graphError(w, http.StatusUnauthorized, 190, 0, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/"+Version)
	switch {
	case !ok:
		graphError(w, http.StatusBadRequest, 2500, 0, "Unknown path components")
	case r.Method == http.MethodGet && (path == "/me" || path == "/"+AccountID):
		fmt.Fprintf(w, `{"id":%q,"name":"Metatest Shop","username":"metatest.shop"}`, AccountID)
	case r.Method == http.MethodPost && path == "/me/messages":
		f.send(w, r)
	default:
		graphError(w, http.StatusBadRequest, 100, 0, "Unsupported request")
	}
}

func (f *Fake) send(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Recipient     struct{ ID string } `json:"recipient"`
		MessagingType string              `json:"messaging_type"`
		Tag           string              `json:"tag"`
		Message       struct {
			Text       string `json:"text"`
			Attachment *struct {
				Type    string `json:"type"`
				Payload struct {
					URL string `json:"url"`
				} `json:"payload"`
			} `json:"attachment"`
		} `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Recipient.ID == "" ||
		(req.Message.Text == "") == (req.Message.Attachment == nil) {
		graphError(w, http.StatusBadRequest, 100, 0, "(#100) Invalid parameter")
		return
	}
	switch req.MessagingType {
	case "RESPONSE", "UPDATE":
	case "MESSAGE_TAG":
		if req.Tag == "" {
			graphError(w, http.StatusBadRequest, 100, 0, "(#100) Tag is required for MESSAGE_TAG")
			return
		}
	default:
		graphError(w, http.StatusBadRequest, 100, 0, "(#100) messaging_type is required")
		return
	}
	f.mu.Lock()
	var a channelstest.Answer
	if len(f.next) > 0 {
		a, f.next = f.next[0], f.next[1:]
	}
	s := Sent{To: req.Recipient.ID, MessagingType: req.MessagingType, Tag: req.Tag, Text: req.Message.Text}
	if at := req.Message.Attachment; at != nil {
		s.AttachmentType, s.URL = at.Type, at.Payload.URL
	}
	f.sends = append(f.sends, s)
	f.n++
	n := f.n
	f.mu.Unlock()
	switch a.Outcome {
	case channelstest.Permanent:
		graphError(w, http.StatusBadRequest, 551, 1545041, "This person isn't available right now.")
	case channelstest.Transient:
		graphError(w, http.StatusInternalServerError, 2, 0, "An unexpected error has occurred. Please retry your request later.")
	case channelstest.RateLimited:
		// Meta documents no Retry-After; the adapter waits a minute.
		graphError(w, http.StatusBadRequest, 613, 0, "Calls to this api have exceeded the rate limit.")
	default:
		id := a.ID
		if id == "" {
			id = fmt.Sprintf("m_metatest-%d", n)
		}
		fmt.Fprintf(w, `{"recipient_id":%q,"message_id":%q}`, req.Recipient.ID, id)
	}
}
