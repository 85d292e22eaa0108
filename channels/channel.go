// Package channels is the contract between Switchboard and the providers
// customers write through. Each provider is one package under channels/
// that implements Adapter and depends only on this package and its
// provider's protocol; main registers it with one line. Nothing else in
// Switchboard switches on a channel's kind.
package channels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Adapter speaks one provider's protocol. Optional interfaces add what
// some providers need: Receiver (pulling or holding a connection),
// Templater (approved templates), Enabler (registering a webhook with the
// provider when the channel is enabled) and MediaFetcher (downloading
// inbound media by its handle).
type Adapter interface {
	// Describe tells what the kind is and what it needs, for the admin UI
	// and for validation.
	Describe() Description
	// Validate checks a channel's settings and secrets before they are
	// stored (required fields, formats).
	Validate(settings map[string]any, secrets map[string]string) error
	// Verify checks the credentials with a cheap authenticated provider
	// call. It runs outside any database transaction.
	Verify(ctx context.Context, c *Config) error
	// Handshake answers a GET on the webhook URL (a provider's challenge).
	// ok=false means the kind has no handshake and the request is refused.
	Handshake(ctx context.Context, c *Config, r *http.Request) (resp Response, ok bool, err error)
	// Receive authenticates a webhook request on its raw body, before
	// parsing anything else, and parses it into channel-neutral messages,
	// delivery receipts and channel events. A forged request returns an
	// *Error with status 401 or 403; a malformed one 400.
	Receive(ctx context.Context, c *Config, r *http.Request, body []byte) (*Delivery, error)
	// Send delivers one outbound message and returns the provider's id for
	// it (the id its receipts name). Failures are *Error values: Permanent
	// ones are not retried; RetryAfter delays the next attempt.
	Send(ctx context.Context, c *Config, m *Outbound) (providerID string, err error)
}

// Receiver is implemented by kinds that fetch messages themselves (IMAP
// IDLE, polling an API) instead of, or besides, receiving webhooks. The
// server runs RunReceiver of each enabled channel of the kind on exactly
// one instance at a time (a lease), restarts it with backoff when it
// returns (an error, or nil), and cancels ctx when the channel is
// disabled or changed, or the lease is lost. It should finish a batch
// under way (deliver, then checkpoint) before returning ctx.Err().
//
// A receiver hands what it fetched to sink.Deliver, which returns once it
// is committed through the same idempotent ingest as webhooks; only then
// may the receiver advance its checkpoint in c.State. A crash between the
// two re-delivers, and the provider message id stores it once.
type Receiver interface {
	RunReceiver(ctx context.Context, c *Config, sink Sink) error
}

// Sink is where a Receiver delivers.
type Sink interface {
	// Deliver stores d's messages, receipts and events in one transaction
	// and returns where each message was stored.
	Deliver(ctx context.Context, d *Delivery) ([]Stored, error)
	// Healthy records that the receiver reached its provider just now
	// (shown as the channel's receiverStatus.lastSuccessAt): call it after
	// each successful poll or while a held connection is alive.
	Healthy()
}

// Templater is implemented by kinds that send approved templates
// (WhatsApp, WeChat template messages, SMS providers' signed templates).
// Templates lists the channel's templates, from its settings or fetched
// from the provider (an adapter that fetches caches them in c.State). It
// may be called inside a request, so it should be quick when cached.
type Templater interface {
	Templates(ctx context.Context, c *Config) ([]Template, error)
}

// Enabler is implemented by kinds that register with their provider when
// an admin enables the channel (setWebhook) and unregister when it is
// disabled. The server calls them outside any database transaction:
// Enable before the channel is marked enabled (its error refuses the
// change), Disable after it is marked disabled (its error is reported,
// the channel stays disabled).
type Enabler interface {
	Enable(ctx context.Context, c *Config) error
	Disable(ctx context.Context, c *Config) error
}

