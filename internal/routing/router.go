// Package routing assigns waiting conversations to the right available
// agent, or leaves them queued in a fair order. It runs as a durable
// consumer of the event log (a crash replays the events it had not
// finished, and routing is idempotent), plus a periodic sweep for what the
// log does not carry (agents coming ONLINE on another instance, working
// hours opening). Assignments are conditional updates of the agent's load
// and of the conversation, so any number of routers and agents taking
// conversations at once never put an agent over capacity or assign a
// conversation twice.
package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/ent/team"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
	"github.com/switchboard/switchboard/internal/workhours"
)

// ConsumerName is the routing consumer's name in the event log.
const ConsumerName = "routing"

// Options tune the router.
type Options struct {
	Sweep time.Duration // how often every workspace is routed anyway; default 15s
	Poll  time.Duration // the consumer's idle poll; default 1s
	Now   func() time.Time
	Log   *slog.Logger
}

// Router routes conversations.
type Router struct {
	client *ent.Client
	events *events.Log
	inbox  *inbox.Service
	o      Options

	kicks chan gid.ID
	mu    sync.Mutex // one routing pass per workspace at a time here
	busy  map[gid.ID]*sync.Mutex
}

// New returns a Router.
func New(client *ent.Client, log *events.Log, in *inbox.Service, o Options) *Router {
	if o.Sweep <= 0 {
		o.Sweep = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Router{client: client, events: log, inbox: in, o: o, kicks: make(chan gid.ID, 256), busy: map[gid.ID]*sync.Mutex{}}
}

// Kick asks for a routing pass of a workspace soon (an agent came ONLINE
// here). It never blocks; the sweep catches anything dropped.
func (r *Router) Kick(ws gid.ID) {
	select {
	case r.kicks <- ws:
	default:
	}
}

// Run routes until ctx ends: the durable consumer, kicks and the sweep.
func (r *Router) Run(ctx context.Context) {
	go r.events.RunConsumer(ctx, events.Consumer{Name: ConsumerName, Handle: r.handle, Poll: r.o.Poll})
	tick := time.NewTicker(r.o.Sweep)
	defer tick.Stop()
	// A timer for the next time a routed channel opens or closes, so its
	// queue is routed the moment working hours begin.
	hours := time.NewTimer(time.Hour)
	defer hours.Stop()
	opens := map[gid.ID]bool{}
	rearm := func() {
		at, wss := r.nextHoursChange(ctx)
		opens = wss
		hours.Reset(max(time.Until(at), 10*time.Millisecond))
	}
	rearm()
	for {
		select {
		case <-ctx.Done():
			return
		case ws := <-r.kicks:
			r.routeLogged(ctx, ws)
		case <-hours.C:
			for ws := range opens {
				r.routeLogged(ctx, ws)
			}
			rearm()
		case <-tick.C:
			rearm()
			ids, err := r.client.Workspace.Query().IDs(privacy.DecisionContext(ctx, privacy.Allow))
			if err != nil {
				r.o.Log.ErrorContext(ctx, "routing sweep", "err", err)
				continue
			}
			for _, ws := range ids {
				r.routeLogged(ctx, ws)
			}
		}
	}
}

// nextHoursChange is the next time a channel with a routing policy opens
// or closes (at most an hour ahead, when none does sooner), and the
// workspaces whose channels change then.
func (r *Router) nextHoursChange(ctx context.Context) (time.Time, map[gid.ID]bool) {
	now := r.o.Now()
	next := now.Add(time.Hour)
	wss := map[gid.ID]bool{}
	ps, err := r.client.RoutingPolicy.Query().
		Where(routingpolicy.StrategyNEQ(routingpolicy.StrategyMANUAL)).
		WithChannel().All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		if ctx.Err() == nil {
			r.o.Log.ErrorContext(ctx, "routing: working hours", "err", err)
		}
		return next, wss
	}
	for _, p := range ps {
		ch := p.Edges.Channel
		if ch == nil || ch.WorkingHours == nil {
			continue
		}
		at, ok := workhours.NextChange(ch.WorkingHours, now)
		switch {
		case !ok || at.After(next):
		case at.Before(next):
			next, wss = at, map[gid.ID]bool{p.WorkspaceID: true}
		default:
			wss[p.WorkspaceID] = true
		}
	}
	return next, wss
}

func (r *Router) routeLogged(ctx context.Context, ws gid.ID) {
	if _, err := r.RouteWorkspace(ctx, ws); err != nil && ctx.Err() == nil {
		r.o.Log.ErrorContext(ctx, "routing", "workspace", ws, "err", err)
	}
}

