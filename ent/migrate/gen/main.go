// Command gen writes Switchboard's versioned schema migrations: one SQL
// file per change and dialect under ent/migrate/migrations/{postgres,sqlite},
// computed by replaying the committed files on a scratch database and
// diffing the result against the ent schema (ent's versioned migrations,
// through the Atlas library ent pins; the Atlas CLI is not needed).
//
//	go run ./ent/migrate/gen -name add_reply_drafts   # after changing ent/schema
//	go run ./ent/migrate/gen -check                   # CI: fail if a migration is missing
//	go run ./ent/migrate/gen -rehash                  # after writing a data migration by hand
//
// PostgreSQL needs a server to diff on: -postgres (default the local
// server of SWITCHBOARD_MIGRATE_POSTGRES_URL, else
// postgres://postgres@127.0.0.1:5432/postgres). gen creates a scratch
// database there and drops it when done. SQLite diffs on a temporary file.
//
// It is not part of `go generate`, because it needs that running server.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/switchboard/switchboard/ent/migrate"
)

func main() {
	var (
		name   = flag.String("name", "", "name of the new migration (letters, digits, underscores)")
		check  = flag.Bool("check", false, "write nothing; fail if the ent schema has changes no migration holds")
		rehash = flag.Bool("rehash", false, "only recompute each directory's atlas.sum (after editing a data migration by hand)")
		dir    = flag.String("dir", "ent/migrate/migrations", "the migrations directory")
		only   = flag.String("dialect", "", "postgres or sqlite; default both")
		pgURL  = flag.String("postgres", envOr("SWITCHBOARD_MIGRATE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "a PostgreSQL server to create a scratch database on")
	)
	flag.Parse()
	if !*check && !*rehash && *name == "" {
		fmt.Fprintln(os.Stderr, "gen: give -name for the new migration, or -check, or -rehash")
		os.Exit(2)
	}
	ctx := context.Background()
	failed := false
	for _, d := range []string{"postgres", "sqlite"} {
		if *only != "" && *only != d {
			continue
		}
		path := filepath.Join(*dir, d)
		var err error
		switch {
		case *rehash:
			err = rehashDir(path)
		case *check:
			err = checkDir(ctx, d, path, *pgURL)
		default:
			err = diff(ctx, d, path, *name, *pgURL)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gen: %s: %v\n", d, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// diff writes the migration that takes the files in path to the ent
// schema, if there is a difference.
func diff(ctx context.Context, d, path, name, pgURL string) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return err
	}
	before, err := dir.Files()
	if err != nil {
		return err
	}
	if len(before) == 0 {
		// An empty directory still needs its sum file to validate.
		if err := rehashDir(path); err != nil {
			return err
		}
	}
	drv, done, err := scratch(ctx, d, pgURL)
	if err != nil {
		return err
	}
	defer done()
	m, err := schema.NewMigrate(drv,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(drv.Dialect()),
		schema.WithForeignKeys(true),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithFormatter(atlas.DefaultFormatter),
	)
	if err != nil {
		return err
	}
	if err := m.NamedDiff(ctx, name, migrate.Tables...); err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	after, err := dir.Files()
	if err != nil {
		return err
	}
	if len(after) == len(before) {
		fmt.Printf("%s: no changes\n", d)
		return nil
	}
	for _, f := range after {
		if !slices.ContainsFunc(before, func(b atlas.File) bool { return b.Name() == f.Name() }) {
			fmt.Printf("%s: wrote %s\n", d, filepath.Join(path, f.Name()))
		}
	}
	return nil
}

// checkDir diffs into a copy of path and fails if that wrote a file.
func checkDir(ctx context.Context, d, path, pgURL string) error {
	tmp, err := os.MkdirTemp("", "switchboard-migrations-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	if err := diff(ctx, d, tmp, "pending", pgURL); err != nil {
		return err
	}
	after, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	if len(after) == len(entries) {
		return nil
	}
	for _, e := range after {
		if strings.HasSuffix(e.Name(), "_pending.sql") {
			b, _ := os.ReadFile(filepath.Join(tmp, e.Name()))
			return fmt.Errorf("the ent schema has changes no migration holds; run `go run ./ent/migrate/gen -name <what_changed>` and commit the files. Missing:\n%s", b)
		}
	}
	return errors.New("the ent schema has changes no migration holds")
}

// rehashDir recomputes path's atlas.sum.
func rehashDir(path string) error {
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return err
	}
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	return atlas.WriteSumFile(dir, sum)
}

// scratch opens an empty database of dialect d to replay and diff on, and
// a function that removes it.
func scratch(ctx context.Context, d, pgURL string) (*entsql.Driver, func(), error) {
	if d == "sqlite" {
		tmp, err := os.MkdirTemp("", "switchboard-gen-")
		if err != nil {
			return nil, nil, err
		}
		db, err := sql.Open("sqlite", "file:"+filepath.Join(tmp, "dev.db")+"?_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, err
		}
		// The modernc driver registers as "sqlite"; ent and Atlas name the
		// dialect "sqlite3", which is all they need from the open driver.
		return entsql.OpenDB(dialect.SQLite, db), func() { db.Close(); os.RemoveAll(tmp) }, nil
	}
	admin, err := sql.Open("postgres", pgURL)
	if err != nil {
		return nil, nil, err
	}
	name := fmt.Sprintf("switchboard_gen_%08x", rand.Uint32())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create scratch database (is PostgreSQL running at %s?): %w", redact(pgURL), err)
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		admin.Close()
		return nil, nil, err
	}
	u.Path = "/" + name
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		admin.Close()
		return nil, nil, err
	}
	done := func() {
		db.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}
	return entsql.OpenDB(dialect.Postgres, db), done, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the given URL"
	}
	return u.Redacted()
}
