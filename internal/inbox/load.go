package inbox

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/internal/gid"
)

// An agent's load is the number of OPEN and PENDING conversations assigned
// to them, kept on the agent's row. Every change of a conversation's
// assignee or status adjusts it in the same transaction; routing raises it
// only with a conditional update (below capacity), so concurrent
// assignments can never take an agent over capacity.

// Counts reports whether a conversation in this status counts toward its
// assignee's load.
func Counts(st conversation.Status) bool {
	return st == conversation.StatusOPEN || st == conversation.StatusPENDING
}

// BelowCapacity matches agents whose load is below their capacity.
func BelowCapacity() predicate.Agent {
	return func(s *entsql.Selector) {
		s.Where(entsql.ColumnsLT(s.C(agent.FieldLoad), s.C(agent.FieldCapacity)))
	}
}

// ClaimCapacity raises an agent's load by one if the agent is active and
// below capacity (and ONLINE when online is set), in one conditional
// update. It reports whether it did.
func (s *Service) ClaimCapacity(ctx context.Context, agentID gid.ID, online bool) (bool, error) {
	c := s.db(ctx)
	where := []predicate.Agent{agent.ID(agentID), agent.Active(true), BelowCapacity()}
	if online {
		where = append(where, agent.StatusEQ(agent.StatusONLINE))
	}
	n, err := c.Agent.Update().Where(where...).AddLoad(1).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("inbox: claim capacity: %w", err)
	}
	return n == 1, nil
}

// addLoad changes an agent's load by delta, never below zero.
func (s *Service) addLoad(ctx context.Context, agentID *gid.ID, delta int) error {
	c := s.db(ctx)
	if agentID == nil || delta == 0 {
		return nil
	}
	q := c.Agent.Update().Where(agent.ID(*agentID))
	if delta < 0 {
		q.Where(agent.LoadGTE(-delta))
	}
	if err := q.AddLoad(delta).Exec(ctx); err != nil {
		return fmt.Errorf("inbox: agent load: %w", err)
	}
	return nil
}

// statusLoad adjusts the assignee's load for a status change.
func (s *Service) statusLoad(ctx context.Context, assignee *gid.ID, from, to conversation.Status) error {
	switch {
	case Counts(from) && !Counts(to):
		return s.addLoad(ctx, assignee, -1)
	case !Counts(from) && Counts(to):
		return s.addLoad(ctx, assignee, 1)
	}
	return nil
}