// MediaFetcher is implemented by kinds whose inbound media must be
// downloaded from the provider by a handle (a media id, an authenticated
// URL); see Media.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, c *Config, m Media) (io.ReadCloser, string, error)
}

// Description describes a kind.
type Description struct {
	Kind             string // registry name, lower_snake
	DisplayName      string
	NeedsCredentials bool // starts disabled; can be enabled once verified
	Settings         []Field
	Secrets          []Field
	Capabilities     Capabilities
}

// Field is one setting or secret an admin fills in.
type Field struct {
	Name        string
	Label       string
	Required    bool
	Description string
	// Type tells an admin UI which input to render; "" is FieldString for
	// settings and FieldSecret for secrets.
	Type FieldType
	// Options are the allowed values of a FieldSelect.
	Options []string
	// Generated secrets are created at random with the channel and can be
	// rotated (shown once); an admin may also set them.
	Generated bool
}

// FieldType is the kind of value a Field holds: the GraphQL enum
// ChannelFieldType.
type FieldType string

// The field types.
const (
	FieldString  FieldType = "STRING"
	FieldSecret  FieldType = "SECRET"
	FieldURL     FieldType = "URL"
	FieldNumber  FieldType = "NUMBER"
	FieldBoolean FieldType = "BOOLEAN"
	FieldSelect  FieldType = "SELECT"
	FieldList    FieldType = "LIST"
)

// TypeOf is f's type with the default filled in.
func (f Field) TypeOf(secret bool) FieldType {
	switch {
	case f.Type != "":
		return f.Type
	case secret:
		return FieldSecret
	}
	return FieldString
}

