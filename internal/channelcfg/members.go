package channelcfg

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// MaxMembers bounds each of a channel's member lists.
const MaxMembers = 1000

// SetMembers replaces a channel's member agents and teams (see
// internal/access); empty lists make it every agent's again. Ids the
// caller cannot see are NOT_FOUND (the tenant hook checks them).
func (s *Service) SetMembers(ctx context.Context, id gid.ID, agentIDs, teamIDs []gid.ID) (*ent.Channel, error) {
	c := s.db(ctx)
	if len(agentIDs) > MaxMembers {
		return nil, apperr.Invalid("agentIDs", "at most %d agents", MaxMembers)
	}
	if len(teamIDs) > MaxMembers {
		return nil, apperr.Invalid("teamIDs", "at most %d teams", MaxMembers)
	}
	ch, err := c.Channel.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.Channel.UpdateOne(ch).
		ClearMemberAgents().AddMemberAgentIDs(unique(agentIDs)...).
		ClearMemberTeams().AddMemberTeamIDs(unique(teamIDs)...).
		Save(ctx)
}

func unique(ids []gid.ID) []gid.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
