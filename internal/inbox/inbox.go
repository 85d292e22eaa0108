// Package inbox owns the conversation lifecycle: starting conversations,
// agents' messages and notes, assignment, status, priority and tags.
//
// Every operation runs in the transaction its context carries (the GraphQL
// layer opens one per mutation; see store.InTx), so a change and
// everything it implies commit together.
package inbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Service runs inbox operations. Each records the events clients see in
// the same transaction as the change.
type Service struct {
	client   *ent.Client // the base client; store.Client finds the transaction's
	now      func() time.Time
	events   *events.Log
	postgres bool          // SELECT ... FOR UPDATE, $n placeholders
	reopen   time.Duration // a resolved conversation reopens on a new message within this
	// customers links the identities inbound messages reveal.
	customers *customers.Service
	// kinds is the registry of channel kinds: what each can do, which
	// reply eligibility needs.
	kinds *channels.Registry
	// listTemplates lists a channel's approved templates.
	listTemplates func(ctx context.Context, ch *ent.Channel) ([]channels.Template, error)
	// timers wake snoozed conversations.
	timers Scheduler
	// queued gets a token after a commit that queued outbox items
	// (OutboxQueued).
	queued chan struct{}
	media  chan struct{}
	files  *files.Service
}

// Deps are the services the inbox works with; all are required.
type Deps struct {
	Events *events.Log
	// Customers links the identities inbound messages reveal to
	// customers: resolution by verified identity, automatic merges and
	// duplicate suggestions.
	Customers *customers.Service
	// Kinds is the registry of channel kinds: what each can do, which
	// reply eligibility needs.
	Kinds *channels.Registry
	// Templates lists a channel's approved templates
	// (channelcfg.Service.Templates).
	Templates func(ctx context.Context, ch *ent.Channel) ([]channels.Template, error)
	// Timers schedule snoozed conversations' wake-ups.
	Timers Scheduler
	// Files keeps attachments' bytes: outbound messages send links to them.
	Files *files.Service
}

// Options tune the inbox.
type Options struct {
	Now func() time.Time // default time.Now
	// Postgres: the database is PostgreSQL, where ingest locks a
	// customer's row while it picks the conversation (SQLite transactions
	// are serial already).
	Postgres bool
	// Reopen: a customer's new message reopens a conversation resolved
	// less than this ago (default 7 days) instead of starting a new one.
	Reopen time.Duration
}

// New returns a Service on client, the base client (operations use the
// transaction their context carries, if any); now defaults to time.Now.
func New(client *ent.Client, d Deps, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Reopen <= 0 {
		o.Reopen = 7 * 24 * time.Hour
	}
	return &Service{
		client: client, now: o.Now, events: d.Events, postgres: o.Postgres, reopen: o.Reopen,
		customers: d.Customers, kinds: d.Kinds, listTemplates: d.Templates, timers: d.Timers, files: d.Files,
		queued: make(chan struct{}, 1), media: make(chan struct{}, 1),
	}
}

// OutboxQueued receives a token after a transaction that queued outbox
// items committed: the Deliverer of this instance wakes on it (see
// DeliveryOptions.Queued), not on every commit.
func (s *Service) OutboxQueued() <-chan struct{} { return s.queued }

func (s *Service) outboxQueued() {
	select {
	case s.queued <- struct{}{}:
	default:
	}
}

// capabilities of a channel kind; none for an unknown kind.
func (s *Service) capabilities(kind string) channels.Capabilities {
	if s.kinds == nil {
		return channels.Capabilities{}
	}
	return s.kinds.Capabilities(kind)
}

// db is the client of the transaction ctx carries, or the base client
// outside one.
func (s *Service) db(ctx context.Context) *ent.Client {
	return store.Client(ctx, s.client)
}

