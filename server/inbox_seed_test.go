package server_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/seed"
	"github.com/switchboard/switchboard/internal/testenv"
)

// The inbox page at production size: 20,000 conversations (a quarter of
// them open) and 100,000 messages in one workspace, on PostgreSQL. Seeding
// takes a few seconds, so these run only when SWITCHBOARD_BENCH_SEED is set:
//
//	SWITCHBOARD_BENCH_SEED=1 SWITCHBOARD_TEST_DATABASE_URL=postgres://… \
//	  go test -run TestInboxPagePlans -bench BenchmarkInboxPageSeeded -v ./server/

// seededInboxPage is the console's inbox: the first 50 open conversations
// by last message, with what each row shows.
const seededInboxPage = `{ conversations(first: 50, where: {status: OPEN}, orderBy: {field: LAST_MESSAGE_AT, direction: DESC}) { totalCount
	edges { node { id status customer { name } channel { name } assignee { name } lastMessage { body } tags { name } } } } }`

// seededInbox returns a server whose admin's workspace holds 20,000
// conversations with 5 messages each; every other one is assigned to the
// admin and has two tags.
func seededInbox(tb testing.TB) (*testenv.Server, string) {
	tb.Helper()
	if os.Getenv("SWITCHBOARD_BENCH_SEED") == "" || testenv.PostgresURL() == "" {
		tb.Skip("set SWITCHBOARD_BENCH_SEED and SWITCHBOARD_TEST_DATABASE_URL to seed 20k conversations on PostgreSQL")
	}
	s := testenv.New(tb)
	tok := s.AdminToken(tb)
	var setup struct {
		Viewer        struct{ ID string }
		CreateChannel struct{ ID string }
		A, B          struct{ ID string }
	}
	s.MustDo(tb, tok, `mutation { createChannel(input: {kind: "api", name: "App"}) { id }
		a: createTag(input: {name: "a"}) { id } b: createTag(input: {name: "b"}) { id } }`, nil, &setup)
	s.MustDo(tb, tok, `{ viewer { id } }`, nil, &setup)
	ctx := context.Background()
	db := s.App.DB.SQL
	var ws string
	if err := db.QueryRowContext(ctx, `SELECT workspace_id FROM agents WHERE id = $1`, setup.Viewer.ID).Scan(&ws); err != nil {
		tb.Fatalf("workspace: %v", err)
	}
	in := seed.Inbox{Workspace: ws, Channel: setup.CreateChannel.ID, Agent: setup.Viewer.ID, Tags: [2]string{setup.A.ID, setup.B.ID}}
	if err := in.Run(ctx, db); err != nil {
		tb.Fatal(err)
	}
	return s, tok
}

// BenchmarkInboxPageSeeded serves the inbox page to 16 concurrent clients
// (8 per core on 2 cores; -cpu changes it) and reports requests per second.
func BenchmarkInboxPageSeeded(b *testing.B) {
	s, tok := seededInbox(b)
	s.MustDo(b, tok, seededInboxPage, nil, &struct{}{})
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.MustDo(b, tok, seededInboxPage, nil, &struct{}{})
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// TestInboxPagePlans logs PostgreSQL's plan, as run, of every statement
// the seeded inbox sends (EXPLAIN ANALYZE), for its tabs: open
// conversations, all of them, and the viewer's open ones.
func TestInboxPagePlans(t *testing.T) {
	s, tok := seededInbox(t)
	var me struct{ Viewer struct{ ID string } }
	s.MustDo(t, tok, `{ viewer { id } }`, nil, &me)
	const rows = `{ totalCount edges { node { id status customer { name } channel { name } assignee { name } lastMessage { body } tags { name } } } }`
	tabs := []struct {
		name, query string
		vars        map[string]any
	}{
		{"open", seededInboxPage, nil},
		{"all", `{ conversations(first: 50, orderBy: {field: LAST_MESSAGE_AT, direction: DESC}) ` + rows + ` }`, nil},
		{"mine", `query($me: ID!) { conversations(first: 50, where: {status: OPEN, assigneeID: $me}, orderBy: {field: LAST_MESSAGE_AT, direction: DESC}) ` + rows + ` }`,
			map[string]any{"me": me.Viewer.ID}},
	}
	for _, tab := range tabs {
		s.MustDo(t, tok, tab.query, tab.vars, &struct{}{}) // warm the caches
		stop := s.Record()
		s.MustDo(t, tok, tab.query, tab.vars, &struct{}{})
		for _, st := range stop() {
			if strings.HasPrefix(st.Query, "SELECT") {
				t.Logf("%s: %s\n%v\n%s\n", tab.name, st.Query, st.Args, explain(t, s, st))
			}
		}
	}
}

func explain(t *testing.T, s *testenv.Server, st testenv.Statement) string {
	t.Helper()
	rows, err := s.App.DB.SQL.QueryContext(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+st.Query, st.Args...)
	if err != nil {
		t.Fatalf("explain %s: %v", st.Query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
