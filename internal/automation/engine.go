package automation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/ent/automationrulerun"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/quickreply"
	"github.com/switchboard/switchboard/ent/tag"
	"github.com/switchboard/switchboard/ent/team"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/store"
)

// ConsumerName is the engine's name in the event log.
const ConsumerName = "automation"

// Run runs the engine (the durable consumer) until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.events.RunConsumer(ctx, events.Consumer{Name: ConsumerName, Handle: s.handle, Poll: s.o.Poll})
}

// handle is the consumer's handler; an error replays the batch, and runs
// already recorded make the replay a no-op.
// A batch is one workspace's: its rules are checked once per batch (a
// workspace without rules costs one statement per batch).
func (s *Service) handle(ctx context.Context, evs []*events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	set, err := s.rules(ctx, evs[0].WorkspaceID)
	if err != nil || set.count == 0 {
		return err
	}
	for _, ev := range evs {
		if err := s.handleEvent(ctx, set, ev); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) handleEvent(ctx context.Context, set *ruleSet, ev *events.Event) error {
	if ev.Type == events.MessageCreated && len(set.byTrigger[automationrule.TriggerCONVERSATION_IDLE]) > 0 {
		if err := s.scheduleIdle(ctx, ev.WorkspaceID, ev.ConversationID, set); err != nil {
			return err
		}
	}
	var trigger automationrule.Trigger
	switch {
	case ev.Type == events.MessageCreated:
		trigger = automationrule.TriggerMESSAGE_RECEIVED
	case ev.Type == events.ConversationCreated:
		trigger = automationrule.TriggerCONVERSATION_CREATED
	case ev.Type == events.ConversationUpdated && ev.Change == events.ChangeStatus:
		trigger = automationrule.TriggerCONVERSATION_STATUS_CHANGED
	case ev.Type == events.ConversationAssigned:
		trigger = automationrule.TriggerCONVERSATION_ASSIGNED
	case ev.Type == events.CustomerUpdated:
		trigger = automationrule.TriggerCUSTOMER_UPDATED
	default:
		return nil
	}
	if !set.active(trigger) {
		return nil
	}
	convs, text, err := s.subjects(ctx, ev)
	if err != nil || len(convs) == 0 {
		return err
	}
	chain, err := s.chainOf(ctx, ev.Cause)
	if err != nil {
		return err
	}
	for _, id := range convs {
		snap, err := s.snapshot(ctx, id, text, set.usesText[trigger] && text == nil)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.evaluate(ctx, set.byTrigger[trigger], set.rx, snap, ev.Seq, chain); err != nil {
			return err
		}
	}
	return nil
}

// active reports whether any rule of the trigger may run.
func (set *ruleSet) active(t automationrule.Trigger) bool {
	for _, r := range set.byTrigger[t] {
		if r.Enabled && r.SuspendedAt == nil {
			return true
		}
	}
	return false
}

// subjects are the conversations an event triggers rules on, and the
// message text when it is a customer's message. A message that is not
// from the customer triggers nothing; a customer update triggers each of
// the customer's conversations that is not resolved.
func (s *Service) subjects(ctx context.Context, ev *events.Event) ([]gid.ID, *string, error) {
	switch ev.Type {
	case events.MessageCreated:
		m, err := s.client.Message.Get(ctx, ev.MessageID)
		if ent.IsNotFound(err) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("automation: load message: %w", err)
		}
		if m.Direction != message.DirectionINBOUND || m.SenderKind != message.SenderKindCUSTOMER || m.Private {
			return nil, nil, nil
		}
		return []gid.ID{m.ConversationID}, &m.Body, nil
	case events.CustomerUpdated:
		ids, err := s.client.Conversation.Query().
			Where(conversation.WorkspaceID(ev.WorkspaceID), conversation.CustomerID(ev.CustomerID), conversation.StatusNEQ(conversation.StatusRESOLVED)).
			Order(ent.Asc(conversation.FieldID)).IDs(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("automation: customer's conversations: %w", err)
		}
		return ids, nil, nil
	}
	if ev.ConversationID == "" {
		return nil, nil, nil
	}
	return []gid.ID{ev.ConversationID}, nil, nil
}

// chainOf is the rules applied since the chain's root event: for an event
// a rule's action caused, the run that caused it names them; else none.
func (s *Service) chainOf(ctx context.Context, c events.Cause) ([]gid.ID, error) {
	if c.Kind != events.CauseRule || c.ID == "" {
		return nil, nil
	}
	run, err := s.client.AutomationRuleRun.Get(ctx, c.ID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("automation: load run: %w", err)
	}
	out := make([]gid.ID, 0, len(run.Chain))
	for _, id := range run.Chain {
		out = append(out, gid.ID(id))
	}
	return out, nil
}

