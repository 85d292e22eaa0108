package automation

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

// TimerIdle is the timer kind of CONVERSATION_IDLE rules; its subject is
// the conversation's id.
const TimerIdle = "automation.idle"

// scheduleIdle sets a conversation's idle timer after a message: due at
// its last message plus the smallest idle minutes of the workspace's
// rules.
func (s *Service) scheduleIdle(ctx context.Context, ws, conv gid.ID, set *ruleSet) error {
	c, err := s.client.Conversation.Query().Where(conversation.ID(conv)).
		Select(conversation.FieldLastMessageAt, conversation.FieldStatus).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("automation: idle: %w", err)
	}
	if c.LastMessageAt == nil || c.Status == conversation.StatusRESOLVED {
		return nil
	}
	next, ok := nextIdle(set, 0)
	if !ok {
		return nil
	}
	return store.InTx(ctx, s.client, func(ctx context.Context) error {
		return s.timers.Schedule(ctx, TimerIdle, string(conv), ws, c.LastMessageAt.Add(next))
	})
}

// nextIdle is the smallest idle time of an active rule above after.
func nextIdle(set *ruleSet, after time.Duration) (time.Duration, bool) {
	best, ok := time.Duration(0), false
	for _, r := range set.byTrigger[automationrule.TriggerCONVERSATION_IDLE] {
		if !r.Enabled || r.SuspendedAt != nil || r.IdleMinutes == nil {
			continue
		}
		d := time.Duration(*r.IdleMinutes) * time.Minute
		if d > after && (!ok || d < best) {
			best, ok = d, true
		}
	}
	return best, ok
}

// Idle is the TimerIdle handler: when the conversation is still idle (no
// message since, not resolved), the idle rules whose minutes have passed
// run, each once per quiet period (the run's key uses the last message's
// time), and the timer is set for the next larger idle time.
func (s *Service) Idle(ctx context.Context, t *ent.Timer) error {
	conv, err := s.client.Conversation.Get(ctx, gid.ID(t.Subject))
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("automation: idle: %w", err)
	}
	if conv.LastMessageAt == nil || conv.Status == conversation.StatusRESOLVED {
		return nil
	}
	set, err := s.rules(ctx, conv.WorkspaceID)
	if err != nil {
		return err
	}
	quiet := s.o.Now().Sub(*conv.LastMessageAt)
	var due []*ent.AutomationRule
	for _, r := range set.byTrigger[automationrule.TriggerCONVERSATION_IDLE] {
		if r.IdleMinutes != nil && time.Duration(*r.IdleMinutes)*time.Minute <= quiet {
			due = append(due, r)
		}
	}
	if len(due) > 0 {
		snap, err := s.snapshot(ctx, conv.ID, nil, set.usesText[automationrule.TriggerCONVERSATION_IDLE])
		if err != nil {
			return err
		}
		// The position of an idle "event": minus the last message's time,
		// so that a new quiet period runs the rules again.
		if err := s.evaluate(ctx, due, set.rx, snap, -conv.LastMessageAt.UnixMilli(), nil); err != nil {
			return err
		}
	}
	if next, ok := nextIdle(set, quiet); ok {
		return s.timers.Schedule(ctx, TimerIdle, t.Subject, conv.WorkspaceID, conv.LastMessageAt.Add(next))
	}
	return nil
}
