package timeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/call"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customermerge"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/access"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// window is the part of a timeline a page reads: the first limit entries
// strictly between the cursors, or the last limit ones when backward.
type window struct {
	after, before *Key
	limit         int
	backward      bool
}

// position is an entry the page query found, before its row is loaded.
type position struct {
	Key
	kind Kind
}

func (p position) mergeID() gid.ID {
	return gid.ID(strings.TrimSuffix(p.Key.Key, unmergedSuffix))
}

// source is one kind of row that makes entries: where it is, its time
// column, its key expression, and how to tell it is the customer's.
type source struct {
	kind  Kind
	table string
	at    string
	key   string
	owner func(b *sql.Builder, cust gid.ID)
	conv  string // the conversation column, for the channel rule; "" for merges (customer-wide)
}

func customerIs(col string) func(*sql.Builder, gid.ID) {
	return func(b *sql.Builder, cust gid.ID) { b.WriteString(col + " = ").Arg(cust) }
}

func eitherSide(extra string) func(*sql.Builder, gid.ID) {
	return func(b *sql.Builder, cust gid.ID) {
		b.WriteString("(" + customermerge.FieldPrimaryID + " = ").Arg(cust).
			WriteString(" OR " + customermerge.FieldSecondaryID + " = ").Arg(cust).
			WriteString(")" + extra)
	}
}

// sources are the rows of a timeline. Messages and activities have an
// index on (customer_id, time, id), so each branch of the page query is a
// range scan that stops after limit rows; a customer has few merges.
var sources = []source{
	{KindMessage, message.Table, message.FieldCreatedAt, message.FieldID, customerIs(message.FieldCustomerID), message.FieldConversationID},
	{KindActivity, conversationactivity.Table, conversationactivity.FieldOccurredAt, conversationactivity.FieldID,
		customerIs(conversationactivity.FieldCustomerID), conversationactivity.FieldConversationID},
	{KindCall, call.Table, call.FieldStartedAt, call.FieldID, customerIs(call.FieldCustomerID), call.FieldConversationID},
	{KindMerged, customermerge.Table, customermerge.FieldMergedAt, customermerge.FieldID, eitherSide(""), ""},
	{KindUnmerged, customermerge.Table, customermerge.FieldUnmergedAt,
		customermerge.FieldID + " || '" + unmergedSuffix + "'",
		eitherSide(" AND " + customermerge.FieldUnmergedAt + " IS NOT NULL"), ""},
}

// positions finds the entries of a window in ONE statement: a UNION ALL
// of one branch per source, each keyset-bounded, ordered and limited on
// its own (so each walks its index and stops), then ordered and limited
// overall. It runs through ent's driver as a query of the customer's row,
// which ent's privacy layer filters by the viewer's workspace: for a
// customer of another workspace nothing comes back. The branches select
// by customer id alone, which is one workspace's (rows take it from the
// customer's own conversation): a workspace_id test there would add
// nothing but a second index for PostgreSQL to combine (BitmapAnd, then
// sort everything) when its statistics are missing.
func (s *Service) positions(ctx context.Context, cust *ent.Customer, w window) ([]position, error) {
	c := store.Client(ctx, s.client)
	dir := ""
	if w.backward {
		dir = " DESC"
	}
	viewerOf := viewer.FromContext(ctx)
	var rows []struct {
		Src string `sql:"src"`
		Key string `sql:"entry_key"`
		At  any    `sql:"occurred_at"`
	}
	err := c.Customer.Query().
		Where(customer.ID(cust.ID)).
		Modify(func(s *sql.Selector) {
			visible := access.VisibleConversationIDs(viewerOf, s.Dialect())
			s.SelectExpr(sql.Raw("t.src, t.entry_key, t.occurred_at")).
				AppendFromExpr(sql.ExprFunc(func(b *sql.Builder) {
					b.Wrap(func(b *sql.Builder) {
						for i, src := range sources {
							if i > 0 {
								b.WriteString(" UNION ALL ")
							}
							writeBranch(b, i, src, cust, w, dir, visible)
						}
					})
					b.WriteString(" AS t")
				})).
				OrderExpr(sql.Raw("t.occurred_at" + dir + ", t.entry_key" + dir)).
				Limit(w.limit)
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]position, len(rows))
	for i, r := range rows {
		at, err := asTime(r.At)
		if err != nil {
			return nil, err
		}
		out[i] = position{Key: Key{At: at, Key: r.Key}, kind: Kind(r.Src)}
	}
	return out, nil
}

