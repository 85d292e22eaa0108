// Package store opens Switchboard's database: an embedded SQLite file by
// default, PostgreSQL when a URL is given.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // PostgreSQL driver
	_ "modernc.org/sqlite" // SQLite driver
)

// Options says which database to open.
type Options struct {
	DatabaseURL string // postgres://...; empty means SQLite in DataDir
	DataDir     string
	SQLitePath  string // overrides DataDir/switchboard.db
}

// DB is an open database.
type DB struct {
	URL     string // the PostgreSQL URL; empty for SQLite
	Path    string // the SQLite file
	SQL     *sql.DB
	Driver  *entsql.Driver
	Dialect string
}

// Open opens the database and checks that it answers.
func Open(ctx context.Context, o Options) (*DB, error) {
	var (
		db         *sql.DB
		err        error
		dialect    = dialect.Postgres
		sqlitePath string
	)
	if o.DatabaseURL != "" {
		db, err = sql.Open("postgres", o.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(16)
	} else {
		dialect = "sqlite3"
		path := o.SQLitePath
		if path == "" {
			if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("store: create data directory: %w", err)
			}
			path = filepath.Join(o.DataDir, "switchboard.db")
		}
		sqlitePath = path
		db, err = sql.Open("sqlite", SQLiteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		// One writer at a time is SQLite's rule; immediate transactions and
		// the busy timeout queue writers instead of failing them.
		db.SetMaxOpenConns(8)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: ping: %w", err)
	}
	return &DB{URL: o.DatabaseURL, Path: sqlitePath, SQL: db, Driver: entsql.OpenDB(dialect, db), Dialect: dialect}, nil
}

// SQLiteDSN is the DSN of an embedded database file: WAL, foreign keys,
// immediate transactions and a busy timeout.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Optimize refreshes SQLite's query planner statistics (ANALYZE, bounded
// by analysis_limit so it stays fast on big databases). Without statistics
// SQLite may prefer the workspace index over a primary key for
// `id IN (...)` and scan a whole workspace. It does nothing on PostgreSQL,
// whose autovacuum keeps statistics.
func (d *DB) Optimize(ctx context.Context) error {
	if d.Dialect != dialect.SQLite {
		return nil
	}
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{"PRAGMA analysis_limit=1000", "ANALYZE"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: %s: %w", q, err)
		}
	}
	return nil
}

// Close closes the database.
func (d *DB) Close() error { return d.SQL.Close() }
