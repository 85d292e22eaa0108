package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/ent/migrate/migrations"
)

// Schema changes are versioned SQL files, one directory per dialect
// (ent/migrate/migrations/{postgres,sqlite}), written by
// `go run ./ent/migrate/gen` and embedded in the binary. Migrate applies
// the ones a database lacks, each in its own transaction, and records
// each in the schema_migrations table.

// migrationsTable records which migrations a database has.
const migrationsTable = "schema_migrations"

// migrateLock is the PostgreSQL advisory lock that keeps instances
// starting together from applying a migration twice.
const migrateLock = 7_270_001

// Migration is one migration file and whether the database has it.
type Migration struct {
	Version     string
	Description string
	// AppliedAt is when it was applied; zero when pending.
	AppliedAt time.Time
	// Baseline: the database had this schema before it had migrations (it
	// was created by the auto-migration of earlier releases), so the file
	// was recorded, not run.
	Baseline bool
	// Unknown: recorded in the database but not in this binary (a newer
	// release migrated it).
	Unknown bool
}

// Pending reports whether the migration is yet to be applied.
func (m Migration) Pending() bool { return m.AppliedAt.IsZero() && !m.Unknown }

// migrationDir is the embedded directory of the database's dialect,
// checked against its atlas.sum.
func (d *DB) migrationDir() ([]atlas.File, error) {
	name := "sqlite"
	if d.Dialect == dialect.Postgres {
		name = "postgres"
	}
	entries, err := fs.ReadDir(migrations.FS, name)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	dir := &atlas.MemDir{}
	for _, e := range entries {
		b, err := fs.ReadFile(migrations.FS, path.Join(name, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	if err := atlas.Validate(dir); err != nil {
		return nil, fmt.Errorf("store: migrations of %s do not match their atlas.sum (edited by hand? run `go run ./ent/migrate/gen -rehash`): %w", name, err)
	}
	return dir.Files()
}

// Migrate brings the database's schema to this binary's head: it applies
// every migration the database lacks, in order, each in one transaction,
// and returns the ones it applied. A database created by the
// auto-migration of releases before versioned migrations is recognised
// (it has tables but no schema_migrations) and baselined: the first
// migration, which is that schema, is recorded without running, and the
// rest run; then the schema must equal this binary's ent schema. A
// database that a newer release migrated is refused.
func (d *DB) Migrate(ctx context.Context) ([]Migration, error) {
	files, err := d.migrationDir()
	if err != nil {
		return nil, err
	}
	if err := d.ensureMigrationsTable(ctx); err != nil {
		return nil, err
	}
	status, err := d.status(ctx, files)
	if err != nil {
		return nil, err
	}
	for _, m := range status {
		if m.Unknown {
			return nil, fmt.Errorf("store: the database has migration %s_%s, which this release does not know: it was migrated by a newer Switchboard; run that release", m.Version, m.Description)
		}
	}
	var applied []Migration
	for i, f := range files {
		if !status[i].Pending() {
			continue
		}
		m, ran, err := d.apply(ctx, f, i == 0)
		if err != nil {
			return applied, err
		}
		if ran {
			applied = append(applied, m)
		}
	}
	if len(applied) > 0 && applied[0].Baseline {
		// The schema came from the auto-migration of some earlier release:
		// check it was the one the baseline stands for.
		drift, err := d.Drift(ctx)
		if err != nil {
			return applied, err
		}
		if len(drift) > 0 {
			return applied, fmt.Errorf("store: the database's schema is not the one this release migrates from (was it last started by a release older than 2026-11-28? start that release once, then this one): %s", strings.Join(drift, "; "))
		}
	}
	return applied, nil
}

// MigrationStatus lists this binary's migrations and, after them, any the
// database has that this binary does not know.
func (d *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	files, err := d.migrationDir()
	if err != nil {
		return nil, err
	}
	exists, err := d.tableExists(ctx, migrationsTable)
	if err != nil {
		return nil, err
	}
	if !exists {
		out := make([]Migration, len(files))
		for i, f := range files {
			out[i] = Migration{Version: f.Version(), Description: f.Desc()}
		}
		return out, nil
	}
	return d.status(ctx, files)
}

func (d *DB) status(ctx context.Context, files []atlas.File) ([]Migration, error) {
	recorded, err := d.recorded(ctx, d.SQL)
	if err != nil {
		return nil, err
	}
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		m := Migration{Version: f.Version(), Description: f.Desc()}
		if r, ok := recorded[m.Version]; ok {
			m.AppliedAt, m.Baseline = r.AppliedAt, r.Baseline
			delete(recorded, m.Version)
		}
		out = append(out, m)
	}
	var unknown []Migration
	for _, r := range recorded {
		r.Unknown = true
		unknown = append(unknown, r)
	}
	slices.SortFunc(unknown, func(a, b Migration) int { return strings.Compare(a.Version, b.Version) })
	return append(out, unknown...), nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (d *DB) recorded(ctx context.Context, q querier) (map[string]Migration, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, description, applied_at, baseline FROM `+migrationsTable)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	defer rows.Close()
	out := map[string]Migration{}
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version, &m.Description, &m.AppliedAt, &m.Baseline); err != nil {
			return nil, fmt.Errorf("store: read migrations: %w", err)
		}
		out[m.Version] = m
	}
	return out, rows.Err()
}

func (d *DB) ensureMigrationsTable(ctx context.Context) error {
	stamp := "timestamp"
	if d.Dialect == dialect.Postgres {
		stamp = "timestamptz"
	}
	ddl := `CREATE TABLE IF NOT EXISTS ` + migrationsTable + ` (
		version text PRIMARY KEY,
		description text NOT NULL,
		checksum text NOT NULL,
		baseline boolean NOT NULL DEFAULT false,
		applied_at ` + stamp + ` NOT NULL
	)`
	tx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", migrationsTable, err)
	}
	defer tx.Rollback() //nolint:errcheck
	if d.Dialect == dialect.Postgres {
		// IF NOT EXISTS does not stop two sessions creating it at once.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("store: create %s: %w", migrationsTable, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create %s: %w", migrationsTable, err)
	}
	return nil
}

func (d *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d.Dialect == dialect.Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := d.SQL.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("store: look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// apply runs one migration in a transaction of its own and records it,
// unless another instance got there first. The first migration is only
// recorded (as a baseline) on a database that already has Switchboard's
// tables from the auto-migration of earlier releases.
func (d *DB) apply(ctx context.Context, f atlas.File, first bool) (m Migration, ran bool, err error) {
	m = Migration{Version: f.Version(), Description: f.Desc()}
	stmts, err := f.Stmts()
	if err != nil {
		return m, false, fmt.Errorf("store: migration %s: %w", f.Name(), err)
	}
	sum, err := atlas.NewHashFile([]atlas.File{f})
	if err != nil {
		return m, false, err
	}
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		return m, false, fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if d.Dialect != dialect.Postgres {
		// SQLite rebuilds a table to change it; with foreign keys enforced,
		// dropping the old table would cascade or fail. They are switched
		// off around the transaction (inside one the pragma does nothing)
		// and checked before commit, as SQLite's documentation prescribes.
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return m, false, fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`) //nolint:errcheck
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return m, false, fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if d.Dialect == dialect.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return m, false, fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	// Under the lock (SQLite's write lock, or the advisory one): has an
	// instance that started alongside applied it meanwhile?
	recorded, err := d.recorded(ctx, tx)
	if err != nil {
		return m, false, err
	}
	if _, done := recorded[m.Version]; done {
		return m, false, tx.Commit()
	}
	if first && len(recorded) == 0 {
		legacy, err := d.tableExists(ctx, "workspaces")
		if err != nil {
			return m, false, err
		}
		m.Baseline = legacy
	}
	if !m.Baseline {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return m, false, fmt.Errorf("store: migration %s: %w\nin: %s", f.Name(), err, s)
			}
		}
	}
	if d.Dialect != dialect.Postgres {
		if err := foreignKeyCheck(ctx, tx); err != nil {
			return m, false, fmt.Errorf("store: migration %s: %w", f.Name(), err)
		}
	}
	m.AppliedAt = time.Now().UTC()
	ins := `INSERT INTO ` + migrationsTable + ` (version, description, checksum, baseline, applied_at) VALUES (?, ?, ?, ?, ?)`
	if d.Dialect == dialect.Postgres {
		ins = `INSERT INTO ` + migrationsTable + ` (version, description, checksum, baseline, applied_at) VALUES ($1, $2, $3, $4, $5)`
	}
	if _, err := tx.ExecContext(ctx, ins, m.Version, m.Description, sum.Sum(), m.Baseline, m.AppliedAt); err != nil {
		return m, false, fmt.Errorf("store: record migration %s: %w", f.Name(), err)
	}
	if err := tx.Commit(); err != nil {
		return m, false, fmt.Errorf("store: migration %s: commit: %w", f.Name(), err)
	}
	return m, true, nil
}

// foreignKeyCheck fails when a row references one that does not exist.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		return fmt.Errorf("a row of %s references a missing row of %s", table, parent)
	}
	return rows.Err()
}
