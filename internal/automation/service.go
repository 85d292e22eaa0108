// Package automation runs automation rules: when a trigger happens to a
// conversation (created, a customer message, a status change, an
// assignment, idle for some minutes, its customer updated) and a rule's
// conditions hold, the rule's actions run, in one transaction with a run
// row and a RULE_APPLIED step on the conversation's timeline. The engine
// is a durable consumer of the event log (see engine.go); rules are cached
// per workspace (see cache.go).
package automation

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/store"
)

// QuickReplies finds and sends quick replies (internal/quickreplies).
type QuickReplies interface {
	Exists(ctx context.Context, id gid.ID) error
	// Values fills a conversation's variables (for notes).
	Values(ctx context.Context, conversationID gid.ID) (render.Values, error)
	Send(ctx context.Context, quickReplyID, conversationID gid.ID) (*ent.Message, error)
}

// Scheduler keeps durable timers (internal/timers).
type Scheduler interface {
	inbox.Scheduler
}

// Deps are the services rules act through; all are required.
type Deps struct {
	Events       *events.Log
	Inbox        *inbox.Service
	Customers    *customers.Service
	QuickReplies QuickReplies
	Timers       Scheduler
}

// Options tune the engine.
type Options struct {
	// MaxActionsPerMinute caps the rule actions one conversation gets per
	// minute; a rule that would go over is suspended. Default 20.
	MaxActionsPerMinute int
	Poll                time.Duration // the consumer's idle poll
	Now                 func() time.Time
	Log                 *slog.Logger
}

// Service manages rules and runs them.
type Service struct {
	client       *ent.Client
	events       *events.Log
	inbox        *inbox.Service
	customers    *customers.Service
	quickReplies QuickReplies
	timers       Scheduler
	o            Options

	mu    sync.Mutex
	cache map[gid.ID]*ruleSet
}

// New returns a Service.
func New(client *ent.Client, d Deps, o Options) *Service {
	if o.MaxActionsPerMinute <= 0 {
		o.MaxActionsPerMinute = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{
		client: client, events: d.Events, inbox: d.Inbox, customers: d.Customers, quickReplies: d.QuickReplies,
		timers: d.Timers, o: o, cache: map[gid.ID]*ruleSet{},
	}
}

func (s *Service) db(ctx context.Context) *ent.Client { return store.Client(ctx, s.client) }

// CreateInput is a new rule.
type CreateInput struct {
	Name           string
	Enabled        *bool
	Trigger        automationrule.Trigger
	IdleMinutes    *int
	Conditions     *schematype.RuleConditionGroup
	Actions        []schematype.RuleAction
	StopProcessing *bool
	Position       *int
}

// UpdateInput changes a rule; nil fields stay.
type UpdateInput struct {
	Name           *string
	Enabled        *bool
	Trigger        *automationrule.Trigger
	IdleMinutes    *int
	Conditions     *schematype.RuleConditionGroup
	Actions        []schematype.RuleAction
	StopProcessing *bool
}

func orAlways(g *schematype.RuleConditionGroup) schematype.RuleConditionGroup {
	if g == nil {
		return schematype.RuleConditionGroup{Operator: OpAnd}
	}
	return *g
}

// Create adds a rule at its position (default last), shifting the rules
// from there on, in the transaction ctx carries.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.AutomationRule, error) {
	c := s.db(ctx)
	conds := orAlways(in.Conditions)
	refs, err := checkShape(in.Trigger, in.IdleMinutes, &conds, in.Actions)
	if err != nil {
		return nil, err
	}
	if err := s.checkRefs(ctx, c, refs); err != nil {
		return nil, err
	}
	n, err := c.AutomationRule.Query().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("automation: count rules: %w", err)
	}
	pos := n
	if in.Position != nil {
		if *in.Position < 0 || *in.Position > n {
			return nil, apperr.Invalid("position", "must be from 0 to %d", n)
		}
		pos = *in.Position
		if _, err := c.AutomationRule.Update().Where(automationrule.PositionGTE(pos)).AddPosition(1).Save(ctx); err != nil {
			return nil, fmt.Errorf("automation: shift rules: %w", err)
		}
	}
	create := c.AutomationRule.Create().SetName(in.Name).SetTrigger(in.Trigger).SetNillableIdleMinutes(in.IdleMinutes).
		SetConditions(conds).SetActions(in.Actions).SetPosition(pos).
		SetNillableEnabled(in.Enabled).SetNillableStopProcessing(in.StopProcessing)
	return create.Save(ctx)
}

