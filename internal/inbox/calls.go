package inbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/call"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// callRank orders call statuses: a call moves to a higher rank only.
// MISSED and ENDED are both final.
func callRank(s call.Status) int {
	switch s {
	case call.StatusRINGING:
		return 1
	case call.StatusANSWERED:
		return 2
	}
	return 3
}

// recordCall stores one call event in the transaction ctx carries: the
// channel's call with its provider call id, created or moved forward
// (a redelivered or late event changes nothing), on the timeline of the
// customer with the calling number (the called one for an outbound call),
// matched by their PHONE identity or created with it. A ringing call joins
// the customer's open conversation on the channel if there is one; an
// answered or ended call joins it or opens one; a missed call opens (or
// reopens) one and makes the customer wait, so that routing hands the
// call-back to an agent.
func (s *Service) recordCall(ctx context.Context, ch *ent.Channel, ev channels.Call) error {
	status := call.Status(ev.Status)
	if ev.ProviderCallID == "" || call.StatusValidator(status) != nil {
		return nil // the adapter checked; nothing to record
	}
	dir := call.Direction(ev.Direction)
	if call.DirectionValidator(dir) != nil {
		dir = call.DirectionINBOUND
	}
	number := ev.From
	if dir == call.DirectionOUTBOUND {
		number = ev.To
	}
	if number == "" {
		return nil
	}
	c := s.db(ctx)
	ctx = store.Vetted(ctx, ch.ID)
	existing, err := c.Call.Query().Where(call.ChannelID(ch.ID), call.ProviderCallID(ev.ProviderCallID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return err
	}
	if existing != nil && callRank(status) <= callRank(existing.Status) {
		return nil // a duplicate or a late event: never backwards
	}
	var cust gid.ID
	if existing != nil {
		cust = existing.CustomerID
	} else {
		// The telephony system reports the number; the channel's signed
		// request vouches for it, as an SMS provider's does.
		if cust, err = s.resolveSender(ctx, ch, channels.Sender{ExternalID: number, Phone: number, Verified: true}); err != nil {
			return err
		}
	}
	ctx = store.Vetted(ctx, cust)
	if err := s.lockCustomer(ctx, cust); err != nil {
		return err
	}
	agentID, err := s.callAgent(ctx, ev)
	if err != nil {
		return err
	}

	// The conversation.
	var conv *ent.Conversation
	created, reopened := false, false
	if existing != nil && existing.ConversationID != nil {
		conv, err = c.Conversation.Get(ctx, *existing.ConversationID)
		if ent.IsNotFound(err) {
			conv, err = nil, nil
		}
		if err != nil {
			return err
		}
	}
	switch {
	case conv != nil && status == call.StatusMISSED && conv.Status == conversation.StatusRESOLVED:
		if conv, err = c.Conversation.UpdateOne(conv).SetStatus(conversation.StatusOPEN).ClearResolvedAt().Save(ctx); err != nil {
			return err
		}
		reopened = true
	case conv != nil:
	case status == call.StatusRINGING:
		conv, err = c.Conversation.Query().
			Where(conversation.CustomerID(cust), conversation.ChannelID(ch.ID), conversation.StatusNEQ(conversation.StatusRESOLVED)).
			Order(ent.Desc(conversation.FieldCreatedAt)).First(ctx)
		if ent.IsNotFound(err) {
			conv, err = nil, nil
		}
		if err != nil {
			return err
		}
	default:
		if conv, created, reopened, err = s.conversationFor(ctx, ch, cust, true, "", false, ""); err != nil {
			return err
		}
	}
	if conv != nil {
		ctx = store.Vetted(ctx, conv.ID)
		switch {
		case created:
			err = s.RecordActivity(ctx, conv, Activity{Kind: conversationactivity.KindOPENED, TeamID: conv.TeamID})
		case reopened:
			err = s.RecordActivity(ctx, conv, Activity{Kind: conversationactivity.KindREOPENED})
		}
		if err != nil {
			return err
		}
	}

	// The call.
	now := s.now()
	if existing == nil {
		started := ev.StartedAt
		if started.IsZero() {
			started = now
		}
		create := c.Call.Create().SetChannelID(ch.ID).SetProviderCallID(ev.ProviderCallID).SetCustomerID(cust).
			SetStatus(status).SetDirection(dir).SetFrom(ev.From).SetTo(ev.To).SetStartedAt(started.UTC()).
			SetNillableAgentID(agentID)
		if conv != nil {
			create.SetConversationID(conv.ID)
		}
		setCallTimes(create.Mutation(), ev)
		rec, err := s.callRecording(ctx, ch, ev)
		if err != nil {
			return err
		}
		create.SetNillableRecordingID(rec)
		if _, err := create.Save(ctx); err != nil {
			return err
		}
	} else {
		upd := c.Call.UpdateOne(existing).SetStatus(status)
		if conv != nil && existing.ConversationID == nil {
			upd.SetConversationID(conv.ID)
		}
		if agentID != nil {
			upd.SetAgentID(*agentID)
		}
		setCallTimes(upd.Mutation(), ev)
		if existing.RecordingID == nil {
			rec, err := s.callRecording(ctx, ch, ev)
			if err != nil {
				return err
			}
			upd.SetNillableRecordingID(rec)
		}
		if _, err := upd.Save(ctx); err != nil {
			return err
		}
	}
	if conv == nil {
		return s.events.Record(ctx, events.Event{Type: events.CustomerUpdated, CustomerID: cust})
	}

	// A missed call is a call-back to make: the conversation waits in the
	// queue. A new conversation shows in the inbox at the call's time.
	if status == call.StatusMISSED || created {
		upd := c.Conversation.Update().Where(conversation.ID(conv.ID)).SetLastMessageAt(now)
		if status == call.StatusMISSED {
			upd.SetStatus(conversation.StatusOPEN).ClearSnoozedUntil()
			if conv.WaitingSince == nil {
				upd.SetWaitingSince(now)
			}
		}
		if err := upd.Exec(ctx); err != nil {
			return err
		}
		if status == call.StatusMISSED {
			from := conv.Status
			if reopened {
				from = conversation.StatusRESOLVED
			}
			if err := s.statusLoad(ctx, conv.AssigneeID, from, conversation.StatusOPEN); err != nil {
				return err
			}
			if conv.Status == conversation.StatusSNOOZED {
				if err := s.timers.Cancel(ctx, TimerWake, string(conv.ID)); err != nil {
					return err
				}
			}
		}
	}
	ev2 := events.Event{Type: events.ConversationUpdated, Change: events.ChangeOther, ConversationID: conv.ID, CustomerID: cust}
	switch {
	case created:
		ev2 = events.Event{Type: events.ConversationCreated, ConversationID: conv.ID, CustomerID: cust}
	case reopened || (status == call.StatusMISSED && conv.Status != conversation.StatusOPEN):
		ev2.Change = events.ChangeStatus
	}
	return s.events.Record(ctx, ev2)
}

// callRecording records the call's recording, when the event names one,
// as a PENDING file of the channel that the files worker fetches after the
// commit (as a message's media); nil when there is none.
func (s *Service) callRecording(ctx context.Context, ch *ent.Channel, ev channels.Call) (*gid.ID, error) {
	if ev.RecordingURL == "" {
		return nil, nil
	}
	now := s.now().UTC()
	id := gid.New("File")
	err := s.db(ctx).File.Create().SetID(id).
		SetName(files.CleanName(files.URLName(ev.RecordingURL))).SetContentType("application/octet-stream").
		SetStatus(file.StatusPENDING).SetChannelID(ch.ID).SetSource(map[string]string{"url": ev.RecordingURL}).
		SetNextAttemptAt(now).SetCreatedAt(now).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: record a call's recording: %w", err)
	}
	s.events.AfterCommit(ctx, s.mediaQueued)
	return &id, nil
}

