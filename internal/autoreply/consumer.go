package autoreply

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/autoreplysend"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/workhours"
)

// config is a channel's configuration ready to use.
type config struct {
	*ent.AutoReplyConfig
	keywords []keyword
}

// batch is what one batch of a workspace's events needs, loaded once.
type batch struct {
	msgs    map[gid.ID]*ent.Message
	convs   map[gid.ID]*ent.Conversation
	configs map[gid.ID]*config // by channel
	queue   []*routing.Waiting // read when a busy reply first needs it
	queued  bool
}

// reply is the auto-reply chosen for one event.
type reply struct {
	key    string
	body   string
	once   bool // welcome: once per conversation, whatever the cooldown
	values render.Values
}

// handle answers a batch of one workspace's events. It loads the
// messages, conversations and channel configurations once, then answers
// each event in its own transaction. An error replays the batch.
func (s *Service) handle(ctx context.Context, evs []*events.Event) error {
	var msgIDs, convIDs []gid.ID
	for _, ev := range evs {
		switch {
		case ev.Type == events.MessageCreated && ev.MessageID != "":
			msgIDs = append(msgIDs, ev.MessageID)
		case ev.Type == events.ConversationQueued:
			convIDs = append(convIDs, ev.ConversationID)
		}
	}
	if len(msgIDs) == 0 && len(convIDs) == 0 {
		return nil
	}
	b, err := s.load(ctx, evs[0].WorkspaceID, msgIDs, convIDs)
	if err != nil || len(b.configs) == 0 {
		return err
	}
	for _, ev := range evs {
		if err := s.answer(ctx, b, ev); err != nil {
			return err
		}
	}
	return nil
}

// load reads the workspace's configurations (cached, see configs), then
// the batch's inbound customer messages on configured channels and their
// conversations: a workspace without auto-replies costs no statement.
func (s *Service) load(ctx context.Context, ws gid.ID, msgIDs, convIDs []gid.ID) (*batch, error) {
	b := &batch{msgs: map[gid.ID]*ent.Message{}, convs: map[gid.ID]*ent.Conversation{}}
	var err error
	if b.configs, err = s.configs(ctx, ws); err != nil || len(b.configs) == 0 {
		return b, err
	}
	chIDs := make([]gid.ID, 0, len(b.configs))
	for id := range b.configs {
		chIDs = append(chIDs, id)
	}
	if len(msgIDs) > 0 {
		msgs, err := s.client.Message.Query().Where(message.IDIn(msgIDs...), message.ChannelIDIn(chIDs...),
			message.DirectionEQ(message.DirectionINBOUND), message.SenderKindEQ(message.SenderKindCUSTOMER),
			message.AutoSubmitted(false), message.Private(false)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("autoreply: messages: %w", err)
		}
		for _, m := range msgs {
			b.msgs[m.ID] = m
			convIDs = append(convIDs, m.ConversationID)
		}
	}
	if len(convIDs) == 0 {
		return b, nil
	}
	convs, err := s.client.Conversation.Query().Where(conversation.IDIn(convIDs...), conversation.ChannelIDIn(chIDs...)).
		WithChannel().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("autoreply: conversations: %w", err)
	}
	for _, cv := range convs {
		b.convs[cv.ID] = cv
	}
	return b, nil
}

// answer sends the auto-reply an event calls for, if any.
func (s *Service) answer(ctx context.Context, b *batch, ev *events.Event) error {
	var (
		conv *ent.Conversation
		r    *reply
		err  error
	)
	switch ev.Type {
	case events.MessageCreated:
		m := b.msgs[ev.MessageID]
		if m == nil {
			return nil
		}
		if conv = b.convs[m.ConversationID]; conv == nil || b.configs[conv.ChannelID] == nil {
			return nil
		}
		r, err = s.forMessage(ctx, b.configs[conv.ChannelID], conv, m, ev.CreatedAt)
	case events.ConversationQueued:
		if conv = b.convs[ev.ConversationID]; conv == nil || b.configs[conv.ChannelID] == nil {
			return nil
		}
		r, err = s.forQueued(ctx, b, b.configs[conv.ChannelID], conv)
	}
	if err != nil || r == nil {
		return err
	}
	return s.send(ctx, b.configs[conv.ChannelID], conv, ev, r)
}

