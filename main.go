// Command switchboard runs the Switchboard multi-channel customer-service
// server. Configuration comes from the environment (see README.md).
//
//	switchboard                              serve
//	switchboard admin reset-password EMAIL   print a new one-time password
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/server"
)

const usage = "usage: switchboard [admin reset-password EMAIL]"

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
	default:
		return errors.New(usage)
	}
}