// callMutation is what setCallTimes sets, on a create or an update.
type callMutation interface {
	SetAnsweredAt(t time.Time)
	SetEndedAt(t time.Time)
	SetDurationSeconds(i int)
	SetRecordingURL(s string)
}

func setCallTimes(m callMutation, ev channels.Call) {
	if !ev.AnsweredAt.IsZero() {
		m.SetAnsweredAt(ev.AnsweredAt.UTC())
	}
	if !ev.EndedAt.IsZero() {
		m.SetEndedAt(ev.EndedAt.UTC())
	}
	if ev.Duration > 0 {
		m.SetDurationSeconds(int(ev.Duration / time.Second))
	}
	if ev.RecordingURL != "" {
		m.SetRecordingURL(ev.RecordingURL)
	}
}

// callAgent is the workspace's agent a call event names (by id, then by
// email), or nil.
func (s *Service) callAgent(ctx context.Context, ev channels.Call) (*gid.ID, error) {
	c := s.db(ctx)
	if id := gid.ID(ev.AgentID); ev.AgentID != "" {
		if typ, err := id.Type(); err == nil && typ == "Agent" {
			a, err := c.Agent.Query().Where(agent.ID(id)).OnlyID(ctx)
			if err == nil {
				return &a, nil
			}
			if !ent.IsNotFound(err) {
				return nil, err
			}
		}
	}
	if e := strings.TrimSpace(ev.AgentEmail); e != "" {
		a, err := c.Agent.Query().Where(agent.EmailEqualFold(e)).OnlyID(ctx)
		if err == nil {
			return &a, nil
		}
		if !ent.IsNotFound(err) && !ent.IsNotSingular(err) {
			return nil, err
		}
	}
	return nil, nil
}