// FieldError is a validation error about one setting or secret: the
// server reports it as INVALID_INPUT with extensions.field naming
// "settings.<Field>" or "secrets.<Field>".
type FieldError struct {
	Field   string
	Secret  bool
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// SettingError returns a FieldError about a setting.
func SettingError(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// SecretError returns a FieldError about a secret.
func SecretError(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Secret: true, Message: fmt.Sprintf(format, args...)}
}

// Capabilities tell what a kind can do. The inbox enforces them: a reply
// the channel cannot send is refused before anything is queued (see
// inbox.ReplyBlocks).
type Capabilities struct {
	Inbound      bool // receives messages through its webhook or receiver
	Outbound     bool // can send free text
	TemplateOnly bool // can only send approved templates
	// Templates: can send approved templates (the adapter is a
	// Templater); outside the reply window a template may still be sent.
	Templates   bool
	Attachments bool          // can send attachments
	MaxLength   int           // longest text it sends, in characters; 0 = no limit
	ReplyWindow time.Duration // free text allowed this long after the customer's last message; 0 = always
	// AddressByExternalID: the channel can send to a customer by their
	// verified EXTERNAL_ID identity when they have no CHANNEL_USER identity
	// on it yet (the api channel: the integrator knows its own ids).
	AddressByExternalID bool
	// AddressByPhone: the channel can send to a customer by their phone
	// number (a PHONE identity, verified ones first) when they have no
	// CHANNEL_USER identity on it yet (SMS); Outbound.Recipient then has
	// ExternalID and Phone set to the number in E.164.
	AddressByPhone bool
}

// Config is one channel as an adapter sees it.
type Config struct {
	ChannelID  string
	Key        string
	WebhookURL string
	Settings   map[string]any
	Secrets    map[string]string
	HTTP       *http.Client
	Now        func() time.Time
	// State is the channel's small shared store (access tokens, IMAP
	// UIDs, cursors), the same on every instance.
	State State
}

// Setting returns a string setting, or "".
func (c *Config) Setting(name string) string {
	s, _ := c.Settings[name].(string)
	return s
}

// Sender is who sent an inbound message, as the provider names them.
type Sender struct {
	ExternalID string // the provider's id of the sender, unique within the channel
	Name       string
	Email      string
	Phone      string
	// Verified says the provider vouches for Email and Phone (an
	// integrator's signed request does; a typed form field does not).
	// Verified identities may merge customers automatically.
	Verified bool `json:"-"`
	// PlatformID is the provider's id of the person across several of the
	// business's accounts (a WeChat unionid, shared by the official
	// accounts bound to one Open Platform account), prefixed by the adapter
	// with its platform ("wechat:" + unionid). The provider vouches for it,
	// so it is a verified identity not scoped to one channel: a customer
	// who writes to two of the business's accounts is one customer.
	PlatformID string `json:"-"`
}

// Attachment is a file sent with a message. Inbound, URL is where the
// sender keeps it (Switchboard fetches it). Outbound, URL is a signed
// link to Switchboard's copy that works without credentials for a day
// (for providers that fetch media by URL), and Open reads the bytes (for
// providers that take uploads).
type Attachment struct {
	URL         string `json:"url"`
	ContentType string `json:"contentType,omitempty"`
	Name        string `json:"name,omitempty"`
	Size        int64  `json:"size,omitempty"`
	// Open reads the file; set on outbound attachments only.
	Open func(ctx context.Context) (io.ReadCloser, error) `json:"-"`
}

// File is a file an inbound message carries in full.
type File struct {
	Name, ContentType string
	// ContentID names an inline part (a mail's cid: image).
	ContentID string
	Inline    bool
	Data      []byte
}

// Media is a file an inbound message carries that the provider keeps
// until it is fetched: ID is the provider's handle (a WeChat media id, a
// WhatsApp media id), URL its address when the provider gives one. The
// adapter's MediaFetcher downloads it.
type Media struct {
	ID          string `json:"id,omitempty"`
	URL         string `json:"url,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Name        string `json:"name,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// Inbound is one message a customer sent.
type Inbound struct {
	ProviderMessageID string // dedupe key, unique per channel
	Sender            Sender
	Text              string
	Attachments       []Attachment
	Media             []Media // files still at the provider
	// Files are files the message carries in full (a mail's parts), stored
	// with it.
	Files []File
	// HTML is the message's HTML, already sanitised by the adapter (no
	// scripts, no event handlers); Text is its text, as always.
	HTML string
	// Source is the message exactly as received (a mail's raw bytes),
	// kept as a file: the full text when Text had to be shortened.
	Source *File
	// ThreadKey targets a conversation: the Key of one of the channel's
	// conversations (Outbound.ThreadKey, carried back by a reply address
	// or a provider's thread id). The message joins that conversation
	// when it is the sender's; otherwise the customer's open one, as
	// without a key.
	ThreadKey string
	// InReplyTo are provider message ids the message answers (a mail's
	// In-Reply-To and References): without a ThreadKey, the message joins
	// the conversation of the latest of them stored or sent on the
	// channel, when it is the sender's.
	InReplyTo []string
	// Subject is the message's subject line (mail): a conversation it
	// starts takes it.
	Subject string
	// AutoSubmitted marks messages no person wrote (auto-replies,
	// bounces, bots): stored, but they never reopen a conversation, never
	// make the customer wait and never trigger auto-replies.
	AutoSubmitted bool
	Time          time.Time
	// Metadata holds the provider's extras worth keeping with the message
	// (stored as Message.metadata). The key "sanitized" is Switchboard's:
	// Sanitize notes there what it changed.
	Metadata map[string]any
}

// Delivery is what one webhook request (or one receiver fetch) carried,
// and how to answer it.
type Delivery struct {
	Messages []Inbound
	Receipts []Receipt
	Events   []Event
	// Calls are telephone call events (a phone channel's PBX or CTI
	// bridge): each updates the channel's call with its ProviderCallID.
	Calls []Call
	// Respond builds the answer once the messages are stored; results are
	// in the order of Messages. Nil means 200 with an empty body.
	Respond func(results []Stored) Response
}

// DeliveryStatus is how far an outbound message got: the GraphQL enum
// MessageDeliveryStatus without QUEUED.
type DeliveryStatus string

// Delivery statuses a receipt reports.
const (
	StatusSent      DeliveryStatus = "SENT"
	StatusDelivered DeliveryStatus = "DELIVERED"
	StatusRead      DeliveryStatus = "READ"
	StatusFailed    DeliveryStatus = "FAILED"
)

// Receipt is the provider's word on an outbound message, named by the id
// Send returned. Receipts never move a message's status backwards (READ
// stays READ when a late DELIVERED arrives); one for an id not recorded
// yet (the provider answered before Send returned) is kept and applied
// when it is.
//
// A watermark receipt names no message but a recipient and a time
// (Messenger's "read up to here"): ProviderMessageID is empty, Recipient
// is the customer's id on the channel (a Sender.ExternalID) and Watermark
// the time; every message sent to them on the channel up to then moves to
// Status.
type Receipt struct {
	ProviderMessageID string
	Status            DeliveryStatus
	Reason            string // for StatusFailed: the provider's error, for agents
	Time              time.Time
	Recipient         string
	Watermark         time.Time
}

// EventKind is a channel event's kind: the GraphQL enum ChannelEventKind.
type EventKind string

// Channel events.
const (
	EventFollowed   EventKind = "FOLLOWED"   // subscribed to the account
	EventUnfollowed EventKind = "UNFOLLOWED" // unsubscribed: also opted out
	EventOptedOut   EventKind = "OPTED_OUT"  // asked for no more messages (STOP)
	EventOptedIn    EventKind = "OPTED_IN"   // asked for messages again (START)
	EventMenuClick  EventKind = "MENU_CLICK" // Detail: the menu item's key
	EventCall       EventKind = "CALL"       // Detail: the call's outcome
)

// OptsOut reports whether the event makes the customer unreachable on
// the channel; OptsIn whether it makes them reachable again.
func (k EventKind) OptsOut() bool { return k == EventUnfollowed || k == EventOptedOut }

// OptsIn reports whether the event makes the customer reachable again.
func (k EventKind) OptsIn() bool { return k == EventFollowed || k == EventOptedIn }

// Event is something a customer did on the channel that is not a
// message. It is recorded on the customer's conversation on the channel
// (their open one, or the latest; one is started only for a follow or a
// call) as a timeline activity.
type Event struct {
	ProviderEventID string // dedupe key when the provider has one
	Kind            EventKind
	Sender          Sender
	Detail          string // a menu key, a call's outcome and duration
	Time            time.Time
}

// CallStatus is how far a call got: the GraphQL enum CallStatus.
// RINGING < ANSWERED < ENDED; MISSED is final. A call never moves back.
type CallStatus string

// Call statuses.
const (
	CallRinging  CallStatus = "RINGING"
	CallAnswered CallStatus = "ANSWERED"
	CallEnded    CallStatus = "ENDED"
	CallMissed   CallStatus = "MISSED"
)

// CallDirection says who called: the GraphQL enum CallDirection.
type CallDirection string

// Call directions.
const (
	CallInbound  CallDirection = "INBOUND"  // the customer called the business
	CallOutbound CallDirection = "OUTBOUND" // the business called the customer
)

// Call is one event of a telephone call, as a telephony system reports
// it. The inbox keeps one call per channel and ProviderCallID, moving its
// status forward only, on the timeline of the customer whose number is
// From (inbound) or To (outbound).
type Call struct {
	ProviderCallID string // the call's id at the provider: the dedupe key, unique per channel
	Status         CallStatus
	Direction      CallDirection
	From, To       string // E.164 numbers (the adapter normalises them)
	// AgentEmail or AgentID name the agent who took or placed the call,
	// when the telephony system knows them; the inbox matches them to
	// the workspace's agents (an id, then an email), or ignores them.
	AgentEmail, AgentID string
	StartedAt           time.Time
	AnsweredAt, EndedAt time.Time // zero when unknown
	Duration            time.Duration
	// RecordingURL is where the provider keeps the call's recording; it
	// is fetched into a file (Media).
	RecordingURL string
}

// Stored is where an inbound message was stored.
type Stored struct {
	ConversationID string
	MessageID      string
	Duplicate      bool // seen before: stored once, acknowledged again
}

// Response is an HTTP answer to a provider.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Outbound is one message to deliver.
type Outbound struct {
	DeliveryID     string // stable across retries
	MessageID      string
	ConversationID string
	// ThreadKey is the conversation's unguessable key: an adapter puts it
	// where the customer's reply carries it back (a reply address) and
	// returns it as Inbound.ThreadKey.
	ThreadKey string
	// Subject is the conversation's subject ("" when it has none): a
	// mail's subject line.
	Subject     string
	Recipient   Sender // the customer's identity on this channel
	Text        string // empty for a template without a known body
	Attachments []Attachment
	// ReplyTo is the provider's id of the customer's latest message in
	// the conversation (passive replies, In-Reply-To); "" when none.
	ReplyTo string
	// LastInboundAt is when the customer last wrote on this channel (zero
	// when never): the start of the provider's reply window, for kinds
	// whose send depends on how long ago that was (Messenger's RESPONSE
	// within 24 hours, HUMAN_AGENT tag after).
	LastInboundAt time.Time
	// Template is set when an agent sent an approved template; Text is
	// then its body with the parameters filled in, when the body is known.
	Template  *TemplateMessage
	CreatedAt time.Time
}

// Template is an approved message template of a channel.
type Template struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Language string   `json:"language,omitempty"`
	Params   []string `json:"params"`
	// Body is the text with {{param}} placeholders, when known.
	Body string `json:"body,omitempty"`
}

// TemplateMessage is a template to send, with its parameters.
type TemplateMessage struct {
	ID       string         `json:"id"`
	Language string         `json:"language,omitempty"`
	Params   map[string]any `json:"params,omitempty"`
}

// Error is a failure an adapter reports: an HTTP status for webhook
// requests, or whether a send may be retried.
type Error struct {
	Status    int  // for Receive and Handshake: the answer to give
	Permanent bool // for Send: retrying cannot help
	// RetryAfter: for Send, the provider asked to wait this long (a 429's
	// Retry-After); the next attempt is no earlier.
	RetryAfter time.Duration
	// Credentials: for Send, the provider refused the channel's
	// credentials (a revoked or expired token). The send fails for good and
	// the channel's verification becomes FAILED with Reason, so an admin
	// sees that they must renew them.
	Credentials bool
	Reason      string
	Err         error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Rejected returns a webhook error with an HTTP status.
func Rejected(status int, format string, args ...any) *Error {
	return &Error{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// Permanent returns a send error that retrying cannot fix.
func Permanent(format string, args ...any) *Error {
	return &Error{Permanent: true, Reason: fmt.Sprintf(format, args...)}
}

// Transient returns a send error worth retrying.
func Transient(err error, format string, args ...any) *Error {
	return &Error{Reason: fmt.Sprintf(format, args...), Err: err}
}

// CredentialsRefused returns a permanent send error saying the provider
// refused the channel's credentials (see Error.Credentials).
func CredentialsRefused(format string, args ...any) *Error {
	return &Error{Permanent: true, Credentials: true, Reason: fmt.Sprintf(format, args...)}
}

// IsCredentials reports whether a send error says the channel's
// credentials were refused.
func IsCredentials(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Credentials
}

// RetryLater returns a send error the provider asked to retry after d.
func RetryLater(d time.Duration, format string, args ...any) *Error {
	return &Error{RetryAfter: d, Reason: fmt.Sprintf(format, args...)}
}

// RetryAfterOf is how long err asks to wait before the next attempt; 0
// when it does not say.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	return 0
}

// IsPermanent reports whether a send error must not be retried.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// Time is the current time as the channel sees it: c.Now(), or the
// system's time when Now is not set.
func (c *Config) Time() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// IsHTTPURL reports whether s is an absolute http or https URL with a
// host (a provider's base URL, a callback URL).
func IsHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
