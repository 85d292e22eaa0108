package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
)

type errCase struct {
	name                string
	err                 error
	transient, conflict bool
}

// TestErrorClasses classifies real errors of the database under test:
// races and an unreachable server are transient, values and references
// the database refuses are final.
func TestErrorClasses(t *testing.T) {
	ctx, c, db := testenv.Workspace(t)
	ch := c.Channel.Create().SetKind("api").SetName("A").SetKey("k").SaveX(ctx)
	canceled, cancel := context.WithCancel(ctx)
	cancel()

	unreachable, _ := sql.Open("postgres", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	defer unreachable.Close()

	cases := []errCase{
		{"unique race", c.Workspace.Create().SetName("W2").SetSlug("w").Exec(ctx), true, false},
		{"missing reference", c.Message.Create().SetConversationID("cnv_missing").SetChannelID(ch.ID).
			SetDirection(message.DirectionINBOUND).SetSenderKind(message.SenderKindCUSTOMER).SetBody("x").Exec(ctx), false, false},
		{"over-long value", c.Customer.Create().SetName(strings.Repeat("n", 256)).Exec(ctx), false, false},
		{"canceled", c.Customer.Create().SetName("x").Exec(canceled), true, false},
		{"server unreachable", unreachable.PingContext(ctx), true, false},
		{"wrapped", fmt.Errorf("inbox: ingest kept conflicting: %w", c.Workspace.Create().SetName("W3").SetSlug("w").Exec(ctx)), true, false},
		{"nil", nil, false, false},
	}
	if db.URL != "" {
		_, nul := db.SQL.ExecContext(ctx, `UPDATE customers SET name = $1`, "a\x00b")
		cases = append(cases, struct {
			name                string
			err                 error
			transient, conflict bool
		}{"NUL in text", nul, false, false})
	}
	cases = append(cases, errCase{"lock held elsewhere", lockConflict(t, db), true, true})

	for _, tc := range cases {
		if (tc.err == nil) != (tc.name == "nil") {
			t.Errorf("%s: err = %v", tc.name, tc.err)
			continue
		}
		if got := store.Transient(tc.err); got != tc.transient {
			t.Errorf("%s: Transient(%v) = %v", tc.name, tc.err, got)
		}
		if got := store.Conflict(tc.err); got != tc.conflict {
			t.Errorf("%s: Conflict(%v) = %v", tc.name, tc.err, got)
		}
	}
}

// lockConflict returns the error of a write that meets another
// transaction's lock and does not wait: SQLITE_BUSY, or PostgreSQL's
// lock_not_available.
func lockConflict(t *testing.T, db *store.DB) error {
	t.Helper()
	ctx := context.Background()
	holder, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback() //nolint:errcheck
	if _, err := holder.ExecContext(ctx, `UPDATE workspaces SET name = 'held'`); err != nil {
		t.Fatal(err)
	}
	if db.URL != "" {
		_, err := db.SQL.ExecContext(ctx, `SELECT id FROM workspaces FOR UPDATE NOWAIT`)
		return err
	}
	other, err := sql.Open("sqlite", "file:"+db.Path+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.ExecContext(ctx, `UPDATE workspaces SET name = 'other'`)
	return err
}