// LogCallInput is a call an agent records by hand.
type LogCallInput struct {
	CustomerID      gid.ID
	ConversationID  *gid.ID
	Direction       call.Direction
	Status          call.Status
	From, To        string
	StartedAt       time.Time
	DurationSeconds *int
}

// LogCall records a call the acting agent made or took outside a phone
// channel, in the transaction ctx carries: on the customer's timeline and,
// when given, on one of their conversations. The customer and the
// conversation are read through the viewer's privacy (a hidden one is
// NOT_FOUND).
func (s *Service) LogCall(ctx context.Context, in LogCallInput) (*ent.Call, error) {
	c := s.db(ctx)
	if in.Status != call.StatusENDED && in.Status != call.StatusMISSED {
		return nil, apperr.Invalid("status", "a logged call is ENDED or MISSED")
	}
	if in.DurationSeconds != nil && (*in.DurationSeconds < 0 || in.Status != call.StatusENDED) {
		return nil, apperr.Invalid("durationSeconds", "must not be negative, and only for an ENDED call")
	}
	for field, v := range map[string]string{"from": in.From, "to": in.To} {
		if strings.TrimSpace(v) == "" || len(v) > 64 {
			return nil, apperr.Invalid(field, "give a number of at most 64 characters")
		}
	}
	cust, err := c.Customer.Get(ctx, in.CustomerID)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFoundf("no customer with id %q", string(in.CustomerID))
	}
	if err != nil {
		return nil, err
	}
	ctx = store.Vetted(ctx, cust.ID)
	create := c.Call.Create().SetCustomerID(cust.ID).SetStatus(in.Status).SetDirection(in.Direction).
		SetFrom(strings.TrimSpace(in.From)).SetTo(strings.TrimSpace(in.To)).SetStartedAt(in.StartedAt.UTC()).
		SetNillableDurationSeconds(in.DurationSeconds)
	var conv *ent.Conversation
	if in.ConversationID != nil {
		conv, err = c.Conversation.Get(ctx, *in.ConversationID)
		if ent.IsNotFound(err) {
			return nil, apperr.NotFoundf("no conversation with id %q", string(*in.ConversationID))
		}
		if err != nil {
			return nil, err
		}
		if conv.CustomerID != cust.ID {
			return nil, apperr.Invalid("conversationID", "is another customer's conversation")
		}
		ctx = store.Vetted(ctx, conv.ID)
		create.SetConversationID(conv.ID)
	}
	if a := viewer.FromContext(ctx); a != nil && a.AgentID != "" {
		ctx = store.Vetted(ctx, a.AgentID)
		create.SetAgentID(a.AgentID)
	}
	cl, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	ev := events.Event{Type: events.CustomerUpdated, CustomerID: cust.ID}
	if conv != nil {
		ev = events.Event{Type: events.ConversationUpdated, Change: events.ChangeOther, ConversationID: conv.ID, CustomerID: cust.ID}
	}
	return cl, s.events.Record(ctx, ev)
}
