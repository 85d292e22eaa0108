package inbox

import (
	"context"
	"errors"
	"strings"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/outboxitem"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/identity"
	"github.com/switchboard/switchboard/internal/store"
)

// Ingest stores the messages of one webhook request in ONE transaction:
// for each, dedupe on (channel, provider message id), resolve the sender
// through its channel identity (a new sender becomes a new customer), find
// the customer's open conversation on the channel (or reopen a recently
// resolved one, or start one), insert the message, update the
// conversation and append the events. A transaction that loses a race on a
// unique index (two deliveries of one message, two first messages of one
// sender) is retried by store.InTx and then finds what the winner stored.
//
// Before the transaction every message goes through channels.Sanitize, so
// that what an adapter let through and no column can hold (over-long ids
// and names, NUL characters, invalid UTF-8) is stored changed, with a note
// in Message.metadata, instead of failing the same way on every retry.
func (s *Service) Ingest(ctx context.Context, ch *ent.Channel, msgs []channels.Inbound) ([]channels.Stored, error) {
	return s.Deliver(ctx, ch, &channels.Delivery{Messages: msgs})
}

// ingestOne stores one message. A returning sender's message, the
// common case, costs four statements: one lookup (sender, customer lock,
// duplicate), the open conversation, the message, the conversation's
// update; then the event log's rows at commit.
func (s *Service) ingestOne(ctx context.Context, ch *ent.Channel, in channels.Inbound) (channels.Stored, error) {
	// The channel is the actor's workspace's by construction (the actor is
	// that workspace's system actor): the tenant hook need not check it.
	ctx = store.Vetted(ctx, ch.ID)
	known, err := s.returningSender(ctx, ch, in)
	if err != nil {
		return channels.Stored{}, err
	}
	if known.duplicate != nil {
		return *known.duplicate, nil
	}
	cust, locked := known.customer, known.customer != ""
	if cust == "" || (len(in.Sender.Email)+len(in.Sender.Phone) > 0) {
		if !locked {
			if st, dup, err := s.duplicate(ctx, ch, in); err != nil || dup {
				return st, err
			}
		}
		// A new sender, or one whose message reveals an email or phone to
		// link: the full resolution.
		if cust, err = s.resolveSender(ctx, ch, in.Sender); err != nil {
			return channels.Stored{}, err
		}
		ctx = store.Vetted(ctx, cust) // found or created under the tenant rule
		locked = locked && cust == known.customer
	}
	return s.receive(ctx, ch, cust, in, locked)
}

// known is what returningSender found.
type known struct {
	customer  gid.ID           // the sender's customer (merges followed); "" for a new sender
	duplicate *channels.Stored // the message was stored before
}

