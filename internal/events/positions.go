package events

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

// Positions. Every event has a position (events.seq), unique across
// workspaces and increasing; it is the cursor subscriptions resume from
// and what durable consumers checkpoint. Positions are not contiguous. A
// reader must never pass a position while an event with a smaller one can
// still commit, or it would skip that event for good. How each database
// guarantees it without making writers wait for each other's commits:
//
// PostgreSQL. An event's position is its transaction's id shifted left by
// 16 bits plus its index in the transaction (at most 65,535 events per
// transaction): (pg_current_xact_id() << 16) | i, computed by the INSERT
// itself. Transaction ids are handed out in increasing order and every
// transaction that holds one and has not ended is in every snapshot's
// list of running transactions, so all events below the oldest running
// transaction's id << 16 are settled: committed, or rolled back and gone
// (see horizon: transactions of other databases on the cluster do not
// count). Readers take only settled events (see read); the others wait
// until the oldest running transaction of this database ends. No row is
// locked by every writer. A long writing transaction on this database
// delays delivery (never loses anything): keep transactions short.
//
// SQLite. Writers are serial (BEGIN IMMEDIATE), so a counter row taken in
// the writing transaction (event_sequences, id "_log") gives positions in
// commit order; everything committed is settled.

const (
	txShift = 16
	// MaxEventsPerTx is how many events one transaction may record.
	MaxEventsPerTx = 1<<txShift - 1
	// counterID is the SQLite position counter's row in event_sequences.
	counterID = gid.ID("_log")
)

// eventColumns are the columns read and written, in this order.
const eventColumns = "id, seq, type, change, conversation_id, message_id, customer_id, agent_id, previous_agent_id, merge_id, cause, created_at, workspace_id"

// horizon is SQL for the first position that may not be settled yet.
//
// On PostgreSQL: the oldest transaction that was running when the
// statement's snapshot was taken (pg_snapshot_xip), or the next
// transaction id (pg_snapshot_xmax) when none was, shifted like positions.
// Transactions positively of another database of the cluster (their
// backend, in pg_stat_activity, is connected to another database; a
// backend never changes database) are left out: they write no events
// here, and other applications' or tests' long transactions on the same
// cluster then do not hold delivery back. Any running transaction that
// cannot be placed (its backend ended since, or its row is hidden from a
// role without pg_read_all_stats) counts, so the horizon errs late, never
// early. Every transaction below it has ended as of the snapshot, so the
// statement sees all of their events. (backend_xid is a 32-bit xid: it is
// compared with the 64-bit id's low half.)
func (l *Log) horizon() string {
	if l.pg {
		return `(COALESCE(
			(SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) x
			 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
			                   WHERE a.backend_xid::text::bigint = x::text::bigint & 4294967295
			                     AND a.datname <> current_database())),
			pg_snapshot_xmax(pg_current_snapshot())::text::bigint) << 16)`
	}
	return "9223372036854775807"
}

// bind rewrites ? placeholders for the database.
func (l *Log) bind(q string) string { return store.Rebind(l.pg, q) }

// write appends evs in the transaction and sets their positions.
func (l *Log) write(ctx context.Context, tx *ent.Tx, evs []*Event) error {
	if len(evs) == 0 {
		return nil
	}
	if len(evs) > MaxEventsPerTx {
		return fmt.Errorf("events: %d events in one transaction; at most %d", len(evs), MaxEventsPerTx)
	}
	var first int64
	if !l.pg {
		// The counter row exists from the migration that introduced it; the
		// upsert keeps an emptied table working.
		rows, err := tx.QueryContext(ctx,
			`INSERT INTO event_sequences (id, last_seq, pruned_through) VALUES (?, ?, 0)
			 ON CONFLICT (id) DO UPDATE SET last_seq = event_sequences.last_seq + excluded.last_seq RETURNING last_seq`,
			string(counterID), len(evs))
		if err != nil {
			return fmt.Errorf("events: take positions: %w", err)
		}
		var last int64
		if err := scanOne(rows, &last); err != nil {
			return fmt.Errorf("events: take positions: %w", err)
		}
		first = last - int64(len(evs)) + 1
	}
	var q strings.Builder
	q.WriteString("INSERT INTO events (" + eventColumns + ") VALUES ")
	args := make([]any, 0, 12*len(evs))
	for i, ev := range evs {
		if ev.ID == "" {
			ev.ID = gid.New("Event")
		}
		if i > 0 {
			q.WriteString(", ")
		}
		if l.pg {
			fmt.Fprintf(&q, "(?, (pg_current_xact_id()::text::bigint << 16) | %d, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", i)
		} else {
			ev.Seq = first + int64(i)
			fmt.Fprintf(&q, "(?, %d, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ev.Seq)
		}
		args = append(args, string(ev.ID), string(ev.Type), string(ev.Change), string(ev.ConversationID), string(ev.MessageID),
			string(ev.CustomerID), string(ev.AgentID), string(ev.PreviousAgentID), string(ev.MergeID), ev.Cause.String(), ev.CreatedAt, string(ev.WorkspaceID))
	}
	if !l.pg {
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("events: append: %w", err)
		}
		return nil
	}
	q.WriteString(" RETURNING id, seq")
	rows, err := tx.QueryContext(ctx, l.bind(q.String()), args...)
	if err != nil {
		return fmt.Errorf("events: append: %w", err)
	}
	defer rows.Close()
	byID := make(map[gid.ID]*Event, len(evs))
	for _, ev := range evs {
		byID[ev.ID] = ev
	}
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return fmt.Errorf("events: append: %w", err)
		}
		if ev := byID[gid.ID(id)]; ev != nil {
			ev.Seq = seq
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("events: append: %w", err)
	}
	return nil
}

