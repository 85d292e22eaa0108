// Package seed fills a PostgreSQL workspace with an inbox at production
// size, for the benchmarks (bench/ and the seeded server benchmarks): SQL
// straight into the tables, seconds instead of the minutes the API would
// take.
package seed

import (
	"context"
	"database/sql"
	"fmt"
)

// Inbox names the rows of the workspace the seeded inbox uses; they exist
// already (made through the API).
type Inbox struct {
	Workspace, Channel, Agent string
	Tags                      [2]string
}

// Run inserts 5,000 customers and 20,000 conversations (a quarter of
// them OPEN; every other one assigned to the agent, with both tags) of 5
// messages each, then analyses the tables as autovacuum would have.
func (in Inbox) Run(ctx context.Context, db *sql.DB) error {
	// Ids are valid typed ids: the type's prefix and 26 base32 digits.
	const id = `'%s_' || lpad((%s)::text, 26, '0')`
	cus := func(n string) string { return fmt.Sprintf(id, "cus", n) }
	cnv := func(n string) string { return fmt.Sprintf(id, "cnv", n) }
	msg := func(n string) string { return fmt.Sprintf(id, "msg", n) }
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO customers (id, created_at, updated_at, name, workspace_id)
			SELECT ` + cus("i") + `, now(), now(), 'Customer ' || i, $1 FROM generate_series(1, 5000) i`, []any{in.Workspace}},
		{`INSERT INTO conversations (id, created_at, updated_at, status, priority, last_message_at, key, workspace_id, customer_id, channel_id, assignee_id)
			SELECT ` + cnv("i") + `, now() - i * interval '1 minute', now(), (ARRAY['OPEN','PENDING','SNOOZED','RESOLVED'])[1 + i % 4], 'NORMAL',
				now() - i * interval '1 minute', replace(gen_random_uuid()::text, '-', ''), $1, ` + cus("1 + i % 5000") + `, $2, CASE WHEN i % 2 = 0 THEN $3::varchar END
			FROM generate_series(1, 20000) i`, []any{in.Workspace, in.Channel, in.Agent}},
		{`INSERT INTO messages (id, created_at, updated_at, customer_id, direction, sender_kind, body, workspace_id, conversation_id, channel_id)
			SELECT ` + msg("i * 5 + j") + `, now() - i * interval '1 minute' - (4 - j) * interval '1 second', now(), ` + cus("1 + i % 5000") + `,
				'INBOUND', 'CUSTOMER', 'message ' || j || ' of conversation ' || i, $1, ` + cnv("i") + `, $2
			FROM generate_series(1, 20000) i, generate_series(0, 4) j`, []any{in.Workspace, in.Channel}},
		{`UPDATE conversations SET last_message_id = ` + msg("substr(id, 5)::int * 5 + 4") + ` WHERE workspace_id = $1 AND id LIKE 'cnv\_0%'`, []any{in.Workspace}},
		{`INSERT INTO conversation_tags (conversation_id, tag_id)
			SELECT ` + cnv("i") + `, t FROM generate_series(2, 20000, 2) i, unnest(ARRAY[$1::varchar, $2::varchar]) t`, []any{in.Tags[0], in.Tags[1]}},
		{`VACUUM ANALYZE customers, conversations, messages, conversation_tags`, nil},
	}
	for _, st := range steps {
		if _, err := db.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("seed: %w\n%s", err, st.sql)
		}
	}
	return nil
}
