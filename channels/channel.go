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
	"net/http"
	"time"
)

// Adapter speaks one provider's protocol.
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
	// parsing anything else, and parses it into channel-neutral messages.
	// A forged request returns an *Error with status 401 or 403; a
	// malformed one 400.
	Receive(ctx context.Context, c *Config, r *http.Request, body []byte) (*Delivery, error)
	// Send delivers one outbound message and returns the provider's id for
	// it. Failures are *Error values: Permanent ones are not retried.
	Send(ctx context.Context, c *Config, m *Outbound) (providerID string, err error)
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
	// Generated secrets are created at random with the channel and can be
	// rotated (shown once); an admin may also set them.
	Generated bool
}

// Capabilities tell what a kind can do.
type Capabilities struct {
	Inbound      bool          // receives messages through its webhook
	Outbound     bool          // can send free text
	TemplateOnly bool          // can only send approved templates
	Attachments  bool          // can send attachments
	MaxLength    int           // longest text it sends, in characters; 0 = no limit
	ReplyWindow  time.Duration // replies allowed this long after the customer's last message; 0 = always
	// AddressByExternalID: the channel can send to a customer by their
	// verified EXTERNAL_ID identity when they have no CHANNEL_USER identity
	// on it yet (the api channel: the integrator knows its own ids).
	AddressByExternalID bool
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
}

// Attachment is a file sent with a message.
type Attachment struct {
	URL         string `json:"url"`
	ContentType string `json:"contentType,omitempty"`
	Name        string `json:"name,omitempty"`
}

// Inbound is one message a customer sent.
type Inbound struct {
	ProviderMessageID string // dedupe key, unique per channel
	Sender            Sender
	Text              string
	Attachments       []Attachment
	ThreadKey         string // the provider's conversation hint, if any
	Time              time.Time
	// Metadata holds the provider's extras worth keeping with the message
	// (stored as Message.metadata). The key "sanitized" is Switchboard's:
	// Sanitize notes there what it changed.
	Metadata map[string]any
}

// Delivery is what one webhook request carried, and how to answer it.
type Delivery struct {
	Messages []Inbound
	// Respond builds the answer once the messages are stored; results are
	// in the order of Messages. Nil means 200 with an empty body.
	Respond func(results []Stored) Response
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
	Recipient      Sender // the customer's identity on this channel
	Text           string
	Attachments    []Attachment
	CreatedAt      time.Time
}

// Error is a failure an adapter reports: an HTTP status for webhook
// requests, or whether a send may be retried.
type Error struct {
	Status    int  // for Receive and Handshake: the answer to give
	Permanent bool // for Send: retrying cannot help
	Reason    string
	Err       error
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

// IsPermanent reports whether a send error must not be retried.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}