// forMessage picks the reply to an inbound message: the first matching
// keyword, else out of hours, else welcome (the message opened the
// conversation). at is when the message was logged, so that a replay
// decides as the first run did.
func (s *Service) forMessage(ctx context.Context, c *config, conv *ent.Conversation, m *ent.Message, at time.Time) (*reply, error) {
	if k := matchKeyword(c.keywords, m.Body); k != nil {
		return &reply{key: KeywordKey(*k), body: k.Body}, nil
	}
	ch := conv.Edges.Channel
	if c.OutOfHours.Enabled && ch != nil && !workhours.Open(ch.WorkingHours, at) {
		next, _ := NextOpen(ch.WorkingHours, at)
		return &reply{key: KeyOutOfHours, body: c.OutOfHours.Body, values: render.Values{"channel.nextOpen": next}}, nil
	}
	if !c.Welcome.Enabled {
		return nil, nil
	}
	first, err := s.client.Message.Query().Where(message.ConversationID(conv.ID)).
		Order(ent.Asc(message.FieldCreatedAt), ent.Asc(message.FieldID)).FirstID(ctx)
	if err != nil {
		return nil, fmt.Errorf("autoreply: first message: %w", err)
	}
	if first != m.ID {
		return nil, nil
	}
	return &reply{key: KeyWelcome, body: c.Welcome.Body, once: true}, nil
}

// forQueued is the busy reply for a conversation routing queued, with its
// place in the queue; none when it is no longer waiting.
func (s *Service) forQueued(ctx context.Context, b *batch, c *config, conv *ent.Conversation) (*reply, error) {
	if !c.AllAgentsBusy.Enabled {
		return nil, nil
	}
	if !b.queued {
		q, err := s.router.Queue(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("autoreply: queue: %w", err)
		}
		b.queue, b.queued = q, true
	}
	for i, w := range b.queue {
		if w.Conv.ID == conv.ID {
			return &reply{key: KeyBusy, body: c.AllAgentsBusy.Body, values: render.Values{"queue.position": strconv.Itoa(i + 1)}}, nil
		}
	}
	return nil, nil
}

// errSkip rolls back a reply that must not go after all.
var errSkip = errors.New("autoreply: skipped")

// send sends r in one transaction with the record of it: nothing when the
// conversation's records show this event (or a later one) answered
// already, when the rule is cooling down, or when the conversation cannot
// be replied to now.
func (s *Service) send(ctx context.Context, c *config, conv *ent.Conversation, ev *events.Event, r *reply) error {
	ctx = events.WithCause(ctx, events.Cause{Kind: events.CauseAutoReply, ID: conv.ChannelID})
	err := store.InTx(ctx, s.client, func(ctx context.Context) error {
		db := store.Client(ctx, s.client)
		sends, err := db.AutoReplySend.Query().Where(autoreplysend.ConversationID(conv.ID)).All(ctx)
		if err != nil {
			return err
		}
		var prev *ent.AutoReplySend
		for _, x := range sends {
			if x.LastEventSeq >= ev.Seq {
				return errSkip // a replay: answered already
			}
			if x.RuleKey == r.key {
				prev = x
			}
		}
		cooldown := time.Duration(c.CooldownMinutes) * time.Minute
		if prev != nil && (r.once || ev.CreatedAt.Sub(prev.LastSentAt) < cooldown) {
			return errSkip
		}
		blocks, err := s.inbox.ReplyBlocks(ctx, []*ent.Conversation{conv})
		if err != nil {
			return err
		}
		if blocks[conv.ID] != inbox.ReplyAllowed {
			return errSkip
		}
		values, err := s.vars.Values(ctx, conv.ID)
		if err != nil {
			return err
		}
		for k, v := range r.values {
			values[k] = v
		}
		body := render.String(r.body, values)
		if _, err := s.inbox.Send(ctx, inbox.SendInput{ConversationID: conv.ID, Body: body, Automated: true}); err != nil {
			var ae *apperr.Error
			if errors.As(err, &ae) {
				// The channel refuses this text (too long for it, empty
				// once rendered): nothing to send.
				s.o.Log.WarnContext(ctx, "auto-reply not sent", "conversation_id", conv.ID, "rule", r.key, "err", err)
				return errSkip
			}
			return err
		}
		if prev == nil {
			return db.AutoReplySend.Create().SetConversationID(conv.ID).SetRuleKey(r.key).
				SetLastSentAt(ev.CreatedAt).SetLastEventSeq(ev.Seq).Exec(ctx)
		}
		n, err := db.AutoReplySend.Update().
			Where(autoreplysend.ID(prev.ID), autoreplysend.LastEventSeqLT(ev.Seq)).
			SetLastSentAt(ev.CreatedAt).SetLastEventSeq(ev.Seq).Save(ctx)
		if err == nil && n == 0 {
			err = errSkip // another instance answered meanwhile
		}
		return err
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("autoreply: send %s: %w", r.key, err)
	}
	return nil
}
