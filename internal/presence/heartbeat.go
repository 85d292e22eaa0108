package presence

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/agentpresence"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/events"
)

// Run heartbeats this instance's connected agents and sweeps every
// Heartbeat until ctx ends; then it stops the typing timers.
func (s *Service) Run(ctx context.Context) {
	defer s.stopTyping()
	t := time.NewTicker(s.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		if err := s.Heartbeat(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "presence: heartbeat", "err", err)
		}
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "presence: sweep", "err", err)
		}
		s.sweeps.Add(1)
	}
}

// heartbeatBatch bounds the rows of one upsert statement.
const heartbeatBatch = 500

// Heartbeat renews this instance's presence rows: last_seen now for agents
// connected here, and once, for an agent whose last connection closed,
// last_seen when it closed (so the grace counts from then).
func (s *Service) Heartbeat(ctx context.Context) error {
	now := s.now().UTC()
	type row struct {
		k    member
		n    int
		seen time.Time
	}
	s.mu.Lock()
	rows := make([]row, 0, len(s.conns))
	for k, l := range s.conns {
		if l.n > 0 {
			rows = append(rows, row{k, l.n, now})
		} else {
			rows = append(rows, row{k, 0, l.left})
		}
	}
	s.mu.Unlock()
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	for i := 0; i < len(rows); i += heartbeatBatch {
		batch := rows[i:min(i+heartbeatBatch, len(rows))]
		creates := make([]*ent.AgentPresenceCreate, len(batch))
		for j, r := range batch {
			creates[j] = s.client.AgentPresence.Create().
				SetWorkspaceID(r.k.workspace).SetAgentID(r.k.agent).SetInstanceID(s.instance).
				SetConnections(r.n).SetLastSeen(r.seen)
		}
		err := s.client.AgentPresence.CreateBulk(creates...).
			OnConflictColumns(agentpresence.FieldAgentID, agentpresence.FieldInstanceID).
			UpdateNewValues().Exec(ctx)
		if err != nil {
			return fmt.Errorf("presence: heartbeat: %w", err)
		}
	}
	// Departures are recorded: forget them unless the agent came back.
	s.mu.Lock()
	for _, r := range rows {
		if l := s.conns[r.k]; r.n == 0 && l != nil && l.n == 0 && l.left.Equal(r.seen) {
			delete(s.conns, r.k)
		}
	}
	s.mu.Unlock()
	return nil
}

// Sweep turns OFFLINE the agents, of every workspace, who are not OFFLINE,
// have not changed for the grace period, and have no presence row on any
// instance seen within it; it signals each change and returns how many it
// made. Each change is one conditional update, so sweepers running at once
// on several instances change (and signal) every agent once. It also
// deletes presence rows long past the grace.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	cutoff := s.now().UTC().Add(-s.grace)
	gone := []predicate.Agent{
		agent.StatusNEQ(agent.StatusOFFLINE),
		agent.UpdatedAtLT(cutoff),
		noPresenceSince(cutoff),
	}
	stale, err := s.client.Agent.Query().Where(gone...).
		Select(agent.FieldID, agent.FieldWorkspaceID).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("presence: sweep: %w", err)
	}
	changed := 0
	for _, a := range stale {
		n, err := s.client.Agent.Update().
			Where(append([]predicate.Agent{agent.ID(a.ID)}, gone...)...).
			SetStatus(agent.StatusOFFLINE).Save(ctx)
		if err != nil {
			return changed, fmt.Errorf("presence: sweep: %w", err)
		}
		if n == 1 {
			changed++
			s.signal(ctx, a.WorkspaceID, events.SignalAgentStatus, StatusSignal{a.ID, agent.StatusOFFLINE})
		}
	}
	_, err = s.client.AgentPresence.Delete().
		Where(agentpresence.LastSeenLT(cutoff.Add(-s.grace))).Exec(ctx)
	if err != nil {
		return changed, fmt.Errorf("presence: sweep rows: %w", err)
	}
	return changed, nil
}

// noPresenceSince: the agent has no presence row seen at or after t.
func noPresenceSince(t time.Time) predicate.Agent {
	return func(s *sql.Selector) {
		p := sql.Table(agentpresence.Table)
		s.Where(sql.Not(sql.Exists(
			sql.Select(p.C(agentpresence.FieldID)).From(p).Where(sql.And(
				sql.ColumnsEQ(p.C(agentpresence.FieldAgentID), s.C(agent.FieldID)),
				sql.GTE(p.C(agentpresence.FieldLastSeen), t),
			)),
		)))
	}
}
