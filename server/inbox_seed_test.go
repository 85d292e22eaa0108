package server_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

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
	// Ids are valid gids: the type's prefix and 26 base32 digits.
	const id = `'%s_' || lpad((%s)::text, 26, '0')`
	cus := func(n string) string { return fmt.Sprintf(id, "cus", n) }
	cnv := func(n string) string { return fmt.Sprintf(id, "cnv", n) }
	msg := func(n string) string { return fmt.Sprintf(id, "msg", n) }
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO customers (id, created_at, updated_at, name, workspace_id)
			SELECT ` + cus("i") + `, now(), now(), 'Customer ' || i, $1 FROM generate_series(1, 5000) i`, []any{ws}},
		{`INSERT INTO conversations (id, created_at, updated_at, status, priority, last_message_at, workspace_id, customer_id, channel_id, assignee_id)
			SELECT ` + cnv("i") + `, now() - i * interval '1 minute', now(), (ARRAY['OPEN','PENDING','SNOOZED','RESOLVED'])[1 + i % 4], 'NORMAL',
				now() - i * interval '1 minute', $1, ` + cus("1 + i % 5000") + `, $2, CASE WHEN i % 2 = 0 THEN $3::varchar END
			FROM generate_series(1, 20000) i`, []any{ws, setup.CreateChannel.ID, setup.Viewer.ID}},
		{`INSERT INTO messages (id, created_at, updated_at, customer_id, direction, sender_kind, body, workspace_id, conversation_id, channel_id)
			SELECT ` + msg("i * 5 + j") + `, now() - i * interval '1 minute' - (4 - j) * interval '1 second', now(), ` + cus("1 + i % 5000") + `,
				'INBOUND', 'CUSTOMER', 'message ' || j || ' of conversation ' || i, $1, ` + cnv("i") + `, $2
			FROM generate_series(1, 20000) i, generate_series(0, 4) j`, []any{ws, setup.CreateChannel.ID}},
		{`UPDATE conversations SET last_message_id = ` + msg("substr(id, 5)::int * 5 + 4") + ` WHERE workspace_id = $1 AND id LIKE 'cnv\_0%'`, []any{ws}},
		{`INSERT INTO conversation_tags (conversation_id, tag_id)
			SELECT ` + cnv("i") + `, t FROM generate_series(2, 20000, 2) i, unnest(ARRAY[$1::varchar, $2::varchar]) t`, []any{setup.A.ID, setup.B.ID}},
		{`VACUUM ANALYZE customers, conversations, messages, conversation_tags`, nil}, // as autovacuum would have
	}
	for _, st := range steps {
		if _, err := db.ExecContext(ctx, st.sql, st.args...); err != nil {
			tb.Fatalf("seed: %v\n%s", err, st.sql)
		}
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
