package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/url"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/outboxitem"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Deliverer sends queued outbound messages through their channels. Any
// number of instances may run one: an item is claimed by a conditional
// update (only one claimer wins, on PostgreSQL and SQLite alike), sent
// outside any transaction, and its outcome recorded only by its claimer.
// A claimer that dies mid-send leaves a claim that lapses and is taken
// again, so delivery is at least once; providers dedupe on the delivery
// id, which stays the same across retries.
type Deliverer struct {
	inbox    *Service
	client   *ent.Client
	channels *channelcfg.Service
	events   *events.Log
	log      *slog.Logger
	now      func() time.Time
	o        DeliveryOptions
	me       string
	lockRows bool // PostgreSQL: claim with FOR UPDATE SKIP LOCKED
}

// DeliveryOptions tune retries.
type DeliveryOptions struct {
	MaxAttempts int           // then FAILED; default 8
	Backoff     time.Duration // first retry delay, doubled each time with ±20% jitter; default 2 s
	MaxBackoff  time.Duration // default 10 min
	Claim       time.Duration // how long a claim lasts; default 2 min
	Poll        time.Duration // idle polling; default 500 ms
	Batch       int           // items claimed at once; default 20
	// Queued wakes the worker when a transaction queued outbox items
	// (Service.OutboxQueued); without it, every commit that recorded
	// events wakes it, and it looks for items each time.
	Queued <-chan struct{}
}

// NewDeliverer returns a Deliverer of the inbox's messages.
func NewDeliverer(box *Service, ch *channelcfg.Service, log *slog.Logger, lockRows bool, o DeliveryOptions) *Deliverer {
	client, ev, now := box.client, box.events, box.now
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.Claim <= 0 {
		o.Claim = 2 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if now == nil {
		now = time.Now
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Deliverer{inbox: box, client: client, channels: ch, events: ev, log: log, now: now, o: o, me: hex.EncodeToString(b), lockRows: lockRows}
}

// Run delivers until ctx ends. Hourly, it also deletes receipts that
// waited a week for a message that never got their id.
func (d *Deliverer) Run(ctx context.Context) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	pruned := time.Time{}
	for ctx.Err() == nil {
		if now := d.now(); now.Sub(pruned) >= time.Hour {
			pruned = now
			if _, err := d.inbox.PrunePendingReceipts(ctx); err != nil && ctx.Err() == nil {
				d.log.WarnContext(ctx, "pruning pending receipts", "err", err)
			}
		}
		wake := d.o.Queued
		if wake == nil {
			wake = d.events.Activity()
		}
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "outbound delivery", "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(d.o.Poll):
		}
	}
}

// RunOnce claims the due items and delivers them; it returns how many.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	ids, err := d.claim(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := d.deliver(ctx, id); err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "outbound delivery", "outbox_id", id, "err", err)
		}
	}
	return len(ids), nil
}

