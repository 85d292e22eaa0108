package inbox

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// assignWaiting gives an unassigned OPEN or PENDING conversation to an
// agent: a conditional update of the agent's load (below capacity) and of
// the conversation (still unassigned), so neither an agent over capacity
// nor a conversation assigned twice can result. ok is false when either
// condition no longer holds; the caller's transaction must then roll back.
func (s *Service) assignWaiting(ctx context.Context, id, agentID gid.ID, online bool, step Activity) (conv *ent.Conversation, ok bool, err error) {
	c := s.db(ctx)
	claimed, err := s.ClaimCapacity(ctx, agentID, online)
	if err != nil || !claimed {
		return nil, false, err
	}
	n, err := c.Conversation.Update().
		Where(conversation.ID(id), conversation.AssigneeIDIsNil(), conversation.StatusIn(conversation.StatusOPEN, conversation.StatusPENDING)).
		SetAssigneeID(agentID).Save(ctx)
	if err != nil || n == 0 {
		return nil, false, err
	}
	conv, err = c.Conversation.Get(ctx, id)
	if err != nil {
		return nil, false, err
	}
	err = s.events.Record(ctx, events.Event{
		Type: events.ConversationAssigned, ConversationID: conv.ID, CustomerID: conv.CustomerID, AgentID: agentID,
	})
	if err != nil {
		return nil, false, err
	}
	step.AgentID = &agentID
	step.TeamID = conv.TeamID
	if err := s.RecordActivity(ctx, conv, step); err != nil {
		return nil, false, err
	}
	return conv, true, nil
}

// AutoAssign is routing's assignment of a waiting conversation to an
// ONLINE agent below capacity. It reports false, having changed nothing
// the caller must keep, when the agent filled up or the conversation was
// taken meanwhile (roll the transaction back).
func (s *Service) AutoAssign(ctx context.Context, id, agentID gid.ID) (bool, error) {
	_, ok, err := s.assignWaiting(ctx, id, agentID, true,
		Activity{Kind: conversationactivity.KindASSIGNED, Reason: conversationactivity.ReasonAUTO})
	return ok, err
}

// Take gives a waiting conversation to the acting agent, within their
// capacity.
func (s *Service) Take(ctx context.Context, id gid.ID) (*ent.Conversation, error) {
	c := s.db(ctx)
	a := viewer.FromContext(ctx)
	if a == nil || a.AgentID == "" || a.Kind == viewer.KindAPIToken {
		return nil, apperr.New(apperr.Forbidden, "only an agent can take a conversation")
	}
	conv, err := c.Conversation.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case conv.AssigneeID != nil && *conv.AssigneeID == a.AgentID:
		return conv, nil
	case conv.AssigneeID != nil:
		return nil, apperr.New(apperr.Conflict, "the conversation is already assigned")
	case !Counts(conv.Status):
		return nil, apperr.New(apperr.Conflict, "only OPEN or PENDING conversations wait for an agent")
	}
	out, ok, err := s.assignWaiting(ctx, id, a.AgentID, false,
		Activity{Kind: conversationactivity.KindTAKEN, Reason: conversationactivity.ReasonTAKEN})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.New(apperr.Conflict, "you are at capacity, or someone else took it first")
	}
	return out, nil
}

// Transfer hands a conversation to another agent, or to a team (it is
// then unassigned and routed within that team), with an optional note.
func (s *Service) Transfer(ctx context.Context, id gid.ID, agentID, teamID *gid.ID, note string) (*ent.Conversation, error) {
	c := s.db(ctx)
	if (agentID == nil) == (teamID == nil) {
		return nil, apperr.Invalid("agentID", "give exactly one of agentID and teamID")
	}
	if len(note) > 4096 {
		return nil, apperr.Invalid("note", "must be at most 4096 bytes")
	}
	conv, err := c.Conversation.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := c.Conversation.UpdateOne(conv)
	step := Activity{Kind: conversationactivity.KindTRANSFERRED, Reason: conversationactivity.ReasonTRANSFER, Note: note}
	if agentID != nil {
		ag, err := s.activeAgent(ctx, *agentID)
		if err != nil {
			return nil, err
		}
		if conv.AssigneeID != nil && *conv.AssigneeID == ag.ID {
			return nil, apperr.Invalid("agentID", "the conversation is already theirs")
		}
		// An agent hands over only to someone with room; supervisors may
		// go beyond capacity, as with assignConversation. The conditional
		// claim locks the agent's row until commit, so concurrent
		// transfers cannot both take the last place; reassigned below
		// counts the conversation, so the claim itself is given back.
		if a := viewer.FromContext(ctx); Counts(conv.Status) && a != nil && a.AgentID != "" && a.Role.Rank() < viewer.RoleSupervisor.Rank() {
			ok, err := s.ClaimCapacity(ctx, ag.ID, false)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, &apperr.Error{Code: apperr.Conflict, Field: "agentID", Message: "the agent is at capacity; a supervisor can assign beyond it"}
			}
			if err := s.addLoad(ctx, &ag.ID, -1); err != nil {
				return nil, err
			}
		}
		upd.SetAssigneeID(ag.ID)
		step.AgentID = &ag.ID
		step.TeamID = conv.TeamID
	} else {
		t, err := c.Team.Get(ctx, *teamID)
		if ent.IsNotFound(err) {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: "teamID", Message: "team not found"}
		}
		if err != nil {
			return nil, err
		}
		upd.SetTeamID(t.ID).ClearAssignee()
		step.TeamID = &t.ID
	}
	updated, err := upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.reassigned(ctx, conv, agentID); err != nil {
		return nil, err
	}
	if teamID != nil {
		if _, err := s.conversationChanged(ctx, updated, events.ChangeOther); err != nil {
			return nil, err
		}
	}
	if err := s.RecordActivity(ctx, updated, step); err != nil {
		return nil, err
	}
	return updated, nil
}