// handle is the consumer's handler: a batch that may free or need an
// agent routes its workspace; then a conversation that started waiting in
// the batch and is still unassigned is recorded as queued. An error
// replays the batch.
func (r *Router) handle(ctx context.Context, evs []*events.Event) error {
	route := false
	var waiting []gid.ID
	for _, ev := range evs {
		switch ev.Type {
		case events.ConversationCreated, events.ConversationUpdated, events.ConversationAssigned:
			route = true
			if startsWaiting(ev) {
				waiting = append(waiting, ev.ConversationID)
			}
		}
	}
	if !route {
		return nil
	}
	if _, err := r.RouteWorkspace(ctx, evs[0].WorkspaceID); err != nil {
		return err
	}
	return r.recordQueued(ctx, evs[0].WorkspaceID, waiting)
}

// lock serialises passes over one workspace on this instance (passes on
// other instances are safe too, only wasteful).
func (r *Router) lock(ws gid.ID) func() {
	r.mu.Lock()
	m := r.busy[ws]
	if m == nil {
		m = new(sync.Mutex)
		r.busy[ws] = m
	}
	r.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// Queue returns a workspace's waiting conversations (unassigned, OPEN or
// PENDING), optionally of one channel, in assignment order, read as the
// caller (its privacy decides the workspace and what it sees).
func (r *Router) Queue(ctx context.Context, channelID *gid.ID) ([]*Waiting, error) {
	q := store.Client(ctx, r.client).Conversation.Query().
		Where(conversation.AssigneeIDIsNil(), conversation.StatusIn(conversation.StatusOPEN, conversation.StatusPENDING)).
		WithCustomer().WithChannel()
	if channelID != nil {
		q.Where(conversation.ChannelID(*channelID))
	}
	convs, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Waiting, len(convs))
	for i, cv := range convs {
		w := &Waiting{Conv: cv}
		if cu := cv.Edges.Customer; cu != nil {
			w.VIP = cu.Vip
		}
		if ch := cv.Edges.Channel; ch != nil {
			w.ChannelPriority = ch.Priority
		}
		out[i] = w
	}
	SortQueue(out)
	return out, nil
}

// RouteWorkspace assigns what it can of a workspace's queue, in queue
// order, and returns how many conversations it assigned.
func (r *Router) RouteWorkspace(ctx context.Context, ws gid.ID) (int, error) {
	defer r.lock(ws)()
	ctx = viewer.NewContext(ctx, viewer.System(ws))
	ctx = events.WithCause(ctx, events.Cause{Kind: events.CauseRouting})
	agents, err := r.candidates(ctx)
	if err != nil || len(agents) == 0 {
		return 0, err // nobody free: the queue stays as it is
	}
	policies, err := r.client.RoutingPolicy.Query().
		Where(routingpolicy.StrategyNEQ(routingpolicy.StrategyMANUAL)).All(ctx)
	if err != nil || len(policies) == 0 {
		return 0, err
	}
	byChannel := map[gid.ID]*ent.RoutingPolicy{}
	for _, p := range policies {
		byChannel[p.ChannelID] = p
	}
	queue, err := r.Queue(ctx, nil)
	if err != nil {
		return 0, err
	}
	members, err := r.members(ctx)
	if err != nil {
		return 0, err
	}
	now := r.o.Now()
	assigned := 0
	for _, w := range queue {
		p := byChannel[w.Conv.ChannelID]
		ch := w.Conv.Edges.Channel
		if p == nil || ch == nil || !ch.Enabled || !workhours.Open(ch.WorkingHours, now) {
			continue
		}
		required := map[string]int{}
		if len(p.SkillRules) > 0 {
			subj, err := r.subject(ctx, w.Conv)
			if err != nil {
				return assigned, err
			}
			required = RequiredSkills(p.SkillRules, subj)
		}
		team := w.Conv.TeamID
		if team == nil {
			team = ch.TeamID
		}
		var eligible []*Candidate
		for _, a := range agents {
			if Eligible(a, team, required) && members[w.Conv.ChannelID].Admit(a) {
				eligible = append(eligible, a)
			}
		}
		for _, a := range Order(p.Strategy, eligible, required, p.LastAgentID) {
			ok, err := r.assign(ctx, w.Conv.ID, a.ID, p)
			if err != nil {
				return assigned, err
			}
			if ok {
				a.Load++
				p.LastAgentID = &a.ID
				assigned++
				break
			}
			// Full or gone meanwhile (another router, an agent taking
			// conversations): not a candidate any more in this pass.
			a.Load = a.Capacity
		}
	}
	return assigned, nil
}

