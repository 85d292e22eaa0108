package inbox

import (
	"context"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/outboxitem"
	"github.com/switchboard/switchboard/ent/pendingreceipt"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
)

// statusRank orders delivery statuses: a receipt applies only when it
// moves a message forward. FAILED ranks above SENT (a provider reports a
// failure after accepting the message) and below DELIVERED (evidence of
// delivery wins over an earlier failure report).
var statusRank = map[message.DeliveryStatus]int{
	message.DeliveryStatusQUEUED:    0,
	message.DeliveryStatusSENT:      1,
	message.DeliveryStatusFAILED:    2,
	message.DeliveryStatusDELIVERED: 3,
	message.DeliveryStatusREAD:      4,
}

// forward reports whether a message at status cur moves to next.
func forward(cur *message.DeliveryStatus, next message.DeliveryStatus) bool {
	if cur == nil {
		return true
	}
	return statusRank[next] > statusRank[*cur]
}

// applyReceipt applies a provider's delivery receipt to the outbound
// message it names (by the id Send returned, recorded on its outbox
// item), in the transaction ctx carries, and publishes messageUpdated. A
// receipt for an id no item has yet (the provider reported before the
// sender recorded the id) is kept and applied when the id is recorded.
func (s *Service) applyReceipt(ctx context.Context, ch *ent.Channel, r channels.Receipt) error {
	status := message.DeliveryStatus(r.Status)
	if _, ok := statusRank[status]; !ok || status == message.DeliveryStatusQUEUED {
		return nil // the adapter checked; an unknown status changes nothing
	}
	if r.ProviderMessageID == "" {
		if r.Recipient != "" && !r.Watermark.IsZero() {
			return s.applyWatermark(ctx, ch, r, status)
		}
		return nil
	}
	c := s.db(ctx)
	item, err := c.OutboxItem.Query().
		Where(outboxitem.ChannelID(ch.ID), outboxitem.ProviderMessageID(r.ProviderMessageID)).
		Order(ent.Desc(outboxitem.FieldCreatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		at := r.Time
		if at.IsZero() {
			at = s.now()
		}
		return c.PendingReceipt.Create().SetChannelID(ch.ID).SetProviderMessageID(r.ProviderMessageID).
			SetStatus(pendingreceipt.Status(status)).SetReason(r.Reason).SetOccurredAt(at.UTC()).Exec(ctx)
	}
	if err != nil {
		return err
	}
	return s.setDeliveryStatus(ctx, item.MessageID, status, r.Reason)
}

// maxWatermarked bounds the messages one watermark receipt moves: the
// newest ones, which agents look at.
const maxWatermarked = 100

// applyWatermark moves every message sent on the channel to the
// customer behind r.Recipient up to r.Watermark that is behind status
// (the newest maxWatermarked of them); failed messages stay failed.
func (s *Service) applyWatermark(ctx context.Context, ch *ent.Channel, r channels.Receipt, status message.DeliveryStatus) error {
	c := s.db(ctx)
	ident, err := c.CustomerIdentity.Query().
		Where(customeridentity.KindEQ(customeridentity.KindCHANNEL_USER), customeridentity.ChannelID(ch.ID),
			customeridentity.Value(r.Recipient)).First(ctx)
	if ent.IsNotFound(err) {
		return nil // someone the channel never heard from
	}
	if err != nil {
		return err
	}
	var behind []message.DeliveryStatus
	for st, rank := range statusRank {
		// Not QUEUED (not sent yet) nor FAILED: a watermark says what was
		// read, not that a message that failed arrived after all.
		if rank < statusRank[status] && st != message.DeliveryStatusQUEUED && st != message.DeliveryStatusFAILED {
			behind = append(behind, st)
		}
	}
	ids, err := c.Message.Query().
		Where(message.ChannelID(ch.ID), message.CustomerID(ident.CustomerID), message.DirectionEQ(message.DirectionOUTBOUND),
			message.CreatedAtLTE(r.Watermark.UTC()), message.DeliveryStatusIn(behind...)).
		Order(ent.Desc(message.FieldCreatedAt)).Limit(maxWatermarked).IDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.setDeliveryStatus(ctx, id, status, r.Reason); err != nil {
			return err
		}
	}
	return nil
}

// setDeliveryStatus moves a message's delivery status forward (never
// back) and records message.updated; a FAILED status keeps its reason,
// any other clears it.
func (s *Service) setDeliveryStatus(ctx context.Context, msgID gid.ID, status message.DeliveryStatus, reason string) error {
	c := s.db(ctx)
	msg, err := c.Message.Query().Where(message.ID(msgID)).
		Select(message.FieldDeliveryStatus, message.FieldConversationID, message.FieldCustomerID).Only(ctx)
	if err != nil {
		return err
	}
	if !forward(msg.DeliveryStatus, status) {
		return nil
	}
	upd := c.Message.Update().Where(message.ID(msgID)).SetDeliveryStatus(status)
	if status == message.DeliveryStatusFAILED {
		if reason == "" {
			reason = "the provider reported the message undeliverable"
		}
		upd.SetDeliveryError(trim(reason, 1000))
	} else {
		upd.SetDeliveryError("")
	}
	if err := upd.Exec(ctx); err != nil {
		return err
	}
	return s.events.Record(ctx, events.Event{
		Type: events.MessageUpdated, ConversationID: msg.ConversationID, MessageID: msgID, CustomerID: msg.CustomerID,
	})
}

// applyPendingReceipts applies, in the order they happened, the receipts
// that arrived for providerID before it was recorded, and deletes them.
func (s *Service) applyPendingReceipts(ctx context.Context, channelID gid.ID, providerID string, msgID gid.ID) error {
	c := s.db(ctx)
	pending, err := c.PendingReceipt.Query().
		Where(pendingreceipt.ChannelID(channelID), pendingreceipt.ProviderMessageID(providerID)).
		Order(ent.Asc(pendingreceipt.FieldOccurredAt), ent.Asc(pendingreceipt.FieldID)).All(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	for _, p := range pending {
		if err := s.setDeliveryStatus(ctx, msgID, message.DeliveryStatus(p.Status), p.Reason); err != nil {
			return err
		}
	}
	_, err = c.PendingReceipt.Delete().
		Where(pendingreceipt.ChannelID(channelID), pendingreceipt.ProviderMessageID(providerID)).Exec(ctx)
	return err
}

// pendingReceiptTTL is how long a receipt for an unknown id is kept:
// receipts of messages sent outside Switchboard (from the provider's own
// console) never find theirs.
const pendingReceiptTTL = 7 * 24 * time.Hour

// PrunePendingReceipts deletes receipts that waited longer than a week
// for their message.
func (s *Service) PrunePendingReceipts(ctx context.Context) (int, error) {
	return s.client.PendingReceipt.Delete().Where(pendingreceipt.CreatedAtLT(s.now().Add(-pendingReceiptTTL))).Exec(ctx)
}
