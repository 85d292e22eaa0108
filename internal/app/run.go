package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/server"
)

// Run starts a server with a validated configuration and serves until ctx
// ends. It binds the listener before it touches the database, so that a
// start that cannot serve (the address is taken) migrates and creates
// nothing; the first workspace and admin come last, just before serving.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("SWITCHBOARD_ADDR: listening on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if cfg.DebugAddr != "" {
		if err := serveDebug(ctx, cfg.DebugAddr, log); err != nil {
			return err
		}
	}
	db, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := New(ctx, cfg, db, Options{Logger: log})
	if err != nil {
		return err
	}
	if err := a.Bootstrap(ctx); err != nil {
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
	return server.Serve(ctx, ln, a.Handler, log)
}

// ResetPassword gives the agent with email, in any workspace, a new
// one-time password on the configured database, and returns it: the agent
// must change it at the next sign-in, and every session of the agent ends
// (switchboard admin reset-password EMAIL, for a locked-out operator).
func ResetPassword(ctx context.Context, cfg *config.Config, db *store.DB, email string, log *slog.Logger) (string, error) {
	a, err := New(ctx, cfg, db, Options{Logger: log})
	if err != nil {
		return "", err
	}
	if db.URL != "" {
		// Running servers end the agent's websockets at once.
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := a.Events.StartFanout(fctx, db.URL, FanoutChannel, a.Client); err != nil {
			return "", err
		}
	}
	password, _, err := a.Auth.ResetPasswordByEmail(ctx, email)
	return password, err
}
