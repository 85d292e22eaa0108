// Package channelstest is the conformance suite of channel adapters. Every
// kind's package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		channelstest.Run(t, api.New(), apitest.NewFake(t))
//	}
//
// Run tests at the adapter boundary, without a database: a Recorder plays
// Switchboard's idempotent ingest (messages keyed by their provider
// message id, receipts applied without moving a status backwards). The
// adapter talks to a Fake of its provider: a local httptest server that
// records what it received and checks the authentication the adapter
// must send, plus builders of the genuine (and forged) requests the
// provider would post to the webhook.
//
// A kind without a side (web chat has no webhook and no provider) says so
// and why; the suite then skips those checks, naming the reason.
package channelstest

import (
	"net/http"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// TB is the part of testing.TB the suite and fakes use; *testing.T
// satisfies it. Fatalf and Skipf end the calling goroutine.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
}

// Fake is a provider's local stand-in. The suite calls Config at least
// once per check, and every method any number of times. A fake is
// used by one Run at a time, from one goroutine at a time (its httptest
// handler still needs a mutex: the adapter's requests arrive on others).
type Fake interface {
	// Config is a valid channel config (the adapter's Validate accepts its
	// settings and secrets) pointing at the fake: its URLs, its HTTP
	// client, a fixed Now that the fake's signatures are made for, and a
	// fresh State (&channels.MemoryState{}).
	Config(t TB) *channels.Config
	// Webhook is the provider's side posting to the webhook URL; nil, and
	// why, for a kind without a webhook.
	Webhook() (w Webhook, why string)
	// Receipts builds the provider's delivery-status callbacks; nil, and
	// why, for a kind without receipts.
	Receipts() (r Receipts, why string)
	// Provider is the provider's side receiving what the adapter sends;
	// nil, and why, for a kind whose Send does not leave the server.
	// Without one the suite only checks that Send succeeds with an id.
	// A template-only kind (Capabilities.TemplateOnly) is sent its first
	// template, each parameter filled in and Text its body with them.
	Provider() (p Provider, why string)
}

// Spec is one inbound message for a Webhook to carry.
type Spec struct {
	ID     string // the provider's message id
	Sender string // the provider's id of the sender
	Text   string
}

// Webhook builds requests as the provider posts them to the channel's
// webhook URL. Bodies must be readable (the suite reads them, as the
// server does, and hands the raw bytes to Receive).
type Webhook interface {
	// Inbound is a genuine, authenticated request carrying one text
	// message. A provider whose ids have a fixed form may rewrite m's ids
	// into it (an email address from Sender); it returns the request and
	// the message as the adapter should report it (ProviderMessageID,
	// Sender.ExternalID and Text).
	Inbound(t TB, m Spec) (*http.Request, Spec)
	// Sign is a genuine request with any body (signed, timestamped, with
	// the provider's headers): the suite signs malformed bodies with it.
	Sign(t TB, body []byte) *http.Request
	// Forge lists requests carrying m that the provider did not send, by
	// name: a bad signature, a missing one, a stale or replayed timestamp
	// where the protocol has one, a tampered body. Each must be refused
	// with a *channels.Error of status 401 or 403. At least one.
	Forge(t TB, m Spec) map[string]*http.Request
	// Malformed lists protocol-specific bodies that are not a valid
	// message (wrong types, missing required fields), by name; the suite
	// adds an empty body, a truncated JSON one and 1 MiB of garbage.
	Malformed() map[string][]byte
}

// Receipts builds the provider's delivery-status callbacks.
type Receipts interface {
	// Receipt is a genuine, authenticated webhook request saying that the
	// message Send returned providerID for reached status. For
	// channels.StatusFailed it carries a reason.
	Receipt(t TB, providerID string, status channels.DeliveryStatus) *http.Request
}

// NoRead is implemented by Receipts whose provider never reports that a
// message was read (SMS carriers report delivery only): NoRead says why,
// and the receipt checks leave READ out.
type NoRead interface {
	NoRead() string
}

// Provider is the fake provider's receiving side: its httptest server.
// It answers requests without valid authentication (signature, bearer
// token) 401 and counts them, records the others and answers them as
// Answer said. It must not accept anything unauthenticated.
type Provider interface {
	// Recipient is who the suite sends to: a Sender as the channel
	// stores the customer (ExternalID, and Email or Phone if the kind
	// addresses by them).
	Recipient() channels.Sender
	// Answer sets how the next send is answered; later ones are OK with
	// an id of the fake's choosing. Adapters must not retry on their own:
	// Switchboard's outbox does.
	Answer(a Answer)
	// Sends lists the authenticated sends received so far, oldest first.
	Sends() []Sent
	// Refused counts the requests answered 401 for lacking valid
	// authentication.
	Refused() int
	// Omits says why the protocol cannot carry an Outbound field
	// (FieldReplyTo, FieldThreadKey); "" when it carries it.
	Omits(field string) string
}

// PassiveReplier is implemented by a Provider whose protocol only sends
// passive replies, each answering one of the customer's messages (QQ
// bots): every send of the suite then carries ReplyTo() as
// Outbound.ReplyTo, as the outbox fills it from the conversation's latest
// inbound message.
type PassiveReplier interface {
	ReplyTo() string
}

// Unnumbered is implemented by a Provider whose answer to a send names no
// message (WeChat's customer-service API): the adapter's Send then returns
// an id of its own that is stable across retries, the Outbound's
// DeliveryID. Unnumbered says why; "" means the provider does name them.
type Unnumbered interface {
	Unnumbered() string
}

// Renumbering is implemented by a Provider whose message ids have a form
// the suite's answer ids cannot take (Telegram's integer message ids,
// numbered per chat): SentID is the id Send returns for a send the fake
// answered with Answer{ID: id}.
type Renumbering interface {
	SentID(id string) string
}

// Outbound fields a protocol may not carry.
const (
	FieldReplyTo   = "replyTo"
	FieldThreadKey = "threadKey"
)

// Outcome is how the fake provider answers a send.
type Outcome int

// Outcomes.
const (
	OK          Outcome = iota // accepted, with Answer.ID as the provider's id
	Permanent                  // refused for good (an invalid recipient: a 4xx other than 408 and 429)
	Transient                  // failed for now (a 500)
	RateLimited                // a 429 asking to wait Answer.RetryAfter
)

// Answer is how the fake answers the next send.
type Answer struct {
	Outcome    Outcome
	ID         string        // for OK: the provider's id of the message
	RetryAfter time.Duration // for RateLimited: whole seconds
}

// Sent is one send as the fake provider received it, in channel-neutral
// terms.
type Sent struct {
	To        string // the recipient as addressed (Recipient().ExternalID)
	Text      string
	ReplyTo   string
	ThreadKey string
	Template  *channels.TemplateMessage
}
