// Package watest is a fake WhatsApp Business Cloud API for the whatsapp
// kind: a Graph API (httptest) that checks the Bearer token on every call,
// serves the phone number, the account's message templates (in pages of
// two) and media by id, and records the messages sent; and a builder of
// the webhook notifications Meta posts, signed here from the spec's words
// (lowercase hex HMAC-SHA256 of the raw body under the app secret), not
// with the adapter's code. It implements channelstest.Fake.
package watest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// The fake config's credentials and ids.
const (
	AppSecret     = "watest-app-secret"
	VerifyToken   = "watest-verify-token"
	AccessToken   = "EAAwatestSystemUserToken"
	PhoneNumberID = "106540352242922"
	WABAID        = "102290129340398"
	DisplayNumber = "+1 555-010-0199"
	Version       = "v21.0"
)

// Clock is the fake config's Now.
var Clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Template is one of the account's templates as the fake lists them.
type Template struct {
	Name, Language, Status, Body string
	Header                       map[string]any // a HEADER component, if any
}

// Templates are the account's templates: two approved ones (one in two
// languages), one without parameters, one pending and one with an image
// header (neither can be sent by an agent).
var Templates = []Template{
	{Name: "order_update", Language: "en_US", Status: "APPROVED", Body: "Hi {{1}}, your order {{2}} has shipped."},
	{Name: "order_update", Language: "de", Status: "APPROVED", Body: "Hallo {{1}}, Ihre Bestellung {{2}} ist unterwegs."},
	{Name: "welcome", Language: "en_US", Status: "APPROVED", Body: "Welcome to the shop!"},
	{Name: "spring_sale", Language: "en_US", Status: "PENDING", Body: "Spring sale: {{1}} off"},
	{Name: "catalog_photo", Language: "en_US", Status: "APPROVED", Body: "Our new {{1}}",
		Header: map[string]any{"type": "HEADER", "format": "IMAGE", "example": map[string]any{"header_handle": []string{"4::aW..."}}}},
}

// Sent is one message the fake received, as sent.
type Sent struct {
	To, Type, Text   string
	Link, Filename   string // media by link
	Template         string // the template's name
	Language         string
	Params           []Param
	ContextID        string
	MessagingProduct string
	RecipientType    string
}

// Param is one template body parameter as sent.
type Param struct {
	Type, Name, Text string
}

// Failure is a Graph API error answer the fake gives to the next send.
type Failure struct {
	Status, Code int
	Message      string
	RetryAfter   string // the Retry-After header, if any
}

// Fake is the Cloud API and the webhook's sender.
type Fake struct {
	srv *httptest.Server

	mu            sync.Mutex
	next          []scripted // how the next sends are answered, in order
	sends         []Sent
	media         map[string]mediaFile
	refused       int
	templateCalls int
	mediaCalls    int
	n             int
}

// scripted is an Answer, or a Failure when set.
type scripted struct {
	answer  channelstest.Answer
	failure *Failure
}

type mediaFile struct {
	contentType string
	data        []byte
}

var (
	_ channelstest.Fake     = (*Fake)(nil)
	_ channelstest.Webhook  = (*Fake)(nil)
	_ channelstest.Receipts = (*Fake)(nil)
	_ channelstest.Provider = (*Fake)(nil)
)

