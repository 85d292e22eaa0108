package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/store"
)

// setRoutingPolicy creates or replaces a channel's routing policy.
func (r *Resolver) setRoutingPolicy(ctx context.Context, channelID gid.ID, in model.RoutingPolicyInput) (*ent.RoutingPolicy, error) {
	c := r.db(ctx)
	if _, err := c.Channel.Get(ctx, channelID); err != nil {
		if ent.IsNotFound(err) {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: "channelID", Message: "channel not found"}
		}
		return nil, err
	}
	rules := make([]schematype.SkillRule, 0, len(in.SkillRules))
	var tagIDs []gid.ID
	for i, rule := range in.SkillRules {
		if rule.Skill == "" || len(rule.Skill) > 64 {
			return nil, apperr.Invalid("input.skillRules", "rule %d: a skill name of 1 to 64 characters", i+1)
		}
		if rule.MinLevel != nil && (*rule.MinLevel < 1 || *rule.MinLevel > 10) {
			return nil, apperr.Invalid("input.skillRules", "rule %d: minLevel is 1 to 10", i+1)
		}
		if w := rule.When; w != nil {
			for _, id := range w.TagIDs {
				tagIDs = append(tagIDs, gid.ID(id))
			}
			if len(w.Keywords) > 50 || (w.CustomerAttribute != nil && w.CustomerAttribute.Name == "") {
				return nil, apperr.Invalid("input.skillRules", "rule %d: at most 50 keywords, and an attribute needs a name", i+1)
			}
		}
		rules = append(rules, *rule)
	}
	if len(rules) > 100 {
		return nil, apperr.Invalid("input.skillRules", "at most 100 rules")
	}
	if len(tagIDs) > 0 {
		if err := store.CheckVisible(ctx, c, "Tag", "input.skillRules", tagIDs); err != nil {
			return nil, err
		}
	}
	existing, err := c.RoutingPolicy.Query().Where(routingpolicy.ChannelID(channelID)).Only(ctx)
	var p *ent.RoutingPolicy
	switch {
	case ent.IsNotFound(err):
		p, err = c.RoutingPolicy.Create().SetChannelID(channelID).SetStrategy(in.Strategy).SetSkillRules(rules).Save(ctx)
	case err == nil:
		p, err = c.RoutingPolicy.UpdateOne(existing).SetStrategy(in.Strategy).SetSkillRules(rules).Save(ctx)
	}
	if err != nil {
		return nil, err
	}
	// The queue may now be routable.
	if r.Router != nil {
		ws := p.WorkspaceID
		r.Events.AfterCommit(ctx, func() { r.Router.Kick(ws) })
	}
	return p, nil
}

// routingQueue lists waiting conversations in assignment order.
func (r *Resolver) routingQueue(ctx context.Context, channelID *gid.ID, first *int) ([]*model.QueueEntry, error) {
	n := 50
	if first != nil {
		n = *first
	}
	if n < 0 || n > 100 {
		return nil, apperr.Invalid("first", "must be between 0 and 100")
	}
	if channelID != nil {
		if err := store.CheckVisible(ctx, r.Client, "Channel", "channelID", []gid.ID{*channelID}); err != nil {
			return nil, err
		}
	}
	q, err := routing.Queue(ctx, r.Client, channelID)
	if err != nil {
		return nil, err
	}
	now := r.Now()
	out := make([]*model.QueueEntry, 0, min(n, len(q)))
	for i, w := range q {
		if i >= n {
			break
		}
		out = append(out, &model.QueueEntry{
			Conversation: w.Conv, Position: i + 1, WaitingSeconds: max(0, int(now.Sub(w.Since()).Seconds())),
		})
	}
	return out, nil
}
