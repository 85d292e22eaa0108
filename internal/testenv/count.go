package testenv

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/server"
)

// countingDriver counts the statements that HTTP requests send to the
// database (those whose context carries a request id); background workers
// polling meanwhile are not counted.
type countingDriver struct {
	dialect.Driver
	n *atomic.Int64
}

func count(ctx context.Context, n *atomic.Int64) {
	if server.RequestID(ctx) != "" {
		n.Add(1)
	}
}

func (d *countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	count(ctx, d.n)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *countingDriver) Query(ctx context.Context, q string, args, v any) error {
	count(ctx, d.n)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: d.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	count(ctx, t.n)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	count(ctx, t.n)
	return t.Tx.Query(ctx, q, args, v)
}

type execContexter interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var errNoExecContext = errors.New("testenv: driver has no ExecContext")

// ExecContext forwards raw statements (pg_notify) and counts them.
func (d *countingDriver) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	count(ctx, d.n)
	if e, ok := d.Driver.(execContexter); ok {
		return e.ExecContext(ctx, q, args...)
	}
	return nil, errNoExecContext
}

// ExecContext forwards raw statements (pg_notify) and counts them.
func (t *countingTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	count(ctx, t.n)
	if e, ok := t.Tx.(execContexter); ok {
		return e.ExecContext(ctx, q, args...)
	}
	return nil, errNoExecContext
}
