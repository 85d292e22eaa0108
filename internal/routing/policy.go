package routing

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/store"
)

// Limits of a routing policy.
const (
	MaxSkillRules    = 100
	MaxSkillName     = 64
	MaxRuleKeywords  = 50
	MaxQueueListSize = 100
)

// SetPolicy creates or replaces a channel's routing policy, in the
// transaction ctx carries, and asks for a routing pass once it commits
// (the queue may now be routable).
func (r *Router) SetPolicy(ctx context.Context, channelID gid.ID, strategy routingpolicy.Strategy, in []*schematype.SkillRule) (*ent.RoutingPolicy, error) {
	c := store.Client(ctx, r.client)
	if _, err := c.Channel.Get(ctx, channelID); err != nil {
		if ent.IsNotFound(err) {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: "channelID", Message: "channel not found"}
		}
		return nil, err
	}
	if len(in) > MaxSkillRules {
		return nil, apperr.Invalid("input.skillRules", "at most %d rules", MaxSkillRules)
	}
	rules := make([]schematype.SkillRule, 0, len(in))
	var tagIDs []gid.ID
	for i, rule := range in {
		if rule.Skill == "" || len(rule.Skill) > MaxSkillName {
			return nil, apperr.Invalid("input.skillRules", "rule %d: a skill name of 1 to %d characters", i+1, MaxSkillName)
		}
		if rule.MinLevel != nil && (*rule.MinLevel < 1 || *rule.MinLevel > 10) {
			return nil, apperr.Invalid("input.skillRules", "rule %d: minLevel is 1 to 10", i+1)
		}
		if w := rule.When; w != nil {
			for _, id := range w.TagIDs {
				tagIDs = append(tagIDs, gid.ID(id))
			}
			if len(w.Keywords) > MaxRuleKeywords || (w.CustomerAttribute != nil && w.CustomerAttribute.Name == "") {
				return nil, apperr.Invalid("input.skillRules", "rule %d: at most %d keywords, and an attribute needs a name", i+1, MaxRuleKeywords)
			}
		}
		rules = append(rules, *rule)
	}
	if len(tagIDs) > 0 {
		if err := store.CheckVisible(ctx, r.client, "Tag", "input.skillRules", tagIDs); err != nil {
			return nil, err
		}
	}
	existing, err := c.RoutingPolicy.Query().Where(routingpolicy.ChannelID(channelID)).Only(ctx)
	var p *ent.RoutingPolicy
	switch {
	case ent.IsNotFound(err):
		p, err = c.RoutingPolicy.Create().SetChannelID(channelID).SetStrategy(strategy).SetSkillRules(rules).Save(ctx)
	case err == nil:
		p, err = c.RoutingPolicy.UpdateOne(existing).SetStrategy(strategy).SetSkillRules(rules).Save(ctx)
	}
	if err != nil {
		return nil, err
	}
	ws := p.WorkspaceID
	r.events.AfterCommit(ctx, func() { r.Kick(ws) })
	return p, nil
}

// QueueEntry is a waiting conversation's place in the queue.
type QueueEntry struct {
	Conversation   *ent.Conversation
	Position       int // 1 is next
	WaitingSeconds int
}

// Waiting lists the first n conversations waiting for an agent (of one
// channel, or all the caller sees) in assignment order.
func (r *Router) Waiting(ctx context.Context, channelID *gid.ID, n int) ([]QueueEntry, error) {
	if n < 0 || n > MaxQueueListSize {
		return nil, apperr.Invalid("first", "must be between 0 and %d", MaxQueueListSize)
	}
	if channelID != nil {
		if err := store.CheckVisible(ctx, r.client, "Channel", "channelID", []gid.ID{*channelID}); err != nil {
			return nil, err
		}
	}
	q, err := r.Queue(ctx, channelID)
	if err != nil {
		return nil, err
	}
	now := r.o.Now()
	out := make([]QueueEntry, 0, min(n, len(q)))
	for i, w := range q {
		if i >= n {
			break
		}
		out = append(out, QueueEntry{Conversation: w.Conv, Position: i + 1, WaitingSeconds: max(0, int(now.Sub(w.Since()).Seconds()))})
	}
	return out, nil
}