// conversationChanged records a conversation.updated event.
func (s *Service) conversationChanged(ctx context.Context, conv *ent.Conversation, change events.Change) (*ent.Conversation, error) {
	err := s.events.Record(ctx, events.Event{
		Type: events.ConversationUpdated, Change: change, ConversationID: conv.ID, CustomerID: conv.CustomerID,
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}

// StartInput opens a conversation with a first outbound message.
type StartInput struct {
	CustomerID, ChannelID gid.ID
	Body                  string
	Subject               *string
	Template              *channels.TemplateMessage // instead of free text
}

// SendInput is an agent's message or note on a conversation.
type SendInput struct {
	ConversationID gid.ID
	Body           string
	Private        bool
	Template       *channels.TemplateMessage // instead of free text
	AttachmentIDs  []gid.ID                  // uploads to send with it
	// Automated: Switchboard writes it on the business's behalf (an
	// auto-reply, an automation rule), whoever the actor is: sender BOT,
	// auto-submitted, and not a response to the customer (the
	// conversation keeps waiting, and its first response is an agent's).
	Automated bool
	// MentionedAgentIDs: agents a private note mentions (see checkMentions).
	MentionedAgentIDs []gid.ID
}

// Start opens a conversation with a customer on a channel, with a first
// message from the acting agent.
func (s *Service) Start(ctx context.Context, in StartInput) (*ent.Conversation, error) {
	c := s.db(ctx)
	if in.Template == nil {
		if err := checkBody(in.Body); err != nil {
			return nil, err
		}
	}
	conv, err := c.Conversation.Create().
		SetCustomerID(in.CustomerID).
		SetChannelID(in.ChannelID).
		SetNillableSubject(in.Subject).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: start conversation: %w", err)
	}
	// Refused, and nothing kept (the caller's transaction rolls back), when
	// the first message could not be sent.
	out, err := s.outgoing(ctx, conv, in.Body, in.Template, nil)
	if err != nil {
		return nil, err
	}
	err = s.events.Record(ctx, events.Event{Type: events.ConversationCreated, ConversationID: conv.ID, CustomerID: conv.CustomerID})
	if err != nil {
		return nil, err
	}
	if err := s.RecordActivity(ctx, conv, Activity{Kind: conversationactivity.KindOPENED, TeamID: conv.TeamID}); err != nil {
		return nil, err
	}
	if _, err := s.addAgentMessage(ctx, conv, out, false, false); err != nil {
		return nil, err
	}
	return c.Conversation.Get(ctx, conv.ID)
}

// Send stores an agent's message (status QUEUED, for delivery through the
// channel) or private note on a conversation. A message the channel could
// not send now (see ReplyBlocks), or one longer than it sends, is refused
// before anything is queued.
func (s *Service) Send(ctx context.Context, in SendInput) (*ent.Message, error) {
	c := s.db(ctx)
	if in.Private && in.Template != nil {
		return nil, apperr.Invalid("template", "a private note cannot be a template")
	}
	if in.Template != nil && len(in.AttachmentIDs) > 0 {
		return nil, apperr.Invalid("attachmentIDs", "a template cannot carry files")
	}
	if err := checkAttachmentIDs(in.AttachmentIDs); err != nil {
		return nil, err
	}
	if _, err := distinctMentions(in.MentionedAgentIDs, in.Private); err != nil {
		return nil, err
	}
	if in.Template == nil {
		if err := checkContent(in.Body, len(in.AttachmentIDs)); err != nil {
			return nil, err
		}
	}
	conv, err := c.Conversation.Get(ctx, in.ConversationID)
	if err != nil {
		return nil, err
	}
	out := outgoing{body: in.Body, files: in.AttachmentIDs}
	if !in.Private {
		if out, err = s.outgoing(ctx, conv, in.Body, in.Template, in.AttachmentIDs); err != nil {
			return nil, err
		}
	}
	if out.mentions, err = s.checkMentions(ctx, conv, in.MentionedAgentIDs, in.Private); err != nil {
		return nil, err
	}
	return s.addAgentMessage(ctx, conv, out, in.Private, in.Automated)
}

func (s *Service) addAgentMessage(ctx context.Context, conv *ent.Conversation, out outgoing, private, automated bool) (*ent.Message, error) {
	c := s.db(ctx)
	body := out.body
	now := s.now().UTC() // one zone for every stored time: SQLite compares them as text
	create := c.Message.Create().
		SetConversationID(conv.ID).
		SetChannelID(conv.ChannelID).
		SetCustomerID(conv.CustomerID).
		SetDirection(message.DirectionOUTBOUND).
		SetBody(body).
		SetPrivate(private).
		SetCreatedAt(now)
	if a := viewer.FromContext(ctx); automated {
		create.SetSenderKind(message.SenderKindBOT).SetAutoSubmitted(true)
	} else if a != nil && a.AgentID != "" {
		create.SetSenderKind(message.SenderKindAGENT).SetAuthorID(a.AgentID)
	} else {
		create.SetSenderKind(message.SenderKindBOT)
	}
	if !private {
		create.SetDeliveryStatus(message.DeliveryStatusQUEUED)
	}
	if out.template != nil {
		create.SetTemplate(out.template)
	}
	if len(out.mentions) > 0 {
		create.SetMentionedAgentIds(out.mentions)
	}
	msg, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: add message: %w", err)
	}
	if len(out.files) > 0 {
		if err := s.attachUploads(ctx, msg.ID, out.files, Uploader{}); err != nil {
			return nil, err
		}
	}
	err = s.events.Record(ctx, events.Event{
		Type: events.MessageCreated, ConversationID: conv.ID, MessageID: msg.ID, CustomerID: conv.CustomerID,
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordMentions(ctx, conv, msg); err != nil {
		return nil, err
	}
	if private {
		return msg, nil // notes never go to a channel
	}
	s.events.AfterCommit(ctx, s.outboxQueued)
	if err := c.OutboxItem.Create().SetMessageID(msg.ID).SetChannelID(conv.ChannelID).SetNextAttemptAt(now).Exec(ctx); err != nil {
		return nil, fmt.Errorf("inbox: queue message: %w", err)
	}
	upd := c.Conversation.UpdateOne(conv).
		SetLastMessageID(msg.ID).
		SetLastMessageAt(now)
	if !automated {
		upd.ClearWaitingSince()
		if conv.FirstResponseAt == nil && conv.WaitingSince != nil {
			upd.SetFirstResponseAt(now)
		}
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, fmt.Errorf("inbox: update conversation: %w", err)
	}
	return msg, nil
}

// MaxBody is the longest message body, in bytes.
const MaxBody = schematype.MaxBody

func checkBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return apperr.Invalid("body", "must not be empty")
	}
	if len(body) > MaxBody {
		return apperr.Invalid("body", "must be at most %d bytes", MaxBody)
	}
	return nil
}

