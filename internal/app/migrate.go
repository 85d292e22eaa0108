package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/store"
)

// migrate brings the database's schema to this release's (by default), or
// with SWITCHBOARD_MIGRATE=manual refuses a database that lacks a
// migration.
func migrate(ctx context.Context, cfg *config.Config, db *store.DB, log *slog.Logger) error {
	if cfg.MigrateManually {
		status, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		var pending []string
		for _, m := range status {
			if m.Unknown {
				return fmt.Errorf("the database has migration %s_%s, which this release does not know: it was migrated by a newer Switchboard", m.Version, m.Description)
			}
			if m.Pending() {
				pending = append(pending, m.Version+"_"+m.Description)
			}
		}
		if len(pending) > 0 {
			return fmt.Errorf("SWITCHBOARD_MIGRATE=manual and the database lacks %d migration(s) (%s): run `switchboard migrate up`", len(pending), strings.Join(pending, ", "))
		}
		return nil
	}
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		if m.Baseline {
			log.InfoContext(ctx, "database created before versioned migrations: recorded its schema as the first migration", "version", m.Version, "migration", m.Description)
			continue
		}
		log.InfoContext(ctx, "applied migration", "version", m.Version, "migration", m.Description)
	}
	return err
}