// snapshot loads a conversation once for every rule an event evaluates:
// the conversation with its tags, channel, customer with tags; the last
// customer message when a rule reads it and the event has none.
func (s *Service) snapshot(ctx context.Context, id gid.ID, text *string, loadText bool) (*Snapshot, error) {
	conv, err := s.client.Conversation.Query().Where(conversation.ID(id)).
		WithChannel().
		WithTags(func(q *ent.TagQuery) { q.Select(tag.FieldID) }).
		WithCustomer(func(q *ent.CustomerQuery) { q.WithTags(func(q *ent.TagQuery) { q.Select(tag.FieldID) }) }).
		Only(ctx)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{
		ConversationID: conv.ID, CustomerID: conv.CustomerID, ChannelID: conv.ChannelID, Now: s.o.Now(),
		Status: string(conv.Status), Priority: string(conv.Priority), AssigneeID: conv.AssigneeID, TeamID: conv.TeamID,
		ConversationTags: map[gid.ID]bool{}, CustomerTags: map[gid.ID]bool{},
	}
	for _, t := range conv.Edges.Tags {
		snap.ConversationTags[t.ID] = true
	}
	if ch := conv.Edges.Channel; ch != nil {
		snap.ChannelKind, snap.ChannelName, snap.WorkingHours = ch.Kind, ch.Name, ch.WorkingHours
	}
	if cu := conv.Edges.Customer; cu != nil {
		snap.VIP, snap.Attributes, snap.CustomerName = cu.Vip, cu.CustomAttributes, cu.Name
		for _, t := range cu.Edges.Tags {
			snap.CustomerTags[t.ID] = true
		}
	}
	switch {
	case text != nil:
		snap.Text = *text
	case loadText:
		m, err := s.client.Message.Query().
			Where(message.ConversationID(id), message.DirectionEQ(message.DirectionINBOUND), message.Private(false)).
			Order(ent.Desc(message.FieldCreatedAt), ent.Desc(message.FieldID)).Select(message.FieldBody).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("automation: last message: %w", err)
		}
		if m != nil {
			snap.Text = m.Body
		}
	}
	return snap, nil
}

// evaluate runs the matching rules, in position order, against one
// conversation. A rule already in the chain (its own action, or an
// earlier link, caused the event) is skipped; stopProcessing ends the
// chain of rules when its rule applies.
func (s *Service) evaluate(ctx context.Context, rules []*ent.AutomationRule, rx Regexps, snap *Snapshot, pos int64, chain []gid.ID) error {
	for _, r := range rules {
		if !r.Enabled || r.SuspendedAt != nil || slices.Contains(chain, r.ID) {
			continue
		}
		if !Match(&r.Conditions, snap, rx, nil) {
			continue
		}
		applied, err := s.apply(ctx, r, snap, pos, chain)
		if err != nil {
			return err
		}
		if applied && r.StopProcessing {
			return nil
		}
	}
	return nil
}

// errSuspended commits a suspension instead of the rule's actions.
var errSuspended = errors.New("automation: suspended")