// Assign gives the conversation to an active agent, or unassigns it.
func (s *Service) Assign(ctx context.Context, id gid.ID, agentID *gid.ID) (*ent.Conversation, error) {
	c := s.db(ctx)
	conv, err := c.Conversation.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := c.Conversation.UpdateOne(conv)
	if agentID == nil {
		upd.ClearAssignee()
	} else {
		ag, err := s.activeAgent(ctx, *agentID)
		if err != nil {
			return nil, err
		}
		upd.SetAssigneeID(ag.ID)
	}
	updated, err := upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	changed, err := s.reassigned(ctx, conv, agentID)
	if err != nil || !changed {
		return updated, err
	}
	step := Activity{Kind: conversationactivity.KindUNASSIGNED}
	if agentID != nil {
		step = Activity{Kind: conversationactivity.KindASSIGNED, Reason: conversationactivity.ReasonMANUAL, AgentID: agentID, TeamID: updated.TeamID}
	}
	if err := s.RecordActivity(ctx, updated, step); err != nil {
		return nil, err
	}
	return updated, nil
}

// activeAgent loads an agent who may receive conversations.
func (s *Service) activeAgent(ctx context.Context, id gid.ID) (*ent.Agent, error) {
	c := s.db(ctx)
	ag, err := c.Agent.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.NotFound, Field: "agentID", Message: "agent not found"}
	}
	if err != nil {
		return nil, err
	}
	if !ag.Active {
		return nil, apperr.Invalid("agentID", "the agent is deactivated")
	}
	return ag, nil
}