// New starts a fake, closed when t ends.
func New(t channelstest.TB) *Fake {
	f := &Fake{media: map[string]mediaFile{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the Graph API's base URL.
func (f *Fake) URL() string { return f.srv.URL }

// Client is an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Settings are a channel's settings, pointing at the fake.
func (f *Fake) Settings() map[string]any {
	return map[string]any{"phoneNumberID": PhoneNumberID, "wabaID": WABAID, "baseURL": f.srv.URL, "graphVersion": Version, "appID": "1234567890"}
}

// Secrets are the channel's secrets.
func (f *Fake) Secrets() map[string]string {
	return map[string]string{"appSecret": AppSecret, "verifyToken": VerifyToken, "accessToken": AccessToken}
}

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{ChannelID: "ch-wa", Key: "key-wa", WebhookURL: "https://sb.example.com/webhooks/whatsapp/key-wa",
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(),
		Now: func() time.Time { return Clock }, State: &channels.MemoryState{}}
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake.
func (f *Fake) Receipts() (channelstest.Receipts, string) { return f, "" }

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// Signature is X-Hub-Signature-256 for body: "sha256=" and the lowercase
// hex HMAC-SHA256 of the raw body under secret.
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Request is a webhook POST of body signed with secret ("" leaves the
// header out).
func Request(body []byte, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp/key-wa", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	if secret != "" {
		r.Header.Set("X-Hub-Signature-256", Signature(secret, body))
	}
	return r
}

// Notification is a webhook body: one entry of the account per element
// of entries, each holding "messages" changes with the given values.
func Notification(entries ...[]map[string]any) []byte {
	var list []any
	for _, values := range entries {
		var changes []any
		for _, v := range values {
			changes = append(changes, map[string]any{"field": "messages", "value": v})
		}
		list = append(list, map[string]any{"id": WABAID, "changes": changes})
	}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": list})
	return b
}

// Value is a "messages" value of phone number id (PhoneNumberID when
// ""), with the senders' names by wa_id, and messages and statuses.
func Value(phoneNumberID string, names map[string]string, messages, statuses []map[string]any) map[string]any {
	if phoneNumberID == "" {
		phoneNumberID = PhoneNumberID
	}
	v := map[string]any{"messaging_product": "whatsapp",
		"metadata": map[string]any{"display_phone_number": "15550100199", "phone_number_id": phoneNumberID}}
	var contacts []any
	for id, name := range names {
		contacts = append(contacts, map[string]any{"profile": map[string]any{"name": name}, "wa_id": id})
	}
	if contacts != nil {
		v["contacts"] = contacts
	}
	if messages != nil {
		v["messages"] = messages
	}
	if statuses != nil {
		v["statuses"] = statuses
	}
	return v
}

// Message is a message of type typ from waID carrying content under the
// type's name (for "text": {"body": ...}).
func Message(id, waID, typ string, content any, at time.Time) map[string]any {
	m := map[string]any{"from": waID, "id": id, "timestamp": strconv.FormatInt(at.Unix(), 10), "type": typ}
	if content != nil {
		m[typ] = content
	}
	return m
}

// Text is a text message.
func Text(id, waID, body string, at time.Time) map[string]any {
	return Message(id, waID, "text", map[string]any{"body": body}, at)
}

// Status is a status update of message id; a failed one carries error
// code and title.
func Status(id, status, recipient string, at time.Time, code int, title string) map[string]any {
	s := map[string]any{"id": id, "status": status, "timestamp": strconv.FormatInt(at.Unix(), 10), "recipient_id": recipient}
	if status == "sent" {
		s["conversation"] = map[string]any{"id": "conv-1", "origin": map[string]any{"type": "service"}}
		s["pricing"] = map[string]any{"billable": true, "pricing_model": "CBP", "category": "service"}
	}
	if status == "failed" {
		s["errors"] = []any{map[string]any{"code": code, "title": title, "message": title,
			"error_data": map[string]any{"details": "Message failed to send because of an unknown error."}}}
	}
	return s
}

// WaID is a wa_id for a suite's sender id: digits stay, anything else
// becomes a made-up US number.
func WaID(sender string) string {
	if regexp.MustCompile(`^[0-9]{6,15}$`).MatchString(sender) {
		return sender
	}
	h := fnv.New32a()
	h.Write([]byte(sender))
	return fmt.Sprintf("1555%07d", h.Sum32()%10000000)
}

// Inbound implements channelstest.Webhook.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	m.Sender = WaID(m.Sender)
	body := Notification([]map[string]any{Value("", map[string]string{m.Sender: "Ada"}, []map[string]any{Text(m.ID, m.Sender, m.Text, Clock)}, nil)})
	return Request(body, AppSecret), m
}

// Sign implements channelstest.Webhook.
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request { return Request(body, AppSecret) }

// Forge implements channelstest.Webhook.
func (f *Fake) Forge(t channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	genuine, _ := f.Inbound(t, m)
	body, _ := io.ReadAll(genuine.Body)
	tampered := Request(body, AppSecret)
	tampered.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), m.Text, m.Text+"!", 1)))
	sha1Only := Request(body, "")
	sha1Only.Header.Set("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567")
	bare := Request(body, "")
	bare.Header.Set("X-Hub-Signature-256", strings.TrimPrefix(Signature(AppSecret, body), "sha256="))
	truncated := Request(body, "")
	truncated.Header.Set("X-Hub-Signature-256", Signature(AppSecret, body)[:40])
	return map[string]*http.Request{
		"another app's secret":       Request(body, "someone-elses-secret"),
		"missing signature":          Request(body, ""),
		"sha1 signature only":        sha1Only,
		"tampered body":              tampered,
		"signature without sha256=":  bare,
		"truncated signature":        truncated,
		"verify token as the secret": Request(body, VerifyToken),
	}
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	value := func(v string) []byte {
		return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"` + WABAID + `","changes":[{"field":"messages","value":` + v + `}]}]}`)
	}
	meta := `"messaging_product":"whatsapp","metadata":{"phone_number_id":"` + PhoneNumberID + `"}`
	return map[string][]byte{
		"another object":         []byte(`{"object":"page","entry":[]}`),
		"entry not a list":       []byte(`{"object":"whatsapp_business_account","entry":{}}`),
		"entry id a number":      []byte(`{"object":"whatsapp_business_account","entry":[{"id":5,"changes":[]}]}`),
		"an array":               []byte(`[]`),
		"value not an object":    value(`"x"`),
		"messages not a list":    value(`{` + meta + `,"messages":{"id":"wamid.1"}}`),
		"timestamp as text":      value(`{` + meta + `,"messages":[{"from":"15550001234","id":"wamid.1","timestamp":"now","type":"text","text":{"body":"hi"}}]}`),
		"text body a number":     value(`{` + meta + `,"messages":[{"from":"15550001234","id":"wamid.1","timestamp":"1700000000","type":"text","text":{"body":5}}]}`),
		"status errors a string": value(`{` + meta + `,"statuses":[{"id":"wamid.1","status":"failed","timestamp":"1700000000","errors":"x"}]}`),
	}
}

// Receipt implements channelstest.Receipts.
func (f *Fake) Receipt(_ channelstest.TB, providerID string, st channels.DeliveryStatus) *http.Request {
	to := f.Recipient().ExternalID
	s := Status(providerID, strings.ToLower(string(st)), to, Clock, 131026, "Message undeliverable")
	return Request(Notification([]map[string]any{Value("", nil, nil, []map[string]any{s})}), AppSecret)
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender {
	return channels.Sender{ExternalID: "15550001234", Phone: "+15550001234"}
}

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = append(f.next, scripted{answer: a})
}

// Fail makes the next send (after those already scripted by Answer and
// Fail) fail with a Graph API error.
func (f *Fake) Fail(x Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = append(f.next, scripted{failure: &x})
}

// AddMedia stores a file the customer sent, fetched by its media id.
func (f *Fake) AddMedia(id, contentType string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = mediaFile{contentType, data}
}

// Calls are the sends received, oldest first.
func (f *Fake) Calls() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sends...)
}

// TemplateCalls counts the template list requests (pages).
func (f *Fake) TemplateCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.templateCalls
}

// MediaCalls counts the media downloads served.
func (f *Fake) MediaCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mediaCalls
}

// Sends implements channelstest.Provider: a template send's text is its
// body rendered with the parameters, as the customer reads it.
func (f *Fake) Sends() []channelstest.Sent {
	var out []channelstest.Sent
	for _, s := range f.Calls() {
		cs := channelstest.Sent{To: s.To, Text: s.Text, ReplyTo: s.ContextID}
		if s.Type == "template" {
			tm := &channels.TemplateMessage{ID: s.Template, Language: s.Language, Params: map[string]any{}}
			for i, p := range s.Params {
				name := p.Name
				if name == "" {
					name = strconv.Itoa(i + 1)
				}
				tm.Params[name] = p.Text
			}
			cs.Template = tm
		}
		out = append(out, cs)
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
	if field == channelstest.FieldReplyTo {
		return "the adapter does not quote the customer's message (a WhatsApp context would show it above every reply)"
	}
	return "WhatsApp chats have no threads: one chat per customer and number"
}