// apply runs a rule's actions on a conversation in one transaction with
// its run and its RULE_APPLIED step. The run's unique key (rule, event
// position, conversation) makes a replayed event a no-op. A rule that
// would take the conversation over the actions-per-minute cap is
// suspended instead; an action that fails is recorded as a FAILED run.
func (s *Service) apply(ctx context.Context, r *ent.AutomationRule, snap *Snapshot, pos int64, chain []gid.ID) (bool, error) {
	runID := gid.New("AutomationRuleRun")
	links := make([]string, 0, len(chain)+1)
	for _, id := range chain {
		links = append(links, string(id))
	}
	links = append(links, string(r.ID))
	applied := false
	err := store.InTx(ctx, s.client, func(ctx context.Context) error {
		c := s.db(ctx)
		done, err := c.AutomationRuleRun.Query().Where(automationrulerun.RuleID(r.ID), automationrulerun.EventPosition(pos),
			automationrulerun.ConversationID(snap.ConversationID)).Only(ctx)
		if err == nil {
			applied = done.Outcome == automationrulerun.OutcomeAPPLIED
			return nil
		}
		if !ent.IsNotFound(err) {
			return fmt.Errorf("automation: find run: %w", err)
		}
		now := s.o.Now().UTC()
		used, err := s.actionsSince(ctx, snap.ConversationID, now.Add(-time.Minute))
		if err != nil {
			return err
		}
		if used+len(r.Actions) > s.o.MaxActionsPerMinute {
			reason := fmt.Sprintf("over %d actions per minute on conversation %s", s.o.MaxActionsPerMinute, snap.ConversationID)
			if err := c.AutomationRule.UpdateOneID(r.ID).SetSuspendedAt(now).SetSuspendedReason(reason).Exec(ctx); err != nil {
				return fmt.Errorf("automation: suspend rule: %w", err)
			}
			return s.recordRun(ctx, runID, r.ID, snap.ConversationID, pos, automationrulerun.OutcomeSUSPENDED, nil, reason, links)
		}
		actx := events.WithCause(ctx, events.Cause{Kind: events.CauseRule, ID: runID})
		changes, err := s.act(actx, r, snap)
		if err != nil {
			return err
		}
		conv, err := c.Conversation.Get(ctx, snap.ConversationID)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("%s: %s", r.Name, strings.Join(changes, "; "))
		if len(note) > maxNote {
			note = note[:maxNote]
		}
		if err := s.inbox.RecordActivity(actx, conv, inbox.Activity{Kind: conversationactivity.KindRULE_APPLIED, RuleID: &r.ID, Note: note}); err != nil {
			return err
		}
		applied = true
		return s.recordRun(ctx, runID, r.ID, snap.ConversationID, pos, automationrulerun.OutcomeAPPLIED, changes, "", links)
	})
	if err == nil || !failedAction(err) {
		return applied, err
	}
	msg := apperr.MessageOf(err)
	if msg == "" {
		msg = err.Error()
	}
	s.o.Log.WarnContext(ctx, "automation rule failed", "rule_id", r.ID, "conversation_id", snap.ConversationID, "err", err)
	err = store.InTx(ctx, s.client, func(ctx context.Context) error {
		return s.recordRun(ctx, runID, r.ID, snap.ConversationID, pos, automationrulerun.OutcomeFAILED, nil, msg, links)
	})
	if ent.IsConstraintError(err) {
		err = nil
	}
	return false, err
}

// failedAction: the action was refused (a deactivated agent, a
// conversation that cannot be snoozed), not the database failing.
func failedAction(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) || ent.IsNotFound(err) || ent.IsValidationError(err)
}

func (s *Service) recordRun(ctx context.Context, id, rule, conv gid.ID, pos int64, outcome automationrulerun.Outcome, changes []string, msg string, chain []string) error {
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	err := s.db(ctx).AutomationRuleRun.Create().SetID(id).SetRuleID(rule).SetConversationID(conv).SetEventPosition(pos).
		SetOutcome(outcome).SetChanges(changes).SetError(msg).SetChain(chain).SetCreatedAt(s.o.Now().UTC()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("automation: record run: %w", err)
	}
	return nil
}

// actionsSince counts the rule actions applied to a conversation since t.
func (s *Service) actionsSince(ctx context.Context, conv gid.ID, t time.Time) (int, error) {
	runs, err := s.db(ctx).AutomationRuleRun.Query().
		Where(automationrulerun.ConversationID(conv), automationrulerun.OutcomeEQ(automationrulerun.OutcomeAPPLIED),
			automationrulerun.CreatedAtGT(t)).
		Select(automationrulerun.FieldChanges).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("automation: recent runs: %w", err)
	}
	n := 0
	for _, r := range runs {
		n += len(r.Changes)
	}
	return n, nil
}

// names for the "what changed" notes.
func (s *Service) tagNames(ctx context.Context, ids []gid.ID) string {
	ts, err := s.db(ctx).Tag.Query().Where(tag.IDIn(ids...)).Select(tag.FieldName).All(ctx)
	if err != nil || len(ts) == 0 {
		return fmt.Sprint(ids)
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// quickReplyTitle names a quick reply for people: "Title (/shortcut)", or
// its id when it is gone.
func (s *Service) quickReplyTitle(ctx context.Context, id gid.ID) string {
	qr, err := s.db(ctx).QuickReply.Query().Where(quickreply.ID(id)).Select(quickreply.FieldTitle, quickreply.FieldShortcut).Only(ctx)
	if err != nil {
		return string(id)
	}
	return fmt.Sprintf("%q (/%s)", qr.Title, qr.Shortcut)
}

func (s *Service) agentName(ctx context.Context, id gid.ID) string {
	a, err := s.db(ctx).Agent.Query().Where(agent.ID(id)).Select(agent.FieldName).Only(ctx)
	if err != nil {
		return string(id)
	}
	return a.Name
}

func (s *Service) teamName(ctx context.Context, id gid.ID) string {
	t, err := s.db(ctx).Team.Query().Where(team.ID(id)).Select(team.FieldName).Only(ctx)
	if err != nil {
		return string(id)
	}
	return t.Name
}
