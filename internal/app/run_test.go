package app_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
)

// startConfig is a valid configuration on a database of the test's own:
// an empty data directory (SQLite) or a fresh PostgreSQL database.
func startConfig(t *testing.T, addr string) *config.Config {
	t.Helper()
	cfg := &config.Config{
		Addr: addr, DataDir: t.TempDir(), PublicURL: "http://switchboard.test", LogFormat: "text",
		JWTSecret: []byte(strings.Repeat("j", 48)), SecretKey: make([]byte, 32),
		AdminEmail: "root@example.com", AdminPassword: "root-password-1",
	}
	if testenv.PostgresURL() != "" {
		cfg.DatabaseURL = testenv.OpenDB(t).URL
	}
	return cfg
}

// agents counts the agents in cfg's database.
func agents(t *testing.T, cfg *config.Config) int {
	t.Helper()
	ctx := testenv.System(context.Background())
	db, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := ent.NewClient(ent.Driver(db.Driver))
	return c.Agent.Query().CountX(ctx)
}

// TestStartThatCannotListenCreatesNothing: a start whose address is taken
// fails naming SWITCHBOARD_ADDR and leaves the database as it was; with a
// free address the same configuration creates the first admin and serves.
func TestStartThatCannotListenCreatesNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := startConfig(t, taken.Addr().String())
	log := slog.New(slog.DiscardHandler)
	err = app.Run(context.Background(), cfg, log)
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_ADDR") {
		t.Fatalf("start on a taken address: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "switchboard.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the failed start created the SQLite database: %v", err)
	}
	if n := agents(t, cfg); n != 0 {
		t.Fatalf("the failed start created %d agents", n)
	}

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = free.Addr().String()
	free.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, cfg, log) }()
	testenv.Eventually(t, func() bool {
		res, err := http.Get("http://" + cfg.Addr + "/graphql?query=%7B__typename%7D")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	}, "the server to listen")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
	if n := agents(t, cfg); n != 1 {
		t.Fatalf("the start created %d agents, want the first admin", n)
	}
}

// TestResetPasswordCommand: switchboard admin reset-password EMAIL gives
// a locked-out operator a one-time password that signs in, must be changed
// before anything else, and ends the operator's sessions.
func TestResetPasswordCommand(t *testing.T) {
	s := testenv.New(t)
	old := s.AdminToken(t)
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	if _, err := app.ResetPassword(ctx, s.Config, s.App.DB, "nobody@example.com", log); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("unknown email: %v", err)
	}
	password, err := app.ResetPassword(ctx, s.Config, s.App.DB, " "+strings.ToUpper(testenv.AdminEmail), log)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Do(t, old, `{ viewer { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the old session still works: %d %+v", r.Status, r.Errors)
	}
	var out struct {
		SignIn struct {
			Token              string
			MustChangePassword bool
		}
	}
	s.MustDo(t, "", `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token mustChangePassword } }`,
		map[string]any{"e": testenv.AdminEmail, "p": password}, &out)
	if !out.SignIn.MustChangePassword {
		t.Fatal("the one-time password need not be changed")
	}
	if r := s.Do(t, out.SignIn.Token, `{ agents { totalCount } }`, nil); len(r.Codes()) != 1 || r.Codes()[0] != "FORBIDDEN" {
		t.Fatalf("before the change: %+v", r.Errors)
	}
	s.MustDo(t, out.SignIn.Token, `mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "new-password-1") { token } }`,
		map[string]any{"c": password}, &struct{}{})
	s.SignIn(t, testenv.AdminEmail, "new-password-1")
}