// assign tries one assignment in its own transaction.
func (r *Router) assign(ctx context.Context, conv, agentID gid.ID, p *ent.RoutingPolicy) (assigned bool, err error) {
	err = store.InTx(ctx, r.client, func(ctx context.Context) error {
		ok, err := r.inbox.AutoAssign(ctx, conv, agentID)
		if err == nil && ok && p.Strategy == routingpolicy.StrategyROUND_ROBIN {
			err = store.Client(ctx, r.client).RoutingPolicy.UpdateOneID(p.ID).SetLastAgentID(agentID).Exec(ctx)
		}
		if err == nil && !ok {
			err = errNotAssigned
		}
		assigned = ok
		return err
	})
	if errors.Is(err, errNotAssigned) {
		return false, nil
	}
	return assigned && err == nil, err
}

// errNotAssigned rolls back an assignment that another got first.
var errNotAssigned = errors.New("routing: not assigned")

// candidates are the workspace's active ONLINE agents with room: only the
// columns routing needs, and team membership read per team (a workspace has
// few teams and may have many agents).
func (r *Router) candidates(ctx context.Context) ([]*Candidate, error) {
	ags, err := r.client.Agent.Query().
		Where(agent.Active(true), agent.StatusEQ(agent.StatusONLINE), inbox.BelowCapacity()).
		Select(agent.FieldID, agent.FieldLoad, agent.FieldCapacity, agent.FieldSkills).
		All(ctx)
	if err != nil || len(ags) == 0 {
		return nil, err
	}
	out := make([]*Candidate, 0, len(ags))
	byID := make(map[gid.ID]*Candidate, len(ags))
	for _, a := range ags {
		c := &Candidate{ID: a.ID, Load: a.Load, Capacity: a.Capacity, Skills: map[string]int{}, Teams: map[gid.ID]bool{}}
		for _, s := range a.Skills {
			lvl := 0
			if s.Level != nil {
				lvl = *s.Level
			}
			c.Skills[s.Name] = lvl
		}
		out = append(out, c)
		byID[a.ID] = c
	}
	teams, err := r.client.Team.Query().
		WithAgents(func(q *ent.AgentQuery) { q.Select(agent.FieldID) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		for _, a := range t.Edges.Agents {
			if c := byID[a.ID]; c != nil {
				c.Teams[t.ID] = true
			}
		}
	}
	return out, nil
}

// members reads the members of the workspace's channels that have any
// (three statements); routing picks only them.
func (r *Router) members(ctx context.Context) (map[gid.ID]*Members, error) {
	chs, err := r.client.Channel.Query().
		Where(channel.Or(channel.HasMemberAgents(), channel.HasMemberTeams())).
		Select(channel.FieldID).
		WithMemberAgents(func(q *ent.AgentQuery) { q.Select(agent.FieldID) }).
		WithMemberTeams(func(q *ent.TeamQuery) { q.Select(team.FieldID) }).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing: channel members: %w", err)
	}
	out := make(map[gid.ID]*Members, len(chs))
	for _, ch := range chs {
		m := &Members{Agents: map[gid.ID]bool{}, Teams: map[gid.ID]bool{}}
		for _, a := range ch.Edges.MemberAgents {
			m.Agents[a.ID] = true
		}
		for _, t := range ch.Edges.MemberTeams {
			m.Teams[t.ID] = true
		}
		out[ch.ID] = m
	}
	return out, nil
}

// subject loads what skill rules look at.
func (r *Router) subject(ctx context.Context, conv *ent.Conversation) (Subject, error) {
	s := Subject{}
	tags, err := conv.QueryTags().IDs(ctx)
	if err != nil {
		return s, err
	}
	s.TagIDs = tags
	if conv.LastMessageID != nil {
		m, err := r.client.Message.Get(ctx, *conv.LastMessageID)
		if err != nil && !ent.IsNotFound(err) {
			return s, err
		}
		if m != nil {
			s.LastText = m.Body
		}
	}
	if cu := conv.Edges.Customer; cu != nil {
		s.Attributes = cu.CustomAttributes
	}
	return s, nil
}

// OpenNow reports whether a channel is within its working hours.
func OpenNow(ch *ent.Channel, now time.Time) bool { return workhours.Open(ch.WorkingHours, now) }
