// Package access states who sees which conversations inside a workspace.
//
// A channel may have members (agents, directly or through a team). An
// agent with the AGENT role sees the conversations of the channels they
// are a member of, of channels without members, and those assigned to
// them; their messages, timeline entries and events follow. SUPERVISORs,
// ADMINs and Switchboard itself see every conversation of the workspace.
// An API token acts for its creator, with the creator's role. Visitors
// are confined to their own conversation elsewhere (internal/visitor).
//
// The rule is applied by ent's privacy layer (ent/schema/access.go) as a
// filter, so a hidden conversation is missing, exactly like one that does
// not exist; the same rule as SQL for hand-written queries (the timeline)
// and in memory for a subscription's shared event (Audience).
package access

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/team"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Restricted reports whether the channel rule narrows what a sees, and
// for whom: the agent (or the token's creator) whose memberships count.
func Restricted(a *viewer.Actor) (gid.ID, bool) {
	if a == nil || (a.Kind != viewer.KindAgent && a.Kind != viewer.KindAPIToken) {
		return "", false
	}
	return a.AgentID, a.Role.Rank() < viewer.RoleSupervisor.Rank()
}

// Channels matches the channels agent me sees: without members, or with
// me among them directly or through a team.
func Channels(me gid.ID) predicate.Channel {
	return channel.Or(
		channel.And(channel.Not(channel.HasMemberAgents()), channel.Not(channel.HasMemberTeams())),
		channel.HasMemberAgentsWith(agent.ID(me)),
		channel.HasMemberTeamsWith(team.HasAgentsWith(agent.ID(me))),
	)
}

// Conversations matches the conversations agent me sees.
func Conversations(me gid.ID) predicate.Conversation {
	return conversation.Or(conversation.AssigneeID(me), conversation.HasChannelWith(Channels(me)))
}

// VisibleConversationIDs is a sub-query of the ids of the conversations
// a sees, for hand-written SQL ("conversation_id IN (...)"); nil when a
// sees all of its workspace's. dialect is the outer query's.
func VisibleConversationIDs(a *viewer.Actor, dialect string) *entsql.Selector {
	me, ok := Restricted(a)
	if !ok {
		return nil
	}
	d := entsql.Dialect(dialect)
	s := d.Select(conversation.FieldID).From(d.Table(conversation.Table))
	Conversations(me)(s)
	return s
}

// Audience is who, among a workspace's restricted agents, sees one
// conversation. It lets a published event be loaded once and checked for
// each subscriber.
type Audience struct {
	everyone bool
	agents   map[gid.ID]bool
}

// Sees reports whether a sees the conversation.
func (au Audience) Sees(a *viewer.Actor) bool {
	me, restricted := Restricted(a)
	return !restricted || au.everyone || au.agents[me]
}

// AudienceOf reads who sees conv: its assignee and its channel's members
// (four statements at most), in the transaction ctx carries if any (base
// outside one). ctx must see the whole workspace.
func AudienceOf(ctx context.Context, base *ent.Client, conv *ent.Conversation) (Audience, error) {
	c := store.Client(ctx, base)
	ch, err := c.Channel.Query().Where(channel.ID(conv.ChannelID)).
		WithMemberAgents(func(q *ent.AgentQuery) { q.Select(agent.FieldID) }).
		WithMemberTeams(func(q *ent.TeamQuery) {
			q.Select(team.FieldID).WithAgents(func(q *ent.AgentQuery) { q.Select(agent.FieldID) })
		}).
		Only(ctx)
	if err != nil {
		return Audience{}, fmt.Errorf("access: audience: %w", err)
	}
	au := Audience{agents: map[gid.ID]bool{}}
	if len(ch.Edges.MemberAgents) == 0 && len(ch.Edges.MemberTeams) == 0 {
		au.everyone = true
	}
	for _, a := range ch.Edges.MemberAgents {
		au.agents[a.ID] = true
	}
	for _, t := range ch.Edges.MemberTeams {
		for _, a := range t.Edges.Agents {
			au.agents[a.ID] = true
		}
	}
	if conv.AssigneeID != nil {
		au.agents[*conv.AssigneeID] = true
	}
	return au, nil
}
