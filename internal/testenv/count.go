package testenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/server"
)

// countingDriver passes every statement through its meter and injects
// the Faults.
type countingDriver struct {
	dialect.Driver
	m      *meter
	faults *Faults
}

// meter counts the statements that HTTP requests send to the database
// (those whose context carries a request id) in requests, and the others
// (background work) in background, and hands the requests' statements to
// the recorder. SWITCHBOARD_TEST_LOG_SQL=1 prints each.
type meter struct {
	requests, background *atomic.Int64
	rec                  *Recorder
}

// Statement is one SQL statement a request sent, with its arguments.
type Statement struct {
	Query string
	Args  []any
}

// Recorder keeps the statements HTTP requests send while it is on (see
// Server.Record): tests read them to EXPLAIN what a page costs.
type Recorder struct {
	mu   sync.Mutex
	on   bool
	list []Statement
}

func (r *Recorder) add(q string, args any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		a, _ := args.([]any)
		r.list = append(r.list, Statement{Query: q, Args: a})
	}
}

// Faults make the database fail the way a lost connection does, for the
// transactions of HTTP requests (those whose context carries a request id).
type Faults struct {
	// FailBegin fails BEGIN; FailCommit fails COMMIT (after rolling back).
	FailBegin, FailCommit atomic.Bool
	// Stall makes every statement and BEGIN whose context has a deadline
	// wait for it, as a database that stopped answering does.
	Stall atomic.Bool
	// Err is the driver's error (default: a connection reset by the peer).
	Err error
}

// stall waits for ctx's deadline when Stall is set and ctx has one.
func (f *Faults) stall(ctx context.Context) error {
	if f == nil || !f.Stall.Load() {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (f *Faults) err() error {
	if f.Err != nil {
		return f.Err
	}
	return &net.OpError{Op: "read", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 5432}, Err: syscall.ECONNRESET}
}

var logSQL = os.Getenv("SWITCHBOARD_TEST_LOG_SQL") != ""

// note counts (and records) one statement with its arguments.
func (m *meter) note(ctx context.Context, q string, args any) {
	who := "request"
	if server.RequestID(ctx) != "" {
		m.requests.Add(1)
		m.rec.add(q, args)
	} else {
		m.background.Add(1)
		who = "background"
	}
	if logSQL {
		fmt.Fprintln(os.Stderr, who+":", q)
	}
}

func (d *countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.m.note(ctx, q, args)
	if err := d.faults.stall(ctx); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *countingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.m.note(ctx, q, args)
	if err := d.faults.stall(ctx); err != nil {
		return err
	}
	return d.Driver.Query(ctx, q, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	if server.RequestID(ctx) != "" && d.faults.FailBegin.Load() {
		return nil, d.faults.err()
	}
	if err := d.faults.stall(ctx); err != nil {
		return nil, err
	}
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, m: d.m, faults: d.faults, request: server.RequestID(ctx) != ""}, nil
}

type countingTx struct {
	dialect.Tx
	m       *meter
	faults  *Faults
	request bool
}

func (t *countingTx) Commit() error {
	if t.request && t.faults.FailCommit.Load() {
		_ = t.Tx.Rollback()
		return t.faults.err()
	}
	return t.Tx.Commit()
}

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	t.m.note(ctx, q, args)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	t.m.note(ctx, q, args)
	return t.Tx.Query(ctx, q, args, v)
}

type execContexter interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type queryContexter interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

var (
	errNoExecContext  = errors.New("testenv: driver has no ExecContext")
	errNoQueryContext = errors.New("testenv: driver has no QueryContext")
)

// QueryContext forwards raw queries (the event log's) and meters them.
func (d *countingDriver) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	d.m.note(ctx, q, args)
	if err := d.faults.stall(ctx); err != nil {
		return nil, err
	}
	if e, ok := d.Driver.(queryContexter); ok {
		return e.QueryContext(ctx, q, args...)
	}
	return nil, errNoQueryContext
}

// QueryContext forwards raw queries (the event log's) and meters them.
func (t *countingTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	t.m.note(ctx, q, args)
	if e, ok := t.Tx.(queryContexter); ok {
		return e.QueryContext(ctx, q, args...)
	}
	return nil, errNoQueryContext
}

// ExecContext forwards raw statements (pg_notify) and meters them.
func (d *countingDriver) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	d.m.note(ctx, q, args)
	if e, ok := d.Driver.(execContexter); ok {
		return e.ExecContext(ctx, q, args...)
	}
	return nil, errNoExecContext
}

// ExecContext forwards raw statements (pg_notify) and meters them.
func (t *countingTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	t.m.note(ctx, q, args)
	if e, ok := t.Tx.(execContexter); ok {
		return e.ExecContext(ctx, q, args...)
	}
	return nil, errNoExecContext
}

// Record keeps the statements that HTTP requests send until the returned
// function is called, which returns them in the order they were sent.
func (s *Server) Record() (stop func() []Statement) {
	r := &s.statements
	r.mu.Lock()
	r.on, r.list = true, nil
	r.mu.Unlock()
	return func() []Statement {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.on = false
		list := r.list
		r.list = nil
		return list
	}
}