// returningSender finds, in one statement, the customer behind the
// sender's verified channel identity (locking the customer's row on
// PostgreSQL, as conversationFor would) and whether the message was
// stored before. A sender with no identity on the channel is new; the
// caller resolves it in full.
func (s *Service) returningSender(ctx context.Context, ch *ent.Channel, in channels.Inbound) (known, error) {
	if in.Sender.ExternalID == "" {
		if st, dup, err := s.duplicate(ctx, ch, in); err != nil || dup {
			return known{duplicate: &st}, err
		}
		return known{}, errors.New("inbox: inbound message without a sender id")
	}
	var pid any // NULL matches no message
	if in.ProviderMessageID != "" {
		pid = in.ProviderMessageID
	}
	q := `SELECT cu.id, COALESCE(cu.merged_into_id, ''),
		COALESCE((SELECT m.id || ' ' || m.conversation_id FROM messages m WHERE m.channel_id = ? AND m.provider_message_id = ?), '')
		FROM customer_identities ci JOIN customers cu ON cu.id = ci.customer_id
		WHERE ci.workspace_id = ? AND ci.kind = ? AND ci.value = ? AND ci.channel_id = ? AND ci.verified = ?`
	if s.postgres {
		q += " FOR UPDATE OF cu"
	}
	rows, err := s.db(ctx).QueryContext(ctx, store.Rebind(s.postgres, q), string(ch.ID), pid, string(ch.WorkspaceID),
		string(customeridentity.KindCHANNEL_USER), in.Sender.ExternalID, string(ch.ID), true)
	if err != nil {
		return known{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		return known{}, rows.Err()
	}
	var cust, mergedInto, dup string
	if err := rows.Scan(&cust, &mergedInto, &dup); err != nil {
		return known{}, err
	}
	if err := rows.Close(); err != nil {
		return known{}, err
	}
	if msg, conv, ok := strings.Cut(dup, " "); ok {
		return known{duplicate: &channels.Stored{ConversationID: conv, MessageID: msg, Duplicate: true}}, nil
	}
	if mergedInto != "" {
		// Merged since: the primary is the customer, and its row the one
		// to lock (conversationFor does, when told it is not locked).
		return known{customer: gid.ID(mergedInto)}, s.lockCustomer(ctx, gid.ID(mergedInto))
	}
	return known{customer: gid.ID(cust)}, nil
}

// ReceiveFrom stores a message that a known customer sent on a channel (a
// website visitor writing through the visitor API), in the transaction ctx
// carries:
// dedupe on the provider message id, then as Ingest does.
// The message is sanitized as Ingest does, after the body's own checks.
// uploads are files the customer uploaded (the visitor's uploads) to
// attach, in order; the body may be empty when there are some.
func (s *Service) ReceiveFrom(ctx context.Context, ch *ent.Channel, customerID gid.ID, in channels.Inbound, uploads []gid.ID) (channels.Stored, error) {
	if err := checkAttachmentIDs(uploads); err != nil {
		return channels.Stored{}, err
	}
	if err := checkContent(in.Text, len(uploads)); err != nil {
		return channels.Stored{}, err
	}
	channels.Sanitize(&in)
	if err := checkContent(in.Text, len(uploads)); err != nil { // nothing left but NULs
		return channels.Stored{}, err
	}
	if st, dup, err := s.duplicate(ctx, ch, in); err != nil || dup {
		return st, err
	}
	st, err := s.receive(store.Vetted(ctx, ch.ID), ch, customerID, in, false)
	if err != nil || len(uploads) == 0 {
		return st, err
	}
	return st, s.attachUploads(ctx, gid.ID(st.MessageID), uploads, Uploader{CustomerID: &customerID})
}

// duplicate finds a message already stored under the same provider id.
func (s *Service) duplicate(ctx context.Context, ch *ent.Channel, in channels.Inbound) (channels.Stored, bool, error) {
	c := s.db(ctx)
	if in.ProviderMessageID == "" {
		return channels.Stored{}, false, nil
	}
	dup, err := c.Message.Query().
		Where(message.ChannelID(ch.ID), message.ProviderMessageID(in.ProviderMessageID)).
		Only(ctx)
	if ent.IsNotFound(err) {
		return channels.Stored{}, false, nil
	}
	if err != nil {
		return channels.Stored{}, false, err
	}
	return channels.Stored{ConversationID: string(dup.ConversationID), MessageID: string(dup.ID), Duplicate: true}, true, nil
}

// receive stores one inbound message of a customer: into their open
// conversation on the channel, a recently resolved one reopened, or a new
// one; with the conversation's update and the events. locked: the
// customer's row is locked already (PostgreSQL).
func (s *Service) receive(ctx context.Context, ch *ent.Channel, cust gid.ID, in channels.Inbound, locked bool) (channels.Stored, error) {
	c := s.db(ctx)
	key := in.ThreadKey
	if key == "" && len(in.InReplyTo) > 0 {
		var err error
		if key, err = s.threadOf(ctx, ch, in.InReplyTo); err != nil {
			return channels.Stored{}, err
		}
	}
	conv, created, reopened, err := s.conversationFor(ctx, ch, cust, locked, key, in.AutoSubmitted, in.Subject)
	if err != nil {
		return channels.Stored{}, err
	}
	ctx = store.Vetted(ctx, conv.ID) // read or created just now, under the tenant rule
	switch {
	case created:
		err = s.RecordActivity(ctx, conv, Activity{Kind: conversationactivity.KindOPENED, TeamID: conv.TeamID})
	case reopened:
		err = s.RecordActivity(ctx, conv, Activity{Kind: conversationactivity.KindREOPENED})
	}
	if err != nil {
		return channels.Stored{}, err
	}
	now := s.now()
	create := c.Message.Create().
		SetConversationID(conv.ID).SetChannelID(ch.ID).SetCustomerID(conv.CustomerID).
		SetDirection(message.DirectionINBOUND).SetSenderKind(message.SenderKindCUSTOMER).
		SetBody(in.Text).SetCreatedAt(now).SetAutoSubmitted(in.AutoSubmitted)
	if len(in.Metadata) > 0 {
		create.SetMetadata(in.Metadata)
	}
	if in.HTML != "" {
		create.SetHTML(in.HTML)
	}
	if in.ProviderMessageID != "" {
		create.SetProviderMessageID(in.ProviderMessageID)
	}
	msg, err := create.Save(ctx)
	if err != nil {
		return channels.Stored{}, err
	}
	ctx = store.Vetted(ctx, msg.ID)
	// Its files are fetched after the commit, by the media worker.
	if err := s.attachInbound(ctx, msg, in); err != nil {
		return channels.Stored{}, err
	}
	// A bulk update of the one row: UpdateOne would read the row back.
	upd := c.Conversation.Update().Where(conversation.ID(conv.ID)).
		SetLastMessageID(msg.ID).SetLastMessageAt(now)
	if in.AutoSubmitted {
		// An auto-reply or a bounce: on the timeline, but nobody waits for
		// an answer, and a resolved or snoozed conversation stays so.
		if err := upd.Exec(ctx); err != nil {
			return channels.Stored{}, err
		}
		evs := []events.Event{{Type: events.MessageCreated, ConversationID: conv.ID, MessageID: msg.ID, CustomerID: cust}}
		if created {
			evs = append([]events.Event{{Type: events.ConversationCreated, ConversationID: conv.ID, CustomerID: cust}}, evs...)
		}
		for _, ev := range evs {
			if err := s.events.Record(ctx, ev); err != nil {
				return channels.Stored{}, err
			}
		}
		return channels.Stored{ConversationID: string(conv.ID), MessageID: string(msg.ID)}, nil
	}
	upd.SetStatus(conversation.StatusOPEN).ClearSnoozedUntil()
	if conv.WaitingSince == nil {
		upd.SetWaitingSince(now)
	}
	if err := upd.Exec(ctx); err != nil {
		return channels.Stored{}, err
	}
	// A snoozed or reopened conversation counts toward its assignee's load again.
	from := conv.Status
	if reopened {
		from = conversation.StatusRESOLVED
	}
	if err := s.statusLoad(ctx, conv.AssigneeID, from, conversation.StatusOPEN); err != nil {
		return channels.Stored{}, err
	}
	// The customer woke it: its timer has nothing left to do.
	if conv.Status == conversation.StatusSNOOZED {
		if err := s.timers.Cancel(ctx, TimerWake, string(conv.ID)); err != nil {
			return channels.Stored{}, err
		}
	}
	evs := []events.Event{{Type: events.MessageCreated, ConversationID: conv.ID, MessageID: msg.ID, CustomerID: cust}}
	switch {
	case created:
		evs = append([]events.Event{{Type: events.ConversationCreated, ConversationID: conv.ID, CustomerID: cust}}, evs...)
	case reopened || conv.Status != conversation.StatusOPEN:
		evs = append(evs, events.Event{Type: events.ConversationUpdated, Change: events.ChangeStatus, ConversationID: conv.ID, CustomerID: cust})
	}
	for _, ev := range evs {
		if err := s.events.Record(ctx, ev); err != nil {
			return channels.Stored{}, err
		}
	}
	return channels.Stored{ConversationID: string(conv.ID), MessageID: string(msg.ID)}, nil
}

// resolveSender finds the customer behind a channel identity, or the one
// customer who holds an identity the provider vouches for, or creates one;
// then attaches the email and phone the message revealed (normalised,
// national phone numbers read in the workspace's region; one that does not
// normalise is left out rather than failing the message), which may merge
// the sender's customer into another automatically or suggest a duplicate
// (see customers.Link). Two first messages of one sender race on the
// unique index of verified identities; the loser's transaction is retried
// and finds the winner's customer.
func (s *Service) resolveSender(ctx context.Context, ch *ent.Channel, snd channels.Sender) (gid.ID, error) {
	c := s.db(ctx)
	if snd.ExternalID == "" {
		return "", errors.New("inbox: inbound message without a sender id")
	}
	revealed, err := s.revealed(ctx, snd)
	if err != nil {
		return "", err
	}
	ident, err := c.CustomerIdentity.Query().
		Where(customeridentity.KindEQ(customeridentity.KindCHANNEL_USER), customeridentity.Value(snd.ExternalID),
			customeridentity.ChannelID(ch.ID), customeridentity.Verified(true)).
		WithCustomer().
		Only(ctx)
	var cust gid.ID
	switch {
	case err == nil:
		cust = ident.CustomerID
		if cu := ident.Edges.Customer; cu != nil && cu.MergedIntoID != nil {
			cust = *cu.MergedIntoID
		}
	case !ent.IsNotFound(err):
		return "", err
	case s.customers != nil:
		if cust, err = s.customers.ResolveNew(ctx, ch.ID, revealed); err != nil {
			return "", err
		}
	}
	if cust == "" {
		cu, err := c.Customer.Create().SetName(snd.Name).Save(ctx) // sanitized: at most MaxName characters
		if err != nil {
			return "", err
		}
		cust = cu.ID
		ctx = store.Vetted(ctx, cust) // created just now
	}
	if ident == nil {
		err := c.CustomerIdentity.Create().SetCustomerID(cust).SetKind(customeridentity.KindCHANNEL_USER).
			SetValue(snd.ExternalID).SetChannelID(ch.ID).SetVerified(true).Exec(ctx)
		if err != nil {
			return "", err
		}
	}
	return s.customers.Link(ctx, cust, revealed)
}

// revealed are the platform id, email and phone a message shows for its
// sender, normalised; the platform id always verified (the provider
// issued it), the others when the provider vouches for them.
func (s *Service) revealed(ctx context.Context, snd channels.Sender) ([]customers.Revealed, error) {
	var out []customers.Revealed
	if p := strings.TrimSpace(snd.PlatformID); p != "" {
		out = append(out, customers.Revealed{Kind: customeridentity.KindPLATFORM_USER, Value: p, Verified: true, Source: customeridentity.SourceCHANNEL})
	}
	region := ""
	for _, cl := range []struct {
		kind  customeridentity.Kind
		value string
	}{{customeridentity.KindEMAIL, snd.Email}, {customeridentity.KindPHONE, snd.Phone}} {
		if strings.TrimSpace(cl.value) == "" {
			continue
		}
		if region == "" {
			var err error
			if region, err = s.customers.PhoneRegion(ctx); err != nil {
				return nil, err
			}
		}
		v, err := identity.Normalize("sender", cl.kind, cl.value, region)
		if err != nil {
			continue
		}
		out = append(out, customers.Revealed{Kind: cl.kind, Value: v, Verified: snd.Verified, Source: customeridentity.SourceCHANNEL})
	}
	return out, nil
}

// lockCustomer locks a customer's row until the transaction ends, on
// PostgreSQL (SQLite transactions are serial).
func (s *Service) lockCustomer(ctx context.Context, cust gid.ID) error {
	if !s.postgres {
		return nil
	}
	_, err := s.db(ctx).Customer.Query().Where(customer.ID(cust)).ForUpdate().Only(ctx)
	return err
}

// conversationFor returns the conversation a customer's message on the
// channel joins: the one threadKey names, when it is the customer's on
// this channel; else their open conversation, a recently resolved one
// reopened, or a new one. An auto-submitted message reopens nothing: it
// joins the resolved conversation as it is. On PostgreSQL the customer
// row is locked first (unless locked says it is), so concurrent messages
// of one customer cannot start two conversations.
func (s *Service) conversationFor(ctx context.Context, ch *ent.Channel, cust gid.ID, locked bool, threadKey string, auto bool, subject string) (conv *ent.Conversation, created, reopened bool, err error) {
	c := s.db(ctx)
	if !locked {
		if err := s.lockCustomer(ctx, cust); err != nil {
			return nil, false, false, err
		}
	}
	if threadKey != "" {
		conv, err = c.Conversation.Query().
			Where(conversation.ChannelID(ch.ID), conversation.Key(threadKey), conversation.CustomerID(cust)).
			Only(ctx)
		switch {
		case err == nil && conv.Status == conversation.StatusRESOLVED && !auto:
			conv, err = c.Conversation.UpdateOne(conv).SetStatus(conversation.StatusOPEN).ClearResolvedAt().Save(ctx)
			return conv, false, true, err
		case err == nil:
			return conv, false, false, nil
		case !ent.IsNotFound(err):
			return nil, false, false, err
		}
		// Not the sender's, or no such conversation: as without a key.
	}
	conv, err = c.Conversation.Query().
		Where(conversation.CustomerID(cust), conversation.ChannelID(ch.ID), conversation.StatusNEQ(conversation.StatusRESOLVED)).
		Order(ent.Desc(conversation.FieldCreatedAt)).
		First(ctx)
	if err == nil {
		return conv, false, false, nil
	}
	if !ent.IsNotFound(err) {
		return nil, false, false, err
	}
	conv, err = c.Conversation.Query().
		Where(conversation.CustomerID(cust), conversation.ChannelID(ch.ID),
			conversation.StatusEQ(conversation.StatusRESOLVED), conversation.ResolvedAtGT(s.now().Add(-s.reopen))).
		Order(ent.Desc(conversation.FieldResolvedAt)).
		First(ctx)
	if err == nil && auto {
		return conv, false, false, nil
	}
	if err == nil {
		conv, err = c.Conversation.UpdateOne(conv).SetStatus(conversation.StatusOPEN).ClearResolvedAt().Save(ctx)
		return conv, false, true, err
	}
	if !ent.IsNotFound(err) {
		return nil, false, false, err
	}
	create := c.Conversation.Create().SetCustomerID(cust).SetChannelID(ch.ID).SetNillableTeamID(ch.TeamID)
	if subject != "" {
		create.SetSubject(subject)
	}
	if auto {
		// Nobody wrote it (a newsletter, an auto-reply): kept, on the
		// customer's timeline, but no work for anyone.
		create.SetStatus(conversation.StatusRESOLVED).SetResolvedAt(s.now())
	}
	conv, err = create.Save(ctx)
	return conv, true, false, err
}

// threadOf is the key of the conversation the latest of ids (provider
// message ids a message answers) belongs to: a message stored under one,
// or one Switchboard sent under it; "" when none is known.
func (s *Service) threadOf(ctx context.Context, ch *ent.Channel, ids []string) (string, error) {
	c := s.db(ctx)
	msgs, err := c.Message.Query().Where(message.ChannelID(ch.ID), message.ProviderMessageIDIn(ids...)).
		Select(message.FieldConversationID, message.FieldProviderMessageID).All(ctx)
	if err != nil {
		return "", err
	}
	sent, err := c.OutboxItem.Query().Where(outboxitem.ChannelID(ch.ID), outboxitem.ProviderMessageIDIn(ids...)).
		Select(outboxitem.FieldMessageID, outboxitem.FieldProviderMessageID).All(ctx)
	if err != nil {
		return "", err
	}
	convOf := make(map[string]gid.ID, len(msgs)+len(sent))
	for _, m := range msgs {
		convOf[*m.ProviderMessageID] = m.ConversationID
	}
	if len(sent) > 0 {
		msgIDs := make([]gid.ID, len(sent))
		for i, o := range sent {
			msgIDs[i] = o.MessageID
		}
		outs, err := c.Message.Query().Where(message.IDIn(msgIDs...)).Select(message.FieldConversationID).All(ctx)
		if err != nil {
			return "", err
		}
		byMsg := make(map[gid.ID]gid.ID, len(outs))
		for _, m := range outs {
			byMsg[m.ID] = m.ConversationID
		}
		for _, o := range sent {
			if conv, ok := byMsg[o.MessageID]; ok && o.ProviderMessageID != "" {
				convOf[o.ProviderMessageID] = conv
			}
		}
	}
	for i := len(ids) - 1; i >= 0; i-- { // References run oldest to newest
		if conv, ok := convOf[ids[i]]; ok {
			return c.Conversation.Query().Where(conversation.ID(conv)).Select(conversation.FieldKey).String(ctx)
		}
	}
	return "", nil
}
