package channelstest

import (
	"context"
	"fmt"
	"sync"

	"github.com/switchboard/switchboard/channels"
)

// Recorder plays Switchboard's ingest in memory: it stores each message
// once per provider message id (after channels.Sanitize, as the server
// does), records sends by the id Send returned, and applies receipts the
// way the server does: never backwards (SENT < DELIVERED < READ), FAILED
// only from SENT, and a receipt for an id not sent yet kept until it is.
// It is a channels.Sink, so a Receiver can deliver to it. Safe for
// concurrent use.
type Recorder struct {
	mu       sync.Mutex
	messages []channels.Inbound
	byID     map[string]int
	events   []channels.Event
	status   map[string]channels.DeliveryStatus
	reasons  map[string]string
	pending  map[string][]channels.Receipt
	healthy  int
}

var _ channels.Sink = (*Recorder)(nil)

// Deliver stores d's messages (a message seen before is a Duplicate),
// applies its receipts and records its events.
func (r *Recorder) Deliver(_ context.Context, d *channels.Delivery) ([]channels.Stored, error) {
	if d == nil {
		return nil, fmt.Errorf("channelstest: nil delivery")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[string]int{}
	}
	out := make([]channels.Stored, len(d.Messages))
	for i, m := range d.Messages {
		if m.ProviderMessageID == "" {
			return nil, fmt.Errorf("channelstest: message %d has no ProviderMessageID", i)
		}
		channels.Sanitize(&m)
		n, dup := r.byID[m.ProviderMessageID]
		if !dup {
			n = len(r.messages)
			r.byID[m.ProviderMessageID] = n
			r.messages = append(r.messages, m)
		}
		out[i] = channels.Stored{ConversationID: "conv-" + m.Sender.ExternalID,
			MessageID: fmt.Sprintf("msg-%d", n+1), Duplicate: dup}
	}
	for _, rc := range d.Receipts {
		r.apply(rc)
	}
	r.events = append(r.events, d.Events...)
	return out, nil
}

// Healthy counts a receiver's reports.
func (r *Recorder) Healthy() {
	r.mu.Lock()
	r.healthy++
	r.mu.Unlock()
}

// Messages are the stored messages, in the order first seen.
func (r *Recorder) Messages() []channels.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channels.Inbound(nil), r.messages...)
}

// Events are the recorded channel events.
func (r *Recorder) Events() []channels.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channels.Event(nil), r.events...)
}

// Sent records that Send returned providerID: the message is SENT, and
// receipts that arrived before are applied now.
func (r *Recorder) Sent(providerID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == nil {
		r.status = map[string]channels.DeliveryStatus{}
	}
	if _, ok := r.status[providerID]; ok {
		return
	}
	r.status[providerID] = channels.StatusSent
	early := r.pending[providerID]
	delete(r.pending, providerID)
	for _, rc := range early {
		r.apply(rc)
	}
}

// Status is the status of the message sent as providerID, "" if it was
// not sent; and the reason of a FAILED one.
func (r *Recorder) Status(providerID string) (channels.DeliveryStatus, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status[providerID], r.reasons[providerID]
}

func (r *Recorder) apply(rc channels.Receipt) {
	from, ok := r.status[rc.ProviderMessageID]
	if !ok {
		if r.pending == nil {
			r.pending = map[string][]channels.Receipt{}
		}
		r.pending[rc.ProviderMessageID] = append(r.pending[rc.ProviderMessageID], rc)
		return
	}
	if !Advances(from, rc.Status) {
		return
	}
	r.status[rc.ProviderMessageID] = rc.Status
	if rc.Status == channels.StatusFailed {
		if r.reasons == nil {
			r.reasons = map[string]string{}
		}
		r.reasons[rc.ProviderMessageID] = rc.Reason
	}
}

// Advances reports whether a receipt saying to may replace status from:
// statuses only move forward (SENT < DELIVERED < READ), FAILED only
// replaces SENT, and nothing replaces FAILED.
func Advances(from, to channels.DeliveryStatus) bool {
	rank := map[channels.DeliveryStatus]int{channels.StatusSent: 1, channels.StatusDelivered: 2, channels.StatusRead: 3}
	switch {
	case from == channels.StatusFailed:
		return false
	case to == channels.StatusFailed:
		return from == channels.StatusSent
	}
	return rank[to] > rank[from]
}
