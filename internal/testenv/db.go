// Package testenv runs a whole Switchboard server for a test: a database of
// its own (SQLite by default, PostgreSQL when SWITCHBOARD_TEST_DATABASE_URL
// is set), the real wiring, and an HTTP GraphQL client.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/migrate/migrations"
	"github.com/switchboard/switchboard/ent/privacy"
	_ "github.com/switchboard/switchboard/ent/runtime" // schema hooks and policies
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// PostgresURL is the server the tests use when set.
func PostgresURL() string { return os.Getenv("SWITCHBOARD_TEST_DATABASE_URL") }

// OpenDB returns a fresh database for one test, dropped when the test
// ends: an empty SQLite file, or on PostgreSQL a copy of a template that
// has every migration (so migrating it again does nothing).
func OpenDB(t testing.TB) *store.DB {
	t.Helper()
	if PostgresURL() == "" {
		return EmptyDB(t)
	}
	return openPostgres(t, clonePostgres(t))
}

// EmptyDB returns a database without a single table, dropped when the
// test ends: for tests of migrations.
func EmptyDB(t testing.TB) *store.DB {
	t.Helper()
	if PostgresURL() == "" {
		db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db")})
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	name := "sbtest_" + randomHex()
	if _, err := adminDB(t).Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	return openPostgres(t, name)
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func openPostgres(t testing.TB, name string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DatabaseURL: withDatabase(PostgresURL(), name)})
	if err != nil {
		t.Fatalf("open postgres %s: %v", name, err)
	}
	t.Cleanup(func() {
		db.Close()
		admin := adminDB(t)
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	return db
}

// Reopen opens a second connection pool to the same database, for a
// second instance. (On SQLite that is one file shared in one process: fine
// for tests of shared state, but SQLite deployments are single-instance.)
func Reopen(t testing.TB, db *store.DB) *store.DB {
	t.Helper()
	other, err := store.Open(context.Background(), store.Options{DatabaseURL: db.URL, SQLitePath: db.Path})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
	tmplOnce  sync.Once
	tmplName  string
	tmplErr   error
)

func adminDB(t testing.TB) *sql.DB {
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("postgres", PostgresURL())
		if adminErr == nil {
			adminErr = admin.Ping()
		}
	})
	if adminErr != nil {
		t.Fatalf("postgres at SWITCHBOARD_TEST_DATABASE_URL: %v", adminErr)
	}
	return admin
}

// clonePostgres creates a database for one test from a migrated template.
// The template's name carries a hash of the schema, so a changed schema
// builds a new one; an advisory lock keeps parallel test binaries from
// building it twice.
func clonePostgres(t testing.TB) string {
	t.Helper()
	a := adminDB(t)
	tmplOnce.Do(func() { tmplName, tmplErr = ensureTemplate(a) })
	if tmplErr != nil {
		t.Fatalf("postgres template: %v", tmplErr)
	}
	name := "sbtest_" + randomHex()
	// While another binary still holds the template, PostgreSQL refuses to
	// copy it: try again for a while.
	var err error
	Within(5*time.Second, func() bool {
		_, err = a.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + tmplName)
		return err == nil || !strings.Contains(err.Error(), "being accessed by other users")
	})
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	return name
}

func ensureTemplate(a *sql.DB) (string, error) {
	ctx := context.Background()
	name := "sbtest_tmpl_" + schemaHash()
	conn, err := a.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727274)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_b"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, store.Options{DatabaseURL: withDatabase(PostgresURL(), building)})
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name); err != nil {
		return "", err
	}
	return name, nil
}

// schemaHash fingerprints the migrations (what builds the template).
func schemaHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)[:6])
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

// Workspace opens a fresh migrated database with one workspace, for tests
// of a package's own rules below the API. ctx carries that workspace's
// system actor (creates are stamped with the workspace) and a privacy
// decision that allows everything, so it does not exercise tenant
// isolation: tests of isolation build their own actor contexts without
// privacy.Allow.
func Workspace(t testing.TB) (context.Context, *ent.Client, *store.DB) {
	t.Helper()
	db := OpenDB(t)
	c := ent.NewClient(ent.Driver(db.Driver))
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws := c.Workspace.Create().SetName("W").SetSlug("w").SaveX(ctx)
	return viewer.NewContext(ctx, viewer.System(ws.ID)), c, db
}
