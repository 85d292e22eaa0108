package testenv

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/gid"
)

// Presence shortens the presence timings: the grace before an agent
// without a live connection goes OFFLINE, the heartbeat (and sweep)
// interval, and how long typing lasts without a renewal.
func Presence(grace, heartbeat, typing time.Duration) Option {
	return func(c *config.Config) {
		c.PresenceGrace, c.PresenceHeartbeat, c.TypingTimeout = grace, heartbeat, typing
	}
}

// StopWorkers stops the server's background work (fan-out listener,
// presence heartbeat and sweeper) while it keeps serving: to the other
// instances it looks crashed, though its sockets stay open.
func (s *Server) StopWorkers() { s.stopWorkers() }

// WaitSignalSubscribers waits until n subscriptions listen to ephemeral
// signals (presence, typing) on this server.
func (s *Server) WaitSignalSubscribers(t testing.TB, n int) {
	t.Helper()
	EventuallyErr(t, func() error {
		if got := s.App.Events.Signals().Subscribers(); got != n {
			return fmt.Errorf("%d signal subscribers, want %d", got, n)
		}
		return nil
	})
}

// WaitConnected waits until the agent has n live websocket connections on
// this server (presence counts them from connection_init to close).
func (s *Server) WaitConnected(t testing.TB, agentID string, n int) {
	t.Helper()
	EventuallyErr(t, func() error {
		if got := s.App.Presence.Connections(gid.ID(agentID)); got != n {
			return fmt.Errorf("agent %s has %d connections here, want %d", agentID, got, n)
		}
		return nil
	})
}

// WaitSweeps waits until the server's presence sweeper has run n more
// times, so that more than (n-1) heartbeat intervals have passed.
func (s *Server) WaitSweeps(t testing.TB, n int64) {
	t.Helper()
	want := s.App.Presence.Sweeps() + n
	EventuallyWithin(t, 30*time.Second, func() error {
		if got := s.App.Presence.Sweeps(); got < want {
			return fmt.Errorf("presence sweeper ran %d times, want %d", got, want)
		}
		return nil
	})
}