func scanOne(rows *sql.Rows, dest ...any) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// queryer runs raw SQL: the base client, or a transaction's.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// read returns up to limit settled events after position seq, of one
// workspace (or of all when workspace is ""), in position order; more is
// true when committed events after them are not settled yet (a reader
// looks again soon).
func (l *Log) read(ctx context.Context, workspace gid.ID, seq int64, limit int) (evs []*Event, more bool, err error) {
	where, args := "seq > ?", []any{seq}
	if workspace != "" {
		where, args = "workspace_id = ? AND seq > ?", []any{string(workspace), seq}
	}
	args = append(args, limit)
	rows, err := l.client.QueryContext(ctx, l.bind(
		"SELECT "+eventColumns+", seq < "+l.horizon()+" FROM events WHERE "+where+" ORDER BY seq LIMIT ?"), args...)
	if err != nil {
		return nil, false, fmt.Errorf("events: read log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ev                                              Event
			id, typ, ws                                     string
			change, conv, msg, cust, agent, prev, mg, cause sql.NullString
			created                                         time.Time
			settled                                         bool
		)
		if err := rows.Scan(&id, &ev.Seq, &typ, &change, &conv, &msg, &cust, &agent, &prev, &mg, &cause, &created, &ws, &settled); err != nil {
			return nil, false, fmt.Errorf("events: read log: %w", err)
		}
		if !settled {
			more = true
			break
		}
		ev.ID, ev.Type, ev.Change, ev.WorkspaceID, ev.CreatedAt = gid.ID(id), Type(typ), Change(change.String), gid.ID(ws), created
		ev.ConversationID, ev.MessageID, ev.CustomerID = gid.ID(conv.String), gid.ID(msg.String), gid.ID(cust.String)
		ev.AgentID, ev.PreviousAgentID, ev.MergeID = gid.ID(agent.String), gid.ID(prev.String), gid.ID(mg.String)
		ev.Cause = ParseCause(cause.String)
		ev.memo = newMemo()
		evs = append(evs, &ev)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("events: read log: %w", err)
	}
	return evs, more, nil
}

// After reads up to limit settled events of a workspace after position seq.
func (l *Log) After(ctx context.Context, workspace gid.ID, seq int64, limit int) ([]*Event, error) {
	evs, _, err := l.read(ctx, workspace, seq, limit)
	return evs, err
}

// Position returns the position up to which the log is settled (a stream
// that starts now starts after it: every event that commits later has a
// greater one), and the highest position of the workspace that retention
// deleted (a cursor before it has expired).
func (l *Log) Position(ctx context.Context, workspace gid.ID) (settled, pruned int64, err error) {
	head := l.horizon() + " - 1"
	if !l.pg {
		head = "COALESCE((SELECT last_seq FROM event_sequences WHERE id = ?), 0)"
	}
	q := "SELECT " + head + ", COALESCE((SELECT pruned_through FROM event_sequences WHERE id = ?), 0)"
	args := []any{string(workspace)}
	if !l.pg {
		args = []any{string(counterID), string(workspace)}
	}
	rows, err := l.client.QueryContext(ctx, l.bind(q), args...)
	if err != nil {
		return 0, 0, fmt.Errorf("events: position: %w", err)
	}
	if err := scanOne(rows, &settled, &pruned); err != nil {
		return 0, 0, fmt.Errorf("events: position: %w", err)
	}
	return settled, pruned, nil
}

// committedAfter lists the positions after pos of a workspace's events
// that have committed already (on PostgreSQL, events above the settled
// position can be committed and visible while an older transaction still
// runs; on SQLite there are none).
func (l *Log) committedAfter(ctx context.Context, workspace gid.ID, pos int64) ([]int64, error) {
	if !l.pg {
		return nil, nil
	}
	rows, err := l.client.QueryContext(ctx, "SELECT seq FROM events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq", string(workspace), pos)
	if err != nil {
		return nil, fmt.Errorf("events: position: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, fmt.Errorf("events: position: %w", err)
		}
		out = append(out, seq)
	}
	return out, rows.Err()
}