// claim takes up to Batch due items: pending ones whose time has come, and
// sending ones whose claim lapsed. On PostgreSQL it locks candidate rows
// with FOR UPDATE SKIP LOCKED, so concurrent workers split the queue
// without waiting on each other; on SQLite (one writer at a time) each
// candidate is taken with a conditional update. Either way exactly one
// worker wins an item.
func (d *Deliverer) claim(ctx context.Context) ([]gid.ID, error) {
	now := d.now()
	dueItems := outboxitem.Or(
		outboxitem.And(outboxitem.StatusEQ(outboxitem.StatusPENDING), outboxitem.NextAttemptAtLTE(now)),
		outboxitem.And(outboxitem.StatusEQ(outboxitem.StatusSENDING), outboxitem.ClaimedUntilLT(now)),
	)
	take := func(id gid.ID) (bool, error) {
		n, err := d.client.OutboxItem.Update().Where(outboxitem.ID(id), dueItems).
			SetStatus(outboxitem.StatusSENDING).SetClaimedBy(d.me).SetClaimedUntil(now.Add(d.o.Claim)).
			Save(ctx)
		return n == 1, err
	}
	if !d.lockRows {
		candidates, err := d.client.OutboxItem.Query().Where(dueItems).
			Order(ent.Asc(outboxitem.FieldNextAttemptAt)).Limit(d.o.Batch).IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("inbox: outbox: %w", err)
		}
		var won []gid.ID
		for _, id := range candidates {
			ok, err := take(id)
			if err != nil {
				return won, fmt.Errorf("inbox: claim: %w", err)
			}
			if ok {
				won = append(won, id)
			}
		}
		return won, nil
	}
	var ids []gid.ID
	err := store.InTx(ctx, d.client, func(ctx context.Context) error {
		c := store.Client(ctx, d.client)
		var err error
		ids, err = c.OutboxItem.Query().Where(dueItems).
			Order(ent.Asc(outboxitem.FieldNextAttemptAt)).Limit(d.o.Batch).
			ForUpdate(sql.WithLockAction(sql.SkipLocked)).IDs(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		return c.OutboxItem.Update().Where(outboxitem.IDIn(ids...)).
			SetStatus(outboxitem.StatusSENDING).SetClaimedBy(d.me).SetClaimedUntil(now.Add(d.o.Claim)).
			Exec(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: claim: %w", err)
	}
	return ids, nil
}

func (d *Deliverer) deliver(ctx context.Context, id gid.ID) error {
	item, err := d.client.OutboxItem.Get(ctx, id)
	if err != nil {
		return err
	}
	msg, err := d.client.Message.Query().Where(message.ID(item.MessageID)).WithConversation().WithChannel().Only(ctx)
	if err != nil {
		return err
	}
	providerID, sendErr := d.send(ctx, item, msg)
	if sendErr != nil {
		d.log.WarnContext(ctx, "outbound delivery attempt failed",
			"channel_id", msg.ChannelID, "message_id", msg.ID, "outbox_id", item.ID,
			"attempt", item.Attempts+1, "permanent", channels.IsPermanent(sendErr), "reason", failureReason(sendErr))
	}
	return d.record(ctx, item, msg, providerID, sendErr)
}

// send calls the adapter, outside any transaction.
func (d *Deliverer) send(ctx context.Context, item *ent.OutboxItem, msg *ent.Message) (string, error) {
	ch := msg.Edges.Channel
	if !ch.Enabled {
		return "", channels.Permanent("the channel is disabled")
	}
	a, err := d.channels.Adapter(ch)
	if err != nil {
		return "", channels.Permanent("%s", err.Error())
	}
	cfg, err := d.channels.Config(ch)
	if err != nil {
		return "", channels.Permanent("the channel's credentials cannot be read")
	}
	conv := msg.Edges.Conversation
	channelUser := []predicate.CustomerIdentity{customeridentity.CustomerID(conv.CustomerID), customeridentity.ChannelID(ch.ID),
		customeridentity.KindEQ(customeridentity.KindCHANNEL_USER)}
	ident, err := d.client.CustomerIdentity.Query().
		Where(append(channelUser, customeridentity.OptedOutAtIsNil())...).
		Order(ent.Desc(customeridentity.FieldVerified)).First(ctx)
	if ent.IsNotFound(err) {
		// Opted out since the message was queued: sending now would break
		// the customer's wish (and, for SMS, the law).
		opted, qerr := d.client.CustomerIdentity.Query().Where(channelUser...).Exist(ctx)
		if qerr != nil {
			return "", channels.Transient(qerr, "reading the recipient")
		}
		if opted {
			return "", channels.Permanent("%s: the customer opted out of messages on this channel", OptedOut)
		}
	}
	if ent.IsNotFound(err) && d.channels.Capabilities(ch.Kind).AddressByExternalID {
		// No identity on the channel yet: the customer's verified
		// external id, which the integrator knows.
		ident, err = d.client.CustomerIdentity.Query().
			Where(customeridentity.CustomerID(conv.CustomerID), customeridentity.KindEQ(customeridentity.KindEXTERNAL_ID),
				customeridentity.Verified(true)).
			Order(ent.Asc(customeridentity.FieldID)).First(ctx)
	}
	if ent.IsNotFound(err) && d.channels.Capabilities(ch.Kind).AddressByPhone {
		// No identity on the channel yet: the customer's phone number,
		// one the customer's own messages proved first.
		ident, err = d.client.CustomerIdentity.Query().
			Where(customeridentity.CustomerID(conv.CustomerID), customeridentity.KindEQ(customeridentity.KindPHONE)).
			Order(ent.Desc(customeridentity.FieldVerified), ent.Asc(customeridentity.FieldID)).First(ctx)
	}
	recipient := channels.Sender{}
	if err == nil {
		recipient.ExternalID = ident.Value
		if ident.Kind == customeridentity.KindPHONE {
			recipient.Phone = ident.Value
		}
	} else if !ent.IsNotFound(err) {
		return "", channels.Transient(err, "reading the recipient")
	}
	out := &channels.Outbound{
		DeliveryID: string(item.ID), MessageID: string(msg.ID), ConversationID: string(conv.ID),
		ThreadKey: conv.Key, Subject: conv.Subject, Recipient: recipient, Text: msg.Body, CreatedAt: msg.CreatedAt,
	}
	if t := msg.Template; t != nil {
		out.Template = &channels.TemplateMessage{ID: t.ID, Language: t.Language, Params: t.Params}
		out.Text = t.Text // the stored body may only name the template, for agents
	}
	// The customer's latest message with a provider id: what a passive
	// reply answers, and what a mail's In-Reply-To names.
	last, err := d.client.Message.Query().
		Where(message.ConversationID(conv.ID), message.DirectionEQ(message.DirectionINBOUND), message.ProviderMessageIDNotNil(),
			message.CreatedAtLTE(msg.CreatedAt)).
		Order(ent.Desc(message.FieldCreatedAt), ent.Desc(message.FieldID)).
		Select(message.FieldProviderMessageID).First(ctx)
	switch {
	case err == nil:
		out.ReplyTo = *last.ProviderMessageID
	case !ent.IsNotFound(err):
		return "", channels.Transient(err, "reading the conversation")
	}
	// When the customer last wrote on the channel: where the provider's
	// reply window starts (as ReplyBlocks reads it).
	wrote, err := d.client.Message.Query().
		Where(message.CustomerID(conv.CustomerID), message.ChannelID(ch.ID), message.DirectionEQ(message.DirectionINBOUND)).
		Order(ent.Desc(message.FieldCreatedAt)).Select(message.FieldCreatedAt).First(ctx)
	switch {
	case err == nil:
		out.LastInboundAt = wrote.CreatedAt
	case !ent.IsNotFound(err):
		return "", channels.Transient(err, "reading the conversation")
	}
	if out.Attachments, err = d.attachments(ctx, msg); err != nil {
		return "", err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return a.Send(sctx, cfg, out)
}

// record stores the outcome, if this instance still holds the claim.
func (d *Deliverer) record(ctx context.Context, item *ent.OutboxItem, msg *ent.Message, providerID string, sendErr error) error {
	ctx = viewer.NewContext(ctx, viewer.System(item.WorkspaceID))
	return store.InTx(ctx, d.client, func(ctx context.Context) error {
		return d.recordTx(ctx, item, msg, providerID, sendErr)
	})
}

// recordTx is record's transaction.
func (d *Deliverer) recordTx(ctx context.Context, item *ent.OutboxItem, msg *ent.Message, providerID string, sendErr error) error {
	c := store.Client(ctx, d.client)
	now := d.now()
	mine := c.OutboxItem.Update().Where(outboxitem.ID(item.ID), outboxitem.ClaimedBy(d.me), outboxitem.StatusEQ(outboxitem.StatusSENDING))
	attempts := item.Attempts + 1
	msgUpd := c.Message.UpdateOneID(msg.ID)
	refused := false // the provider refused the channel's credentials
	switch {
	case sendErr == nil:
		providerID = channels.StorableID(providerID) // as receipts name it
		mine.SetStatus(outboxitem.StatusDONE).SetAttempts(attempts).ClearLastError()
		msgUpd.SetDeliveryStatus(message.DeliveryStatusSENT).SetDeliveryError("")
		if providerID != "" {
			mine.SetProviderMessageID(providerID)
		}
	case channels.IsPermanent(sendErr) || attempts >= d.o.MaxAttempts:
		reason := trim(failureReason(sendErr), 1000)
		mine.SetStatus(outboxitem.StatusFAILED).SetAttempts(attempts).SetLastError(reason)
		msgUpd.SetDeliveryStatus(message.DeliveryStatusFAILED).SetDeliveryError(reason)
		refused = channels.IsCredentials(sendErr)
	default:
		// Still QUEUED, and the message says why it has not gone yet.
		reason := trim(failureReason(sendErr), 1000)
		// No earlier than the provider asked (a 429's Retry-After).
		wait := max(d.backoff(attempts), channels.RetryAfterOf(sendErr))
		mine.SetStatus(outboxitem.StatusPENDING).SetAttempts(attempts).SetLastError(reason).
			SetNextAttemptAt(now.Add(wait))
		if msg.DeliveryError == reason {
			_, err := mine.Save(ctx) // nothing new for clients
			return err
		}
		msgUpd.SetDeliveryError(reason)
	}
	n, err := mine.Save(ctx)
	if err != nil || n == 0 {
		return err // n == 0: the claim lapsed and another instance owns it now
	}
	if err := msgUpd.Exec(ctx); err != nil {
		return err
	}
	if refused {
		if err := d.credentialsRefused(ctx, msg.ChannelID, trim(failureReason(sendErr), 900)); err != nil {
			return err
		}
	}
	err = d.events.Record(ctx, events.Event{
		Type: events.MessageUpdated, ConversationID: msg.ConversationID, MessageID: msg.ID,
	})
	if err != nil || sendErr != nil || providerID == "" {
		return err
	}
	// Receipts that arrived before the id was recorded.
	return d.inbox.applyPendingReceipts(ctx, msg.ChannelID, providerID, msg.ID)
}

// credentialsRefused marks a channel's verification FAILED because its
// provider refused the credentials on a send, so admins see the reason
// where they verify (Channel.verificationState and verificationError).
func (d *Deliverer) credentialsRefused(ctx context.Context, channelID gid.ID, reason string) error {
	return store.Client(ctx, d.client).Channel.UpdateOneID(channelID).
		SetVerificationState(channel.VerificationStateFAILED).
		SetVerificationError("a send was refused: " + reason).ClearVerifiedAt().Exec(ctx)
}

// backoff is the delay before retry number attempts: exponential, capped,
// with ±20% jitter so retries of many messages spread out.
func (d *Deliverer) backoff(attempts int) time.Duration {
	b := float64(d.o.Backoff) * math.Pow(2, float64(attempts-1))
	if b > float64(d.o.MaxBackoff) {
		b = float64(d.o.MaxBackoff)
	}
	return time.Duration(b * (0.8 + 0.4*mrand.Float64()))
}

// failureReason is what a failed send says to agents and the logs: the
// adapter's reason and its cause, without the URL a transport error
// carries (a callback URL may hold a token in its query).
func failureReason(err error) string {
	var ce *channels.Error
	if !errors.As(err, &ce) {
		return "delivery failed"
	}
	if ce.Err == nil {
		return ce.Reason
	}
	var ue *url.Error
	if errors.As(ce.Err, &ue) {
		return ce.Reason + ": " + ue.Err.Error()
	}
	return ce.Reason + ": " + ce.Err.Error()
}

func trim(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// OutboundLinkTTL is how long the signed links of sent attachments work:
// providers fetch them when they send, and integrators may later.
const OutboundLinkTTL = 24 * time.Hour

// attachments are msg's files as the channel sends them: signed links
// and openers of their bytes. A file deleted since (deleteAttachment) is
// not sent.
func (d *Deliverer) attachments(ctx context.Context, msg *ent.Message) ([]channels.Attachment, error) {
	fs, err := d.client.File.Query().Where(file.MessageID(msg.ID), file.Original(false)).Order(ent.Asc(file.FieldPosition)).All(ctx)
	if err != nil {
		return nil, channels.Transient(err, "reading the message's files")
	}
	var out []channels.Attachment
	for _, f := range fs {
		if !files.Servable(f) || d.inbox.files == nil {
			continue
		}
		out = append(out, channels.Attachment{
			URL: d.inbox.files.URLFor(f, OutboundLinkTTL), ContentType: f.ContentType, Name: f.Name, Size: f.Size,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return d.inbox.files.Open(ctx, f) },
		})
	}
	return out, nil
}
