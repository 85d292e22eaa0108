// Package channelstest is the conformance suite every channel adapter
// passes: Run(t, adapter, fake) drives the adapter against a local fake of
// its provider and checks what Switchboard relies on, at the adapter's
// boundary (no database: a small recorder plays the part of the inbox's
// idempotent ingest and its receipt rule):
//
//   - forged requests (bad or missing signature, a replayed or stale
//     timestamp where the protocol has one) are refused with 401 or 403
//     and deliver nothing; malformed ones with a 4xx; a megabyte of
//     garbage is refused without a panic;
//   - a genuine request delivered twice names the same provider message
//     id, so it is stored once;
//   - receipts come through, and applied in the order the provider sent
//     them never move a message's status backwards;
//   - sends authenticate to the provider (the fake counts requests it
//     refused), return the provider's id, carry the reply-to id, the
//     thread key and a template, and report permanent failures as
//     permanent, transient ones as retryable, and a rate limit with at
//     least the delay the provider asked for.
//
// A provider's fake implements Fake; Features says which parts its kind
// has (website chat has no webhook, many kinds have no receipts).
package channelstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Fake is a local stand-in for a provider, built from the facts of its
// protocol.
type Fake interface {
	// Features says which parts of the contract the kind has.
	Features() Features
	// Config is a channel pointing at the fake (settings, secrets, HTTP
	// client, clock, a fresh state store).
	Config() *channels.Config

	// Inbound is a genuine webhook request carrying one message, as the
	// provider would send it; each call builds a new request (a retry of
	// the same message builds the same content).
	Inbound(m Message) *http.Request
	// Forged are requests carrying m that the adapter must refuse as not
	// the provider's: a wrong signature, none, a stale or replayed
	// timestamp...
	Forged(m Message) []Case
	// Malformed are authentic requests whose content is unusable.
	Malformed() []Case
	// Receipt is a genuine status callback for a message the adapter sent
	// with providerID; nil when the kind has no receipts.
	Receipt(providerID string, status channels.DeliveryStatus) *http.Request

	// Answer sets how the fake answers the next send.
	Answer(a Answer)
	// Sent lists the sends the fake accepted as authentic, in order.
	Sent() []Sent
	// Unauthenticated counts sends the fake refused because they were
	// not authenticated as the provider requires.
	Unauthenticated() int
}

// Features are the parts of the contract a kind has.
type Features struct {
	Webhook  bool // receives messages through its webhook
	Receipts bool // reports delivery status through its webhook
	// Provider: sends reach the fake provider (false for website chat,
	// whose replies are delivered by being stored).
	Provider bool
}

// Message is what a test message carries.
type Message struct {
	ID     string // the provider's message id
	Sender string // the provider's id of the sender
	Text   string
}

// Case is one request the adapter must refuse.
type Case struct {
	Name    string
	Request *http.Request
}

// AnswerKind is how the fake answers a send.
type AnswerKind int

// The answers.
const (
	AnswerOK          AnswerKind = iota // accepted, with Answer.ProviderID
	AnswerPermanent                     // refused for good (an unknown recipient)
	AnswerTransient                     // a server error
	AnswerRateLimited                   // too many requests, retry after Answer.RetryAfter
)

// Answer is how the fake answers the next send.
type Answer struct {
	Kind       AnswerKind
	ProviderID string
	RetryAfter time.Duration
}

// Sent is a send as the provider saw it.
type Sent struct {
	Recipient string
	Text      string
	ReplyTo   string
	ThreadKey string
	Template  *channels.TemplateMessage
}

// TB is what the checks report to: *testing.T, or a recorder in the
// suite's own test.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// check is one part of the suite; it returns why it was skipped, or "".
type check struct {
	name string
	run  func(t TB, a channels.Adapter, f Fake) (skip string)
}

var checks = []check{
	{"forged requests are refused", forged},
	{"malformed requests are refused", malformed},
	{"garbage is refused without a panic", garbage},
	{"a redelivered message is stored once", duplicates},
	{"receipts never move a status backwards", receiptsInOrder},
	{"a send authenticates and returns the provider id", sendOK},
	{"permanent and transient send failures", sendFailures},
	{"a rate limit's retry-after is honoured", rateLimited},
	{"templates reach the provider", templates},
}

// Run runs the suite as subtests of t.
func Run(t *testing.T, a channels.Adapter, f Fake) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if skip := c.run(t, a, f); skip != "" {
				t.Skip(skip)
			}
		})
	}
}

// Check runs every check against tb and returns the names of those that
// were skipped, for a test of the suite itself.
func Check(tb TB, a channels.Adapter, f Fake) (skipped []string) {
	for _, c := range checks {
		if skip := c.run(tb, a, f); skip != "" {
			skipped = append(skipped, c.name)
		}
	}
	return skipped
}

