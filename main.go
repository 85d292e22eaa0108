// Command switchboard runs the Switchboard multi-channel customer-service
// server. Configuration comes from the environment (see README.md).
//
//	switchboard                              serve
//	switchboard admin reset-password EMAIL   print a new one-time password
//	switchboard migrate up                   apply the schema migrations the database lacks
//	switchboard migrate status               list the migrations and which the database has
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/server"
)

const usage = "usage: switchboard [admin reset-password EMAIL | migrate up | migrate status]"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(server.LogHandler(h))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch {
	case len(args) == 0:
		return app.Run(ctx, cfg, log)
	case len(args) == 3 && args[0] == "admin" && args[1] == "reset-password":
		db, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
		if err != nil {
			return err
		}
		defer db.Close()
		password, err := app.ResetPassword(ctx, cfg, db, args[2], log)
		if err != nil {
			return err
		}
		fmt.Printf("One-time password for %s (it must be changed at the next sign-in):\n%s\n", args[2], password)
		return nil
	case len(args) == 2 && args[0] == "migrate" && (args[1] == "up" || args[1] == "status"):
		db, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
		if err != nil {
			return err
		}
		defer db.Close()
		if args[1] == "up" {
			return migrateUp(ctx, db)
		}
		return migrateStatus(ctx, db)
	default:
		return errors.New(usage)
	}
}

func migrateUp(ctx context.Context, db *store.DB) error {
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		how := "applied"
		if m.Baseline {
			how = "recorded as the baseline (the database predates versioned migrations)"
		}
		fmt.Printf("%s_%s: %s\n", m.Version, m.Description, how)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Println("the database has every migration")
	}
	return nil
}

func migrateStatus(ctx context.Context, db *store.DB) error {
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	printStatus(os.Stdout, db.Dialect, status)
	return nil
}

func printStatus(w io.Writer, dialect string, status []store.Migration) {
	pending := 0
	if dialect == "sqlite3" {
		dialect = "sqlite"
	}
	fmt.Fprintf(w, "database: %s\n", dialect)
	for _, m := range status {
		state := "applied " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		switch {
		case m.Unknown:
			state = "UNKNOWN to this release (a newer one applied it) " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		case m.Pending():
			state = "PENDING"
			pending++
		case m.Baseline:
			state += " (baseline: recorded, not run)"
		}
		fmt.Fprintf(w, "  %s  %-45s %s\n", m.Version, m.Description, state)
	}
	fmt.Fprintf(w, "%d migration(s), %d pending\n", len(status), pending)
}