// Update changes a rule; enabling it lifts a suspension.
func (s *Service) Update(ctx context.Context, id gid.ID, in UpdateInput) (*ent.AutomationRule, error) {
	c := s.db(ctx)
	r, err := c.AutomationRule.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	trigger, idle, conds, actions := r.Trigger, r.IdleMinutes, r.Conditions, r.Actions
	if in.Trigger != nil {
		trigger = *in.Trigger
		if trigger != automationrule.TriggerCONVERSATION_IDLE && in.IdleMinutes == nil {
			idle = nil
		}
	}
	if in.IdleMinutes != nil {
		idle = in.IdleMinutes
	}
	if in.Conditions != nil {
		conds = *in.Conditions
	}
	if in.Actions != nil {
		actions = in.Actions
	}
	refs, err := checkShape(trigger, idle, &conds, actions)
	if err != nil {
		return nil, err
	}
	if err := s.checkRefs(ctx, c, refs); err != nil {
		return nil, err
	}
	upd := c.AutomationRule.UpdateOne(r).SetTrigger(trigger).SetConditions(conds).SetActions(actions).
		SetNillableEnabled(in.Enabled).SetNillableStopProcessing(in.StopProcessing)
	if in.Name != nil {
		upd.SetName(*in.Name)
	}
	if idle == nil {
		upd.ClearIdleMinutes()
	} else {
		upd.SetIdleMinutes(*idle)
	}
	if in.Enabled != nil && *in.Enabled {
		upd.ClearSuspendedAt().SetSuspendedReason("")
	}
	return upd.Save(ctx)
}

// Delete removes a rule (and its runs) and closes the gap in positions.
func (s *Service) Delete(ctx context.Context, id gid.ID) (gid.ID, error) {
	c := s.db(ctx)
	r, err := c.AutomationRule.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if err := c.AutomationRule.DeleteOne(r).Exec(ctx); err != nil {
		return "", fmt.Errorf("automation: delete rule: %w", err)
	}
	if _, err := c.AutomationRule.Update().Where(automationrule.PositionGT(r.Position)).AddPosition(-1).Save(ctx); err != nil {
		return "", fmt.Errorf("automation: shift rules: %w", err)
	}
	return id, nil
}

// Move puts a rule at a position (0 first); the rules between shift by one.
func (s *Service) Move(ctx context.Context, id gid.ID, pos int) (*ent.AutomationRule, error) {
	c := s.db(ctx)
	r, err := c.AutomationRule.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	n, err := c.AutomationRule.Query().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("automation: count rules: %w", err)
	}
	if pos < 0 || pos >= n {
		return nil, apperr.Invalid("position", "must be from 0 to %d", n-1)
	}
	switch {
	case pos < r.Position:
		_, err = c.AutomationRule.Update().
			Where(automationrule.PositionGTE(pos), automationrule.PositionLT(r.Position)).AddPosition(1).Save(ctx)
	case pos > r.Position:
		_, err = c.AutomationRule.Update().
			Where(automationrule.PositionGT(r.Position), automationrule.PositionLTE(pos)).AddPosition(-1).Save(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("automation: shift rules: %w", err)
	}
	return c.AutomationRule.UpdateOne(r).SetPosition(pos).Save(ctx)
}
