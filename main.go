// Command switchboard runs the Switchboard multi-channel customer-service
// server. Configuration comes from the environment (see README.md).
package main

import (
	"context"
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

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

func run() error {
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

	db, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := app.New(ctx, cfg, db, app.Options{Logger: log})
	if err != nil {
		return err
	}
	if err := a.RunWorkers(ctx); err != nil {
		return err
	}
	log.Info("switchboard starting", "database", db.Dialect, "public_url", cfg.PublicURL)
	if cfg.PublicURLGuessed {
		log.Warn("SWITCHBOARD_PUBLIC_URL is not set: webhook URLs and the widget snippet use this machine's own address; set it to the URL providers and browsers reach",
			"public_url", cfg.PublicURL)
	}
	return server.Run(ctx, cfg.Addr, a.Handler, log)
}
