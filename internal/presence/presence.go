// Package presence knows which agents are around: the status an agent
// sets (ONLINE, AWAY, OFFLINE), which agents hold live websocket
// connections on which instance, and who is typing in a conversation.
//
// Each instance counts its agents' live connections and heartbeats them
// into agent_presence rows (one per agent and instance). A sweeper, which
// runs on every instance and is safe to run anywhere at once, turns agents
// who are not OFFLINE and have had no fresh row on any instance for the
// grace period OFFLINE; a crashed instance simply stops heartbeating. Status
// changes and typing are ephemeral signals (events.Log.Signal): no cursor,
// no replay.
package presence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

// Defaults of Options.
const (
	DefaultGrace         = 60 * time.Second
	DefaultTypingTimeout = 5 * time.Second
)

// Options tune a Service; zero values take the defaults.
type Options struct {
	// InstanceID names this instance in agent_presence rows; default a
	// random one per process.
	InstanceID string
	// Grace is how long an agent may have no live connection on any
	// instance before the sweeper turns them OFFLINE (default 60 s).
	Grace time.Duration
	// Heartbeat is how often this instance renews its presence rows and
	// sweeps (default a quarter of Grace; always less than Grace).
	Heartbeat time.Duration
	// TypingTimeout is how long typing=true lasts without a renewal
	// (default 5 s).
	TypingTimeout time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
}

// Service tracks presence and typing for one instance.
type Service struct {
	client    *ent.Client
	events    *events.Log
	onStatus  func(workspace gid.ID, status agent.Status)
	instance  string
	grace     time.Duration
	heartbeat time.Duration
	typingTTL time.Duration
	now       func() time.Time
	log       *slog.Logger
	wake      chan struct{}
	sweeps    atomic.Int64

	mu    sync.Mutex
	conns map[member]*live

	tmu    sync.Mutex
	typing map[typingKey]*typingState
	closed bool
}

// member is an agent of a workspace.
type member struct{ workspace, agent gid.ID }

// live is an agent's connections to this instance; left is when the last
// one closed (n is then 0) until a heartbeat records it.
type live struct {
	n    int
	left time.Time
}

// New returns a Service recording with client and signalling through log.
func New(client *ent.Client, log *events.Log, o Options) *Service {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Heartbeat <= 0 || o.Heartbeat >= o.Grace {
		o.Heartbeat = o.Grace / 4
	}
	if o.TypingTimeout <= 0 {
		o.TypingTimeout = DefaultTypingTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.InstanceID == "" {
		o.InstanceID = newInstanceID()
	}
	return &Service{
		client: client, events: log, instance: o.InstanceID,
		grace: o.Grace, heartbeat: o.Heartbeat, typingTTL: o.TypingTimeout,
		now: o.Now, log: o.Logger, wake: make(chan struct{}, 1),
		conns: map[member]*live{}, typing: map[typingKey]*typingState{},
	}
}

func newInstanceID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	if len(host) > 64 {
		host = host[:64]
	}
	if host == "" {
		host = "instance"
	}
	return host + "-" + hex.EncodeToString(b)
}

// InstanceID is this instance's name in agent_presence rows.
func (s *Service) InstanceID() string { return s.instance }

// Connect records a live connection of an agent to this instance. Call
// the returned function when it closes (calling it again does nothing).
func (s *Service) Connect(workspace, agentID gid.ID) (release func()) {
	k := member{workspace, agentID}
	s.mu.Lock()
	l := s.conns[k]
	if l == nil {
		l = &live{}
		s.conns[k] = l
	}
	l.n++
	first := l.n == 1
	s.mu.Unlock()
	if first {
		// Record the agent now rather than at the next beat.
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	var once sync.Once
	return func() { once.Do(func() { s.disconnect(k) }) }
}

func (s *Service) disconnect(k member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.conns[k]; l != nil && l.n > 0 {
		l.n--
		if l.n == 0 {
			l.left = s.now().UTC()
		}
	}
}

// Connections returns how many live connections an agent has here.
func (s *Service) Connections(agentID gid.ID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, l := range s.conns {
		if k.agent == agentID {
			n += l.n
		}
	}
	return n
}

// Sweeps returns how many heartbeat-and-sweep rounds Run has completed.
func (s *Service) Sweeps() int64 { return s.sweeps.Load() }

// StatusSignal is the data of an events.SignalAgentStatus signal.
type StatusSignal struct {
	AgentID gid.ID       `json:"agentID"`
	Status  agent.Status `json:"status"`
}

// DecodeStatus reads an agent status signal.
func DecodeStatus(sig *events.Signal) (StatusSignal, bool) {
	var v StatusSignal
	if sig.Kind != events.SignalAgentStatus || json.Unmarshal(sig.Data, &v) != nil || v.AgentID == "" {
		return v, false
	}
	return v, true
}

// OnStatus registers a function called after an agent's status change
// here commits (routing hands an agent coming ONLINE waiting
// conversations). Set it before the service runs.
func (s *Service) OnStatus(fn func(workspace gid.ID, status agent.Status)) { s.onStatus = fn }

// SetStatus sets an agent's status (in the transaction ctx carries, when
// there is one) and signals the change once it has committed.
func (s *Service) SetStatus(ctx context.Context, workspace, agentID gid.ID, status agent.Status) (*ent.Agent, error) {
	ag, err := store.Client(ctx, s.client).Agent.UpdateOneID(agentID).SetStatus(status).Save(ctx)
	if err != nil {
		return nil, err
	}
	s.events.AfterCommit(ctx, func() {
		s.signal(context.WithoutCancel(ctx), workspace, events.SignalAgentStatus, StatusSignal{agentID, status})
		if s.onStatus != nil {
			s.onStatus(workspace, status)
		}
	})
	return ag, nil
}

// signal sends an ephemeral signal, logging a failure: the change it
// announces is already durable, and clients re-query after reconnecting.
func (s *Service) signal(ctx context.Context, workspace gid.ID, kind string, data any) {
	if err := s.events.Signal(ctx, workspace, kind, data); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "presence: signal", "kind", kind, "err", err)
	}
}
