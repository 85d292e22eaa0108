package automation

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

// ruleSet is a workspace's rules as cached: by trigger in position
// order, with their expressions compiled. The version (how many rules,
// and the latest change) is checked with two indexed statements per
// event, so an inbound message evaluates any number of rules without a
// query per rule, and a change on any instance is seen at the next event.
type ruleSet struct {
	count     int
	latest    time.Time
	byTrigger map[automationrule.Trigger][]*ent.AutomationRule
	rx        Regexps
	usesText  map[automationrule.Trigger]bool
}

// rules returns the workspace's rule set, loading it when it changed. The
// workspace is named in every statement: consumers and timers run with
// privacy decided already.
func (s *Service) rules(ctx context.Context, ws gid.ID) (*ruleSet, error) {
	c := s.client
	n, err := c.AutomationRule.Query().Where(automationrule.WorkspaceID(ws)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("automation: rule version: %w", err)
	}
	var latest time.Time
	if n > 0 {
		r, err := c.AutomationRule.Query().Where(automationrule.WorkspaceID(ws)).Order(ent.Desc(automationrule.FieldUpdatedAt)).
			Select(automationrule.FieldUpdatedAt).First(ctx)
		if err != nil {
			return nil, fmt.Errorf("automation: rule version: %w", err)
		}
		latest = r.UpdatedAt
	}
	s.mu.Lock()
	set := s.cache[ws]
	s.mu.Unlock()
	if set != nil && set.count == n && set.latest.Equal(latest) {
		return set, nil
	}
	all, err := c.AutomationRule.Query().Where(automationrule.WorkspaceID(ws)).Order(ent.Asc(automationrule.FieldPosition)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("automation: load rules: %w", err)
	}
	set = compile(all)
	set.count, set.latest = n, latest
	s.mu.Lock()
	s.cache[ws] = set
	s.mu.Unlock()
	return set, nil
}

// compile groups rules by trigger and compiles their expressions.
func compile(all []*ent.AutomationRule) *ruleSet {
	set := &ruleSet{
		byTrigger: map[automationrule.Trigger][]*ent.AutomationRule{}, rx: Regexps{},
		usesText: map[automationrule.Trigger]bool{},
	}
	for _, r := range all {
		set.byTrigger[r.Trigger] = append(set.byTrigger[r.Trigger], r)
		walk(&r.Conditions, func(c *schematype.RuleCondition) {
			if c.Field != FieldMessageText {
				return
			}
			set.usesText[r.Trigger] = true
			if c.Operator == CmpMatches && len(c.Values) > 0 {
				if re, err := regexp.Compile(c.Values[0]); err == nil {
					set.rx[c.Values[0]] = re
				}
			}
		})
	}
	return set
}

func walk(g *schematype.RuleConditionGroup, fn func(*schematype.RuleCondition)) {
	for i := range g.Conditions {
		fn(&g.Conditions[i])
	}
	for i := range g.Groups {
		walk(&g.Groups[i], fn)
	}
}
