package inbox

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
)

// TimerWake is the timer kind that wakes a snoozed conversation; its
// subject is the conversation's id.
const TimerWake = "conversation.wake"

// Scheduler keeps durable timers (internal/timers), in the transaction
// the context carries.
type Scheduler interface {
	Schedule(ctx context.Context, kind, subject string, workspaceID gid.ID, due time.Time) error
	Cancel(ctx context.Context, kind, subject string) error
}

// snoozeTimer schedules or cancels conv's wake-up after a status change.
func (s *Service) snoozeTimer(ctx context.Context, prev, conv *ent.Conversation) error {
	if conv.Status == conversation.StatusSNOOZED && conv.SnoozedUntil != nil {
		return s.timers.Schedule(ctx, TimerWake, string(conv.ID), conv.WorkspaceID, *conv.SnoozedUntil)
	}
	if prev.Status == conversation.StatusSNOOZED {
		return s.timers.Cancel(ctx, TimerWake, string(conv.ID))
	}
	return nil
}

// Wake is the TimerWake handler: a conversation still snoozed whose time
// has come becomes OPEN, with a WOKEN step and a status event. Anything
// else (woken already by a new message, resolved, snoozed again until
// later) is left alone, so a timer fired twice does no harm.
func (s *Service) Wake(ctx context.Context, t *ent.Timer) error {
	c := s.db(ctx)
	conv, err := c.Conversation.Get(ctx, gid.ID(t.Subject))
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inbox: wake: %w", err)
	}
	now := s.now().UTC()
	if conv.Status != conversation.StatusSNOOZED || conv.SnoozedUntil == nil || conv.SnoozedUntil.After(now) {
		return nil
	}
	n, err := c.Conversation.Update().
		Where(conversation.ID(conv.ID), conversation.StatusEQ(conversation.StatusSNOOZED), conversation.SnoozedUntilLTE(now)).
		SetStatus(conversation.StatusOPEN).ClearSnoozedUntil().Save(ctx)
	if err != nil || n == 0 {
		return err
	}
	if err := s.statusLoad(ctx, conv.AssigneeID, conversation.StatusSNOOZED, conversation.StatusOPEN); err != nil {
		return err
	}
	woken, err := c.Conversation.Get(ctx, conv.ID)
	if err != nil {
		return err
	}
	if err := s.RecordActivity(ctx, woken, Activity{Kind: conversationactivity.KindWOKEN}); err != nil {
		return err
	}
	return s.events.Record(ctx, events.Event{
		Type: events.ConversationUpdated, Change: events.ChangeStatus, ConversationID: conv.ID, CustomerID: conv.CustomerID,
	})
}
