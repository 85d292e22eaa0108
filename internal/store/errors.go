package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"modernc.org/sqlite"
)

// SQLite result codes (the primary code is the low byte of an extended one).
const (
	sqliteNoMem      = 7
	sqliteBusy       = 5
	sqliteLocked     = 6
	sqliteInterrupt  = 9
	sqliteIOErr      = 10
	sqliteFull       = 13
	sqliteCantOpen   = 14
	sqliteProtocol   = 15
	sqliteUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
	sqlitePrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
)

// Conflict reports whether a transaction failed only because it ran
// concurrently with others, so that running it again at once may succeed:
// a serialization failure, a deadlock or a lock wait given up on
// (PostgreSQL 40001, 40P01, 55P03), a busy or locked SQLite database, or
// an error marked Raced.
// Decided by error codes, never by message text.
func Conflict(err error) bool {
	var raced *RacedError
	if errors.As(err, &raced) {
		return true
	}
	if code, ok := sqliteCode(err); ok {
		return code&0xff == sqliteBusy || code&0xff == sqliteLocked
	}
	switch sqlState(err) {
	case "40001", "40P01", "55P03":
		return true
	}
	return false
}

// RacedError marks an error a transaction met only because a concurrent
// one committed after it read (a check it made no longer holds): Conflict
// reports it, so InTx runs the transaction again. Err is the error to
// report when the race keeps being lost.
type RacedError struct{ Err error }

// Raced marks err as a lost race (see RacedError).
func Raced(err error) error { return &RacedError{Err: err} }

func (e *RacedError) Error() string { return e.Err.Error() }
func (e *RacedError) Unwrap() error { return e.Err }

// Transient reports whether a database operation failed for a reason that
// may pass, so the caller's client should retry later: a Conflict, a race
// on a unique index, the database unreachable, restarting or out of
// resources, or the caller's context canceled or timed out. Anything else
// (a value a column refuses, a violated constraint, a missing row, a bug)
// fails the same way on every retry.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if Conflict(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if UniqueRace(err) {
		return true
	}
	if code, ok := sqliteCode(err); ok {
		switch code & 0xff {
		case sqliteNoMem, sqliteInterrupt, sqliteIOErr, sqliteFull, sqliteCantOpen, sqliteProtocol:
			return true
		}
		return false
	}
	switch state := sqlState(err); {
	case len(state) == 5:
		// connection exception, transaction rollback, insufficient
		// resources, operator intervention (shutdown, statement timeout),
		// system error.
		switch state[:2] {
		case "08", "40", "53", "57", "58":
			return true
		}
	}
	return false
}

// UniqueRace reports whether a write failed on a unique index (PostgreSQL
// 23505, SQLite's unique and primary key constraints): when two writers
// insert the same key at once, the loser's retry finds the winner's row.
func UniqueRace(err error) bool {
	if code, ok := sqliteCode(err); ok {
		return code == sqliteUnique || code == sqlitePrimaryKey
	}
	return sqlState(err) == "23505"
}

func sqliteCode(err error) (int, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// sqlState is a PostgreSQL error's SQLSTATE, or "".
func sqlState(err error) string {
	var e interface{ SQLState() string }
	if errors.As(err, &e) {
		return strings.ToUpper(e.SQLState())
	}
	return ""
}
