package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	atlas "ariga.io/atlas/sql/migrate"

	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestMigrateEmptyDatabaseToHead: every migration applies to an empty
// database, and the result is exactly the ent schema; a second run
// applies nothing.
func TestMigrateEmptyDatabaseToHead(t *testing.T) {
	ctx := context.Background()
	db := testenv.EmptyDB(t)
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(status) < 2 || !status[0].Pending() {
		t.Fatalf("status of an empty database: %+v", status)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(status) {
		t.Fatalf("applied %d migrations, want all %d", len(applied), len(status))
	}
	for _, m := range applied {
		if m.Baseline {
			t.Errorf("%s recorded as a baseline on an empty database", m.Version)
		}
	}
	drift, err := db.Drift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Fatalf("migrated database differs from the ent schema (run `go run ./ent/migrate/gen -name ...`): %s", strings.Join(drift, "; "))
	}
	again, err := db.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %d (err %v)", len(again), err)
	}
	status, err = db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if m.Pending() || m.AppliedAt.IsZero() {
			t.Errorf("after migrating, %s_%s is pending", m.Version, m.Description)
		}
	}
}

// TestMigrateLegacyDatabase: a database created by the auto-migration of
// releases before versioned migrations (the committed snapshot of that
// schema, with rows the old start-up backfills fixed) is recognised,
// baselined at the first migration, gets the rest (the backfills among
// them) and ends equal to the ent schema.
func TestMigrateLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	db := testenv.EmptyDB(t)
	name := "testdata/automigrate-2026-11-28.sqlite.sql"
	if db.URL != "" {
		name = "testdata/automigrate-2026-11-28.postgres.sql"
	}
	snapshot, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := atlas.NewLocalFile(name, snapshot).Stmts()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.SQL.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	// Rows as releases before per-message customers and agent loads
	// stored them.
	now := "2026-01-01 00:00:00"
	for _, q := range []string{
		`INSERT INTO workspaces (id, created_at, updated_at, name, slug) VALUES ('wsp_1', '` + now + `', '` + now + `', 'W', 'w')`,
		`INSERT INTO customers (id, created_at, updated_at, name, workspace_id) VALUES ('cus_1', '` + now + `', '` + now + `', 'C', 'wsp_1')`,
		`INSERT INTO agents (id, created_at, updated_at, name, email, password_hash, workspace_id) VALUES ('agt_1', '` + now + `', '` + now + `', 'A', 'a@example.com', 'x', 'wsp_1')`,
		`INSERT INTO channels (id, created_at, updated_at, kind, name, key, workspace_id) VALUES ('chn_1', '` + now + `', '` + now + `', 'api', 'A', 'k', 'wsp_1')`,
		`INSERT INTO conversations (id, created_at, updated_at, status, customer_id, channel_id, assignee_id, workspace_id) VALUES ('cnv_1', '` + now + `', '` + now + `', 'OPEN', 'cus_1', 'chn_1', 'agt_1', 'wsp_1')`,
		`INSERT INTO messages (id, created_at, updated_at, direction, sender_kind, body, conversation_id, channel_id, customer_id, workspace_id) VALUES ('msg_1', '` + now + `', '` + now + `', 'INBOUND', 'CUSTOMER', 'hi', 'cnv_1', 'chn_1', '', 'wsp_1')`,
		// Attachments kept as JSON on the message, before files.
		`INSERT INTO messages (id, created_at, updated_at, direction, sender_kind, body, conversation_id, channel_id, customer_id, workspace_id, attachments) VALUES ('msg_2', '` + now + `', '` + now + `', 'INBOUND', 'CUSTOMER', '', 'cnv_1', 'chn_1', 'cus_1', 'wsp_1',
			'[{"url":"https://example.com/a.png","name":"a.png","contentType":"image/png"},{"mediaID":"m-1","status":"PENDING"}]')`,
		// Event positions per workspace, and a consumer that handled
		// wsp_1 up to 2 and wsp_2 entirely.
		`INSERT INTO workspaces (id, created_at, updated_at, name, slug) VALUES ('wsp_2', '` + now + `', '` + now + `', 'W2', 'w2')`,
		`INSERT INTO events (id, seq, type, created_at, workspace_id) VALUES ('evt_a1', 1, 'message.created', '` + now + `', 'wsp_1'),
			('evt_a2', 2, 'message.created', '` + now + `', 'wsp_1'), ('evt_a3', 3, 'message.created', '` + now + `', 'wsp_1'),
			('evt_b1', 1, 'message.created', '` + now + `', 'wsp_2'), ('evt_b2', 2, 'message.created', '` + now + `', 'wsp_2')`,
		`INSERT INTO event_sequences (id, last_seq, pruned_through) VALUES ('wsp_1', 3, 0), ('wsp_2', 2, 0)`,
		`INSERT INTO consumer_leases (id, holder, expires_at) VALUES ('routing', 'x', '` + now + `')`,
		`INSERT INTO consumer_checkpoints (id, consumer, workspace_id, seq, updated_at) VALUES ('ckp_1', 'routing', 'wsp_1', 2, '` + now + `'),
			('ckp_2', 'routing', 'wsp_2', 2, '` + now + `')`,
	} {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) < 2 || !applied[0].Baseline || applied[1].Baseline {
		t.Fatalf("applied %+v, want the first recorded as a baseline and the rest run", applied)
	}
	drift, err := db.Drift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Fatalf("upgraded database differs from the ent schema: %s", strings.Join(drift, "; "))
	}
	var customer string
	var load int
	if err := db.SQL.QueryRowContext(ctx, `SELECT customer_id FROM messages WHERE id = 'msg_1'`).Scan(&customer); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL.QueryRowContext(ctx, `SELECT load FROM agents WHERE id = 'agt_1'`).Scan(&load); err != nil {
		t.Fatal(err)
	}
	if customer != "cus_1" || load != 1 {
		t.Fatalf("after the backfill migration: message customer %q, agent load %d; want cus_1 and 1", customer, load)
	}
	// The JSON attachments became PENDING files, in order, for the media
	// worker to fetch.
	frows, err := db.SQL.QueryContext(ctx, `SELECT id, name, content_type, status, position, source, message_id, workspace_id FROM files ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	var carried []string
	for frows.Next() {
		var id, name, ct, status, source, msg, ws string
		var pos int
		if err := frows.Scan(&id, &name, &ct, &status, &pos, &source, &msg, &ws); err != nil {
			t.Fatal(err)
		}
		var src map[string]string
		if err := json.Unmarshal([]byte(source), &src); err != nil {
			t.Fatalf("file source %q: %v", source, err)
		}
		if !gid.ID(id).Valid() {
			t.Errorf("carried file id %q is not a valid id", id)
		}
		carried = append(carried, fmt.Sprintf("%d %s %s %s %s url=%s media=%s %s/%s", pos, name, ct, status, msg, src["url"], src["mediaID"], ws, "x"))
	}
	if err := frows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "0 a.png image/png PENDING msg_2 url=https://example.com/a.png media= wsp_1/x|1  application/octet-stream PENDING msg_2 url= media=m-1 wsp_1/x"; strings.Join(carried, "|") != want {
		t.Fatalf("carried attachments:\n%s\nwant\n%s", strings.Join(carried, "|"), want)
	}
	// Positions renumbered across workspaces, each workspace's in order;
	// the consumer goes on from just before the one event it had not
	// handled (evt_a3).
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, seq FROM events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", id, seq))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "evt_a1=1 evt_a2=2 evt_a3=3 evt_b1=4 evt_b2=5"; strings.Join(got, " ") != want {
		t.Fatalf("events after renumbering: %s, want %s", strings.Join(got, " "), want)
	}
	var position int64
	if err := db.SQL.QueryRowContext(ctx, `SELECT position FROM consumer_leases WHERE id = 'routing'`).Scan(&position); err != nil {
		t.Fatal(err)
	}
	if position != 2 {
		t.Fatalf("the consumer's position is %d, want 2 (evt_a3 unhandled)", position)
	}
	if db.URL == "" {
		var counter int64
		if err := db.SQL.QueryRowContext(ctx, `SELECT last_seq FROM event_sequences WHERE id = '_log'`).Scan(&counter); err != nil {
			t.Fatal(err)
		}
		if counter != 5 {
			t.Fatalf("SQLite's position counter is %d, want 5", counter)
		}
	}
}

// TestMigrateRefusesNewerDatabase: a database that a newer release
// migrated (it records a migration this binary lacks) is refused, not
// half-migrated.
func TestMigrateRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	db := testenv.EmptyDB(t)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO schema_migrations (version, description, checksum, baseline, applied_at) VALUES ('29991231000000', 'from_the_future', 'h1:x', false, CURRENT_TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	_, err := db.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "newer Switchboard") {
		t.Fatalf("err = %v, want a refusal naming a newer release", err)
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := status[len(status)-1]; !last.Unknown || last.Description != "from_the_future" {
		t.Fatalf("status does not show the unknown migration: %+v", last)
	}
}

// TestMigrateConcurrently: instances starting together apply each
// migration once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	db := testenv.EmptyDB(t)
	other := testenv.Reopen(t, db)
	errs := make(chan error, 2)
	counts := make(chan int, 2)
	for _, d := range []*store.DB{db, other} {
		go func() {
			applied, err := d.Migrate(ctx)
			counts <- len(applied)
			errs <- err
		}()
	}
	total := 0
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		total += <-counts
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(status) {
		t.Fatalf("two instances applied %d migrations in all, want each of %d once", total, len(status))
	}
}
