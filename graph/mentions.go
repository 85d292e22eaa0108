package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// messageMentions are the agents a note mentions, in its order. For a
// message in a list the first to ask loads the agents of the whole list
// in one statement (none when no message of it mentions anyone), like
// messageFiles.
func (r *Resolver) messageMentions(ctx context.Context, obj *ent.Message) ([]*ent.Agent, error) {
	if len(obj.MentionedAgentIds) == 0 {
		return []*ent.Agent{}, nil
	}
	loads, _ := ctx.Value(listLoadsKey{}).(*listLoads)
	list, msgs := messagesInList(ctx, obj.ID)
	if loads == nil || list == nil {
		m, err := r.loadMentions(ctx, []*ent.Message{obj})
		return m[obj.ID], err
	}
	p := loads.page(listPageKey{list, "mentions"})
	p.once.Do(func() { p.result, p.err = r.loadMentions(ctx, msgs) })
	m, _ := p.result.(map[gid.ID][]*ent.Agent)
	return m[obj.ID], p.err
}

func (r *Resolver) loadMentions(ctx context.Context, msgs []*ent.Message) (map[gid.ID][]*ent.Agent, error) {
	seen := map[gid.ID]bool{}
	var ids []gid.ID
	for _, m := range msgs {
		for _, id := range m.MentionedAgentIds {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	byID := make(map[gid.ID]*ent.Agent, len(ids))
	if len(ids) > 0 {
		ags, err := r.db(ctx).Agent.Query().Where(agent.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, ag := range ags {
			byID[ag.ID] = ag
		}
	}
	out := make(map[gid.ID][]*ent.Agent, len(msgs))
	for _, m := range msgs {
		list := make([]*ent.Agent, 0, len(m.MentionedAgentIds))
		for _, id := range m.MentionedAgentIds {
			if ag := byID[id]; ag != nil {
				list = append(list, ag)
			}
		}
		out[m.ID] = list
	}
	return out, nil
}

// mentionsOf matches the message.mentioned events naming agent me.
func mentionsOf(me gid.ID) func(*events.Event) bool {
	return func(ev *events.Event) bool {
		return me != "" && ev.Type == events.MessageMentioned && ev.AgentID == me
	}
}

// mentionedMe is the viewer's mentions: an agent's, or an API token's
// agent's (viewer.Actor.AgentID).
func (r *Resolver) mentionedMe(ctx context.Context, after *string) (<-chan *model.MessageEvent, error) {
	var me gid.ID
	if a := viewer.FromContext(ctx); a != nil {
		me = a.AgentID
	}
	return subscribe(r, ctx, after, mentionsOf(me), r.loadMessage)
}