// writeBranch writes one source's part of the page query:
//
//	SELECT * FROM (SELECT 'message' AS src, id AS entry_key, created_at AS occurred_at
//	FROM messages WHERE customer_id = ?
//	AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT n) AS b0
//
// Row values compare the same on SQLite (3.15+) and PostgreSQL. On SQLite
// times are text in one format and zone (UTC, see internal/app), and the
// cursor's time is bound as the same text, so they compare like with like.
//
// visible, when the viewer sees only some conversations (see
// internal/access), limits messages and steps to theirs.
func writeBranch(b *sql.Builder, i int, src source, cust *ent.Customer, w window, dir string, visible *sql.Selector) {
	b.WriteString("SELECT * FROM (SELECT '" + string(src.kind) + "' AS src, " + src.key + " AS entry_key, " +
		src.at + " AS occurred_at FROM " + src.table + " WHERE ")
	src.owner(b, cust.ID)
	onlyVisible(b, src.table+"."+src.conv, src.conv != "", visible)
	bound := func(op string, k *Key) {
		if k != nil {
			b.WriteString(" AND (" + src.at + ", " + src.key + ") " + op + " (").
				Arg(k.At.UTC()).Comma().Arg(k.Key).WriteString(")")
		}
	}
	bound(">", w.after)
	bound("<", w.before)
	b.WriteString(" ORDER BY " + src.at + dir + ", " + src.key + dir + " LIMIT " + strconv.Itoa(w.limit) +
		") AS b" + strconv.Itoa(i))
}

// sqliteTime is how the SQLite driver writes a time.Time (time.Time.String
// of a UTC time, which has no monotonic reading).
const sqliteTime = "2006-01-02 15:04:05.999999999 -0700 MST"

// asTime reads a time from the page query: PostgreSQL gives a time, SQLite
// may give the stored text, the union having lost the column's type.
func asTime(v any) (time.Time, error) {
	var s string
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		s = t
	case []byte:
		s = string(t)
	default:
		return time.Time{}, fmt.Errorf("timeline: time of type %T", v)
	}
	for _, layout := range []string{sqliteTime, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timeline: unreadable time %q", s)
}

// Count returns how many entries cust's timeline has, in one statement of
// three counts that the (customer_id, ...) indexes answer alone. The
// counts are tied to the customer's row as the privacy layer filters it,
// and a customer id is in one workspace only (rows take it from the
// customer's own conversation), so they need no workspace_id test, which
// would make them read every row instead of the index.
func (s *Service) Count(ctx context.Context, cust *ent.Customer) (int, error) {
	c := store.Client(ctx, s.client)
	viewerOf := viewer.FromContext(ctx)
	n, err := c.Customer.Query().
		Where(customer.ID(cust.ID)).
		Modify(func(s *sql.Selector) {
			visible := access.VisibleConversationIDs(viewerOf, s.Dialect())
			s.SelectExpr(sql.ExprFunc(func(b *sql.Builder) {
				cu := s.C(customer.FieldID)
				for _, t := range []string{message.Table, conversationactivity.Table, call.Table} {
					b.WriteString("(SELECT COUNT(*) FROM " + t + " WHERE " + t + ".customer_id = " + cu)
					onlyVisible(b, t+".conversation_id", true, visible)
					b.WriteString(") + ")
				}
				m := customermerge.Table
				b.WriteString("(SELECT COUNT(*) + COUNT(" + m + ".unmerged_at) FROM " + m + " WHERE " +
					m + ".primary_id = " + cu + " OR " + m + ".secondary_id = " + cu + ")")
			}))
		}).
		Int(ctx)
	if err != nil {
		return 0, fmt.Errorf("timeline: count: %w", err)
	}
	return n, nil
}

// within is the predicate "(at, id) between the first and the last of
// keys", keys being in order; nothing when keys is empty.
func within(at, id string, keys []Key) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if len(keys) == 0 {
			return
		}
		lo, hi := keys[0], keys[len(keys)-1]
		s.Where(sql.P(func(b *sql.Builder) {
			cols := "(" + s.C(at) + ", " + s.C(id) + ")"
			b.WriteString(cols + " >= (").Arg(lo.At.UTC()).Comma().Arg(lo.Key).
				WriteString(") AND " + cols + " <= (").Arg(hi.At.UTC()).Comma().Arg(hi.Key).WriteString(")")
		}))
	}
}

// onlyVisible adds "AND col IN (the visible conversations)" when the
// viewer sees only some conversations and the rows belong to one.
func onlyVisible(b *sql.Builder, col string, applies bool, visible *sql.Selector) {
	if !applies || visible == nil {
		return
	}
	b.WriteString(" AND " + col + " IN (").Join(visible).WriteString(")")
}
