package app_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestManualMigrationRefusesPending: with SWITCHBOARD_MIGRATE=manual a
// server does not start on a database that lacks migrations, and changes
// nothing; once `migrate up` ran, it starts.
func TestManualMigrationRefusesPending(t *testing.T) {
	ctx := context.Background()
	cfg := startConfig(t, "127.0.0.1:0")
	cfg.MigrateManually = true
	db := testenv.EmptyDB(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := app.New(ctx, cfg, db, app.Options{Logger: log})
	if err == nil || !strings.Contains(err.Error(), "switchboard migrate up") {
		t.Fatalf("start with pending migrations: err = %v, want a refusal naming `switchboard migrate up`", err)
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if !m.Pending() {
			t.Fatalf("a refused start applied %s", m.Version)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := app.New(ctx, cfg, db, app.Options{Logger: log}); err != nil {
		t.Fatalf("start after migrate up: %v", err)
	}
}