// receive calls the adapter's webhook Receive on r as the server does:
// the body read, a panic reported as a failure.
func receive(t TB, a channels.Adapter, f Fake, r *http.Request) (d *channels.Delivery, err error) {
	t.Helper()
	body, rerr := io.ReadAll(r.Body)
	if rerr != nil {
		t.Errorf("reading the fake's request: %v", rerr)
		return nil, rerr
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("Receive panicked: %v", p)
			d, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return a.Receive(context.Background(), f.Config(), r, body)
}

// refused checks that Receive refused with a *channels.Error whose status
// is in [lo, hi] and delivered nothing.
func refused(t TB, what string, d *channels.Delivery, err error, lo, hi int) {
	t.Helper()
	var ce *channels.Error
	switch {
	case err == nil:
		t.Errorf("%s: accepted (%d messages), want a %d-%d refusal", what, len(d.Messages), lo, hi)
	case !errors.As(err, &ce):
		t.Errorf("%s: refused with %T %v, want a *channels.Error with status %d-%d", what, err, err, lo, hi)
	case ce.Status < lo || ce.Status > hi:
		t.Errorf("%s: refused with status %d (%s), want %d-%d", what, ce.Status, ce.Reason, lo, hi)
	case d != nil:
		t.Errorf("%s: refused but delivered %+v", what, d)
	}
}

var sample = Message{ID: "conformance-1", Sender: "sender-1", Text: "Where is my order?"}

func forged(t TB, a channels.Adapter, f Fake) string {
	if !f.Features().Webhook {
		return "the kind has no webhook"
	}
	cases := f.Forged(sample)
	if len(cases) == 0 {
		t.Errorf("the fake offers no forged requests: a webhook kind must authenticate its requests")
	}
	for _, c := range cases {
		d, err := receive(t, a, f, c.Request)
		refused(t, c.Name, d, err, 401, 403)
	}
	return ""
}

func malformed(t TB, a channels.Adapter, f Fake) string {
	if !f.Features().Webhook {
		return "the kind has no webhook"
	}
	for _, c := range f.Malformed() {
		d, err := receive(t, a, f, c.Request)
		refused(t, c.Name, d, err, 400, 499)
	}
	return ""
}

func garbage(t TB, a channels.Adapter, f Fake) string {
	junk := make([]byte, 1<<20)
	_, _ = rand.Read(junk)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/conformance/key", bytes.NewReader(junk))
	r.Header.Set("Content-Type", "application/json")
	d, err := receive(t, a, f, r)
	refused(t, "a megabyte of random bytes", d, err, 400, 499)
	return ""
}

// recorder plays the inbox: messages stored once per provider id,
// receipts applied forward only.
type recorder struct {
	stored map[string]channels.Inbound
	status map[string]channels.DeliveryStatus
}

var rank = map[channels.DeliveryStatus]int{
	channels.StatusSent: 1, channels.StatusFailed: 2, channels.StatusDelivered: 3, channels.StatusRead: 4,
}

func (r *recorder) deliver(d *channels.Delivery) {
	for _, m := range d.Messages {
		channels.Sanitize(&m)
		if _, dup := r.stored[m.ProviderMessageID]; !dup || m.ProviderMessageID == "" {
			r.stored[m.ProviderMessageID] = m
		}
	}
	for _, rc := range d.Receipts {
		if rank[rc.Status] > rank[r.status[rc.ProviderMessageID]] {
			r.status[rc.ProviderMessageID] = rc.Status
		}
	}
}

func newRecorder() *recorder {
	return &recorder{stored: map[string]channels.Inbound{}, status: map[string]channels.DeliveryStatus{}}
}

func duplicates(t TB, a channels.Adapter, f Fake) string {
	if !f.Features().Webhook {
		return "the kind has no webhook"
	}
	rec := newRecorder()
	for i := range 2 {
		d, err := receive(t, a, f, f.Inbound(sample))
		if err != nil {
			t.Errorf("delivery %d of a genuine message refused: %v", i+1, err)
			return ""
		}
		if len(d.Messages) != 1 {
			t.Errorf("delivery %d carried %d messages, want 1", i+1, len(d.Messages))
			return ""
		}
		m := d.Messages[0]
		if m.ProviderMessageID == "" || m.Sender.ExternalID != sample.Sender || m.Text != sample.Text {
			t.Errorf("delivery %d parsed as id %q, sender %q, text %q; want a provider id, sender %q, text %q",
				i+1, m.ProviderMessageID, m.Sender.ExternalID, m.Text, sample.Sender, sample.Text)
		}
		rec.deliver(d)
	}
	if len(rec.stored) != 1 {
		t.Errorf("a message delivered twice was stored %d times: its provider ids differ", len(rec.stored))
	}
	return ""
}

func receiptsInOrder(t TB, a channels.Adapter, f Fake) string {
	if !f.Features().Receipts {
		return "the kind reports no delivery status"
	}
	rec := newRecorder()
	for _, st := range []channels.DeliveryStatus{channels.StatusSent, channels.StatusRead, channels.StatusDelivered} {
		r := f.Receipt("prov-42", st)
		if r == nil {
			t.Errorf("the fake made no %s receipt", st)
			return ""
		}
		d, err := receive(t, a, f, r)
		if err != nil {
			t.Errorf("a genuine %s receipt refused: %v", st, err)
			return ""
		}
		if len(d.Receipts) != 1 || d.Receipts[0].ProviderMessageID != "prov-42" || d.Receipts[0].Status != st {
			t.Errorf("a %s receipt parsed as %+v", st, d.Receipts)
			return ""
		}
		rec.deliver(d)
	}
	if got := rec.status["prov-42"]; got != channels.StatusRead {
		t.Errorf("after SENT, READ, DELIVERED the message is %s, want READ", got)
	}
	return ""
}

var outbound = channels.Outbound{
	DeliveryID: "obx_conformance", MessageID: "msg_conformance", ConversationID: "cnv_conformance",
	ThreadKey: "thread-key-1", Recipient: channels.Sender{ExternalID: "sender-1"}, Text: "It ships today",
	ReplyTo: "conformance-1", CreatedAt: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC),
}