// reassigned moves the load of conv (as it was before the change) from
// its previous assignee to next, and records the conversation.assigned
// event. It reports whether the assignee changed at all.
func (s *Service) reassigned(ctx context.Context, conv *ent.Conversation, next *gid.ID) (bool, error) {
	var prevID, nextID gid.ID
	if conv.AssigneeID != nil {
		prevID = *conv.AssigneeID
	}
	if next != nil {
		nextID = *next
	}
	if prevID == nextID {
		return false, nil
	}
	if Counts(conv.Status) {
		if err := s.addLoad(ctx, conv.AssigneeID, -1); err != nil {
			return false, err
		}
		if err := s.addLoad(ctx, next, 1); err != nil {
			return false, err
		}
	}
	return true, s.events.Record(ctx, events.Event{
		Type: events.ConversationAssigned, ConversationID: conv.ID, CustomerID: conv.CustomerID,
		AgentID: nextID, PreviousAgentID: prevID,
	})
}

// SetStatus changes the status. SNOOZED needs a time in the future;
// RESOLVED records when; reopening clears both.
func (s *Service) SetStatus(ctx context.Context, id gid.ID, status conversation.Status, snoozedUntil *time.Time) (*ent.Conversation, error) {
	c := s.db(ctx)
	now := s.now()
	prev, err := c.Conversation.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := c.Conversation.UpdateOne(prev).SetStatus(status)
	switch status {
	case conversation.StatusSNOOZED:
		if snoozedUntil == nil || !snoozedUntil.After(now) {
			return nil, apperr.Invalid("snoozedUntil", "a snoozed conversation needs a time in the future")
		}
		upd.SetSnoozedUntil(*snoozedUntil).ClearResolvedAt()
	default:
		if snoozedUntil != nil {
			return nil, apperr.Invalid("snoozedUntil", "only a SNOOZED conversation has a snooze time")
		}
		upd.ClearSnoozedUntil()
		if status == conversation.StatusRESOLVED {
			upd.SetResolvedAt(now)
		} else {
			upd.ClearResolvedAt()
		}
	}
	conv, err := upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.statusLoad(ctx, conv.AssigneeID, prev.Status, status); err != nil {
		return nil, err
	}
	if err := s.snoozeTimer(ctx, prev, conv); err != nil {
		return nil, err
	}
	if step, ok := statusActivity(prev.Status, status); ok {
		a := Activity{Kind: step}
		if step == conversationactivity.KindSNOOZED {
			a.Note = conv.SnoozedUntil.UTC().Format(time.RFC3339)
		}
		if err := s.RecordActivity(ctx, conv, a); err != nil {
			return nil, err
		}
	}
	return s.conversationChanged(ctx, conv, events.ChangeStatus)
}

// SetPriority changes the priority.
func (s *Service) SetPriority(ctx context.Context, id gid.ID, p conversation.Priority) (*ent.Conversation, error) {
	c := s.db(ctx)
	conv, err := c.Conversation.UpdateOneID(id).SetPriority(p).Save(ctx)
	if err != nil {
		return nil, err
	}
	return s.conversationChanged(ctx, conv, events.ChangePriority)
}

// AddTags tags the conversation; tags already on it stay once.
func (s *Service) AddTags(ctx context.Context, id gid.ID, tagIDs []gid.ID) (*ent.Conversation, error) {
	c := s.db(ctx)
	conv, err := c.Conversation.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	have, err := conv.QueryTags().IDs(ctx)
	if err != nil {
		return nil, err
	}
	has := make(map[gid.ID]bool, len(have))
	for _, t := range have {
		has[t] = true
	}
	var add []gid.ID
	for _, t := range tagIDs {
		if !has[t] {
			has[t] = true
			add = append(add, t)
		}
	}
	conv, err = conv.Update().AddTagIDs(add...).Save(ctx)
	if err != nil {
		return nil, err
	}
	return s.conversationChanged(ctx, conv, events.ChangeTags)
}

// RemoveTags untags the conversation.
func (s *Service) RemoveTags(ctx context.Context, id gid.ID, tagIDs []gid.ID) (*ent.Conversation, error) {
	c := s.db(ctx)
	conv, err := c.Conversation.UpdateOneID(id).RemoveTagIDs(tagIDs...).Save(ctx)
	if err != nil {
		return nil, err
	}
	return s.conversationChanged(ctx, conv, events.ChangeTags)
}
