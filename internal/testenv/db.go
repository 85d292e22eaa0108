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
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/migrate"
	"github.com/switchboard/switchboard/ent/privacy"
	_ "github.com/switchboard/switchboard/ent/runtime" // schema hooks and policies
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// PostgresURL is the server the tests use when set.
func PostgresURL() string { return os.Getenv("SWITCHBOARD_TEST_DATABASE_URL") }

// OpenDB returns a fresh, empty database for one test, dropped when the
// test ends.
func OpenDB(t testing.TB) *store.DB {
	t.Helper()
	if PostgresURL() == "" {
		db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db")})
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	name := clonePostgres(t)
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
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sbtest_" + hex.EncodeToString(b)
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
	db, err := sql.Open("postgres", withDatabase(PostgresURL(), building))
	if err != nil {
		return "", err
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, db)))
	err = store.Migrate(ctx, client)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name); err != nil {
		return "", err
	}
	return name, nil
}

// schemaHash fingerprints the tables, columns and indexes of the schema.
func schemaHash() string {
	var parts []string
	for _, t := range migrate.Tables {
		parts = append(parts, "T"+t.Name)
		for _, c := range t.Columns {
			parts = append(parts, fmt.Sprintf("C%s.%s:%v:%v:%v", t.Name, c.Name, c.Type, c.Nullable, c.Unique))
		}
		for _, i := range t.Indexes {
			parts = append(parts, fmt.Sprintf("I%s.%s:%v:%v", t.Name, i.Name, i.Unique, i.Annotation))
		}
		for _, fk := range t.ForeignKeys {
			parts = append(parts, "F"+t.Name+"."+fk.Symbol)
		}
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:6])
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
// of a package's own rules below the API. ctx passes the tenant filters as
// that workspace's system actor.
func Workspace(t testing.TB) (context.Context, *ent.Client, *store.DB) {
	t.Helper()
	db := OpenDB(t)
	c := ent.NewClient(ent.Driver(db.Driver))
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	if err := store.Migrate(ctx, c); err != nil {
		t.Fatal(err)
	}
	ws := c.Workspace.Create().SetName("W").SetSlug("w").SaveX(ctx)
	return viewer.NewContext(ctx, viewer.System(ws.ID)), c, db
}