func send(t TB, a channels.Adapter, f Fake, m channels.Outbound) (id string, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("Send panicked: %v", p)
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Send(ctx, f.Config(), &m)
}

func sendOK(t TB, a channels.Adapter, f Fake) string {
	if !a.Describe().Capabilities.Outbound {
		return "the kind does not send"
	}
	before := len(f.Sent())
	f.Answer(Answer{Kind: AnswerOK, ProviderID: "prov-ok-1"})
	id, err := send(t, a, f, outbound)
	if err != nil {
		t.Errorf("a send the provider accepts failed: %v", err)
		return ""
	}
	if !f.Features().Provider {
		if id == "" {
			t.Errorf("Send returned no id")
		}
		return ""
	}
	if id != "prov-ok-1" {
		t.Errorf("Send returned %q, want the provider's id prov-ok-1 (receipts name it)", id)
	}
	sent := f.Sent()
	if len(sent) != before+1 {
		t.Errorf("the provider accepted %d sends, want 1", len(sent)-before)
		return ""
	}
	s := sent[len(sent)-1]
	if s.Recipient != "sender-1" || s.Text != outbound.Text {
		t.Errorf("the provider got recipient %q, text %q", s.Recipient, s.Text)
	}
	if s.ReplyTo != outbound.ReplyTo || s.ThreadKey != outbound.ThreadKey {
		t.Errorf("the provider got reply-to %q and thread key %q, want %q and %q (or the fake must report what the protocol carries)",
			s.ReplyTo, s.ThreadKey, outbound.ReplyTo, outbound.ThreadKey)
	}
	if n := f.Unauthenticated(); n != 0 {
		t.Errorf("the provider refused %d unauthenticated requests", n)
	}
	return ""
}

func sendFailures(t TB, a channels.Adapter, f Fake) string {
	if !a.Describe().Capabilities.Outbound || !f.Features().Provider {
		return "sends do not reach a provider"
	}
	f.Answer(Answer{Kind: AnswerPermanent})
	if _, err := send(t, a, f, outbound); err == nil || !channels.IsPermanent(err) {
		t.Errorf("a send the provider refuses for good: %v, want a permanent error", err)
	}
	f.Answer(Answer{Kind: AnswerTransient})
	if _, err := send(t, a, f, outbound); err == nil || channels.IsPermanent(err) {
		t.Errorf("a send the provider fails with a server error: %v, want a transient error", err)
	}
	return ""
}

func rateLimited(t TB, a channels.Adapter, f Fake) string {
	if !a.Describe().Capabilities.Outbound || !f.Features().Provider {
		return "sends do not reach a provider"
	}
	f.Answer(Answer{Kind: AnswerRateLimited, RetryAfter: 90 * time.Second})
	_, err := send(t, a, f, outbound)
	switch {
	case err == nil:
		t.Errorf("a rate-limited send succeeded")
	case channels.IsPermanent(err):
		t.Errorf("a rate-limited send failed for good: %v", err)
	case channels.RetryAfterOf(err) < 90*time.Second:
		t.Errorf("a rate-limited send asks to retry after %s, want at least 90s", channels.RetryAfterOf(err))
	}
	return ""
}

func templates(t TB, a channels.Adapter, f Fake) string {
	if !a.Describe().Capabilities.Templates || !f.Features().Provider {
		return "the kind sends no templates"
	}
	tp, ok := a.(channels.Templater)
	if !ok {
		t.Errorf("Capabilities.Templates is set but the adapter is not a channels.Templater")
		return ""
	}
	if _, err := tp.Templates(context.Background(), f.Config()); err != nil {
		t.Errorf("Templates: %v", err)
	}
	m := outbound
	m.Template = &channels.TemplateMessage{ID: "order_update", Language: "en", Params: map[string]any{"order": "A-1"}}
	m.Text = "Order A-1 shipped."
	f.Answer(Answer{Kind: AnswerOK, ProviderID: "prov-tmpl"})
	if _, err := send(t, a, f, m); err != nil {
		t.Errorf("a template send failed: %v", err)
		return ""
	}
	sent := f.Sent()
	if len(sent) == 0 || sent[len(sent)-1].Template == nil || sent[len(sent)-1].Template.ID != "order_update" ||
		fmt.Sprint(sent[len(sent)-1].Template.Params["order"]) != "A-1" {
		t.Errorf("the provider did not get the template: %+v", sent)
	}
	return ""
}
