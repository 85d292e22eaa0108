package inbox

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/access"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/viewer"
)

// MaxMentions is the most agents one private note mentions.
const MaxMentions = schematype.MaxMentions

const mentionsField = "mentionedAgentIDs"

// mention is one distinct id of a note's mentions and where it first
// appeared in the caller's list (for the error's field).
type mention struct {
	id  gid.ID
	pos int
}

// distinctMentions collapses repeated ids, keeping the first of each in
// order; more than MaxMentions distinct ids, or any on a message that is
// not private, are INVALID_INPUT.
func distinctMentions(ids []gid.ID, private bool) ([]mention, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if !private {
		return nil, apperr.Invalid(mentionsField, "only a private note can mention agents")
	}
	seen := make(map[gid.ID]bool, len(ids))
	var out []mention
	for i, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, mention{id: id, pos: i})
	}
	if len(out) > MaxMentions {
		return nil, apperr.Invalid(mentionsField, "a note mentions at most %d agents", MaxMentions)
	}
	return out, nil
}

// checkMentions returns the ids of the agents a note on conv mentions,
// each once, in the order given. An id the actor cannot see (unknown, or
// another workspace's: ent privacy filters it out) is NOT_FOUND; a
// deactivated agent, or one who cannot see conv (a restricted AGENT who is
// neither a member of its channel nor its assignee, see internal/access),
// is INVALID_INPUT naming them.
func (s *Service) checkMentions(ctx context.Context, conv *ent.Conversation, ids []gid.ID, private bool) ([]gid.ID, error) {
	ms, err := distinctMentions(ids, private)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	want := make([]gid.ID, len(ms))
	for i, m := range ms {
		want[i] = m.id
	}
	found, err := s.db(ctx).Agent.Query().Where(agent.IDIn(want...)).
		Select(agent.FieldName, agent.FieldRole, agent.FieldActive).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: mentioned agents: %w", err)
	}
	byID := make(map[gid.ID]*ent.Agent, len(found))
	for _, ag := range found {
		byID[ag.ID] = ag
	}
	var audience *access.Audience
	for _, m := range ms {
		field := fmt.Sprintf("%s[%d]", mentionsField, m.pos)
		ag := byID[m.id]
		if ag == nil {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: field, Message: "agent not found"}
		}
		if !ag.Active {
			return nil, apperr.Invalid(field, "%s is deactivated", ag.Name)
		}
		as := &viewer.Actor{Kind: viewer.KindAgent, WorkspaceID: conv.WorkspaceID, AgentID: ag.ID, Role: viewer.Role(ag.Role)}
		if _, restricted := access.Restricted(as); !restricted {
			continue
		}
		if audience == nil {
			au, err := access.AudienceOf(ctx, s.client, conv)
			if err != nil {
				return nil, err
			}
			audience = &au
		}
		if !audience.Sees(as) {
			return nil, apperr.Invalid(field, "%s cannot see this conversation", ag.Name)
		}
	}
	return want, nil
}

// recordMentions tells each mentioned agent about the note msg: one
// message.mentioned event per agent, in the note's transaction.
func (s *Service) recordMentions(ctx context.Context, conv *ent.Conversation, msg *ent.Message) error {
	for _, id := range msg.MentionedAgentIds {
		err := s.events.Record(ctx, events.Event{
			Type: events.MessageMentioned, ConversationID: conv.ID, MessageID: msg.ID, CustomerID: conv.CustomerID, AgentID: id,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
