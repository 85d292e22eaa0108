package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/viewer"
)

// The routing benchmark's workspace: agents ONLINE with room, each
// already holding routingBenchOpen/routingBenchAgents open conversations.
const (
	routingBenchAgents   = 1_000
	routingBenchOpen     = 10_000
	routingBenchCapacity = 20
	routingBenchQueued   = 5 // waiting on a MANUAL channel: in the queue, never routed
)

// routingBench is what the benchmark routes in.
type routingBench struct {
	ws, routed gid.ID // the workspace and its LEAST_BUSY channel
}

// BenchmarkRoutingDecision measures routing decision latency with 1,000
// agents and 10,000 open conversations: one pass of RouteWorkspace (load
// the candidates, the policies and the queue, pick the least busy agent,
// assign in a transaction) for one new waiting conversation. It reports
// p50 and p99 over every pass. The background router is off; seeding
// takes a few seconds and runs only with -bench. On PostgreSQL the tables
// are vacuumed and analyzed after seeding, as autovacuum would.
func BenchmarkRoutingDecision(b *testing.B) {
	s := testenv.New(b, testenv.NoRouting)
	rb := seedRouting(b, s)
	ctx := context.Background()
	seedCtx := privacy.DecisionContext(viewer.NewContext(ctx, viewer.System(rb.ws)), privacy.Allow)
	var latencies []time.Duration
	for b.Loop() {
		b.StopTimer()
		cust := s.App.Client.Customer.Create().SetName("New customer").SaveX(seedCtx)
		s.App.Client.Conversation.Create().SetCustomerID(cust.ID).SetChannelID(rb.routed).
			SetWaitingSince(time.Now().UTC()).ExecX(seedCtx)
		b.StartTimer()
		start := time.Now()
		n, err := s.App.Router.RouteWorkspace(ctx, rb.ws)
		latencies = append(latencies, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if n != 1 {
			b.Fatalf("the pass assigned %d conversations, want the new one", n)
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// seedRouting fills the admin's workspace in one transaction, in bulk:
// a LEAST_BUSY channel, the agents (their load set as the open
// conversations assigned to them make it), those conversations with a
// customer each, and a MANUAL channel with a few queued conversations.
// It then routes once, untimed, a few waiting conversations of the LEAST_BUSY
// channel. Rows are written without an actor (privacy allowed, the
// workspace set on each), so the tenant hook does not look up every row's
// edges.
func seedRouting(b *testing.B, s *testenv.Server) routingBench {
	b.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	admin, err := s.App.Client.Agent.Query().Where(agent.Email(testenv.AdminEmail)).Only(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ws := admin.WorkspaceID
	// The admin takes nothing: only the benchmark's agents are candidates.
	if err := s.App.Client.Agent.UpdateOne(admin).SetStatus(agent.StatusOFFLINE).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("password-1"), bcrypt.MinCost)
	if err != nil {
		b.Fatal(err)
	}
	tx, err := s.App.Client.Tx(ctx)
	if err != nil {
		b.Fatal(err)
	}
	channel := func(name string) gid.ID {
		ch, err := tx.Channel.Create().SetWorkspaceID(ws).SetKind("api").SetName(name).
			SetKey(string(gid.New("Channel"))).SetEnabled(true).Save(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return ch.ID
	}
	routed, manual := channel("Routed"), channel("Manual")
	err = tx.RoutingPolicy.Create().SetWorkspaceID(ws).SetChannelID(routed).
		SetStrategy(routingpolicy.StrategyLEAST_BUSY).Exec(ctx)
	if err != nil {
		b.Fatal(err)
	}
	agents := make([]*ent.AgentCreate, routingBenchAgents)
	for i := range agents {
		agents[i] = tx.Agent.Create().SetWorkspaceID(ws).SetName(fmt.Sprint("Agent ", i)).
			SetEmail(fmt.Sprintf("routing-%d@example.com", i)).SetPasswordHash(string(hash)).
			SetStatus(agent.StatusONLINE).SetCapacity(routingBenchCapacity).
			SetLoad(routingBenchOpen / routingBenchAgents)
	}
	ags, err := tx.Agent.CreateBulk(agents...).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// Conversations (and their customers) in batches under the databases'
	// limits on bound parameters.
	const batch = 1000
	waiting := routingBenchOpen + routingBenchQueued + 5
	since := time.Now().UTC().Add(-time.Hour)
	for from := 0; from < waiting; from += batch {
		n := min(batch, waiting-from)
		custs := make([]*ent.CustomerCreate, n)
		for i := range custs {
			custs[i] = tx.Customer.Create().SetWorkspaceID(ws).SetName(fmt.Sprint("Customer ", from+i))
		}
		cs, err := tx.Customer.CreateBulk(custs...).Save(ctx)
		if err != nil {
			b.Fatal(err)
		}
		convs := make([]*ent.ConversationCreate, n)
		for i := range convs {
			k := from + i
			c := tx.Conversation.Create().SetWorkspaceID(ws).SetCustomerID(cs[i].ID).
				SetLastMessageAt(since).SetWaitingSince(since.Add(time.Duration(k) * time.Millisecond))
			switch {
			case k < routingBenchOpen:
				c.SetChannelID(routed).SetAssigneeID(ags[k%len(ags)].ID)
			case k < routingBenchOpen+routingBenchQueued:
				c.SetChannelID(manual)
			default:
				c.SetChannelID(routed)
			}
			convs[i] = c
		}
		if err := tx.Conversation.CreateBulk(convs...).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if s.App.DB.URL != "" {
		for _, t := range []string{"agents", "team_agents", "customers", "conversations", "channels", "routing_policies"} {
			if _, err := s.App.DB.SQL.Exec("VACUUM ANALYZE " + t); err != nil {
				b.Fatal(err)
			}
		}
	}
	if n, err := s.App.Router.RouteWorkspace(context.Background(), ws); err != nil || n != 5 {
		b.Fatalf("the first pass assigned %d (%v), want the 5 waiting on the routed channel", n, err)
	}
	return routingBench{ws: ws, routed: routed}
}
