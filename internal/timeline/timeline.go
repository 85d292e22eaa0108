// Package timeline builds a customer's history across channels: their
// messages (private notes included), the steps of their conversations,
// their calls and their merges, oldest first, in keyset-paginated pages.
//
// Entries sort by (time, key). The key is the id of the row behind the
// entry: a message id, a conversation activity id, a merge id for a
// MERGED entry and the merge id with ":unmerged" appended for an UNMERGED
// one (a merge gives two entries). A cursor is a key with its time, so a
// page starts strictly after (or ends strictly before) a position, not at
// an offset: entries recorded later show up on later pages, and entries
// recorded before a cursor never shift the pages after it.
//
// It reads only durable tables (messages, conversation_activities,
// calls, customer_merges), never the pruned event log.
package timeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/call"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/customermerge"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

// DefaultPageSize is the page size when neither first nor last is given.
const DefaultPageSize = 20

// Kind says what an entry is.
type Kind string

// The kinds of entries, as the SQL query names their source.
const (
	KindMessage  Kind = "message"
	KindActivity Kind = "activity"
	KindCall     Kind = "call"
	KindMerged   Kind = "merged"
	KindUnmerged Kind = "unmerged"
)

// unmergedSuffix turns a merge id into the key of its UNMERGED entry.
const unmergedSuffix = ":unmerged"

// Key is an entry's position: its time, then the key of its row.
type Key struct {
	At  time.Time
	Key string
}

// Entry is one entry of a timeline, with the row behind it.
type Entry struct {
	Key
	Kind     Kind
	Message  *ent.Message              // KindMessage
	Activity *ent.ConversationActivity // KindActivity
	Merge    *ent.CustomerMerge        // KindMerged, KindUnmerged
	Call     *ent.Call                 // KindCall
}

// ID is the entry's id in the API. It differs from the id of the row the
// entry holds (a MessageEntry's message, a MergeEntry's merge), so that
// clients caching objects by id alone (Relay) never take one for the
// other: "<message id>:message", "<merge id>:merged",
// "<merge id>:unmerged". A conversation activity is its own entry and
// keeps its id.
func (e Entry) ID() gid.ID {
	switch e.Kind {
	case KindMessage:
		return gid.ID(e.Key.Key + ":message")
	case KindMerged:
		return gid.ID(e.Key.Key + ":merged")
	case KindCall:
		return gid.ID(e.Key.Key + ":call")
	default:
		return gid.ID(e.Key.Key)
	}
}

// Args selects a page, as a Relay connection's arguments do: entries after
// After and before Before, the First of them or the Last of them.
type Args struct {
	After, Before *Key
	First, Last   *int
}

// Loaders shape the queries that load a page's rows, for instance to
// eager-load the edges a GraphQL selection asks for. Nil ones load plain
// rows.
type Loaders struct {
	Messages   func(*ent.MessageQuery) (*ent.MessageQuery, error)
	Activities func(*ent.ConversationActivityQuery) (*ent.ConversationActivityQuery, error)
	Merges     func(*ent.CustomerMergeQuery) (*ent.CustomerMergeQuery, error)
	Calls      func(*ent.CallQuery) (*ent.CallQuery, error)
}

// Page is one page of a timeline, oldest first.
type Page struct {
	Entries                      []Entry
	HasNextPage, HasPreviousPage bool
}

// Service reads customers' timelines.
type Service struct {
	client *ent.Client // the base client; store.Client finds the transaction's
}

// New returns the timeline service over the base client.
func New(client *ent.Client) *Service { return &Service{client: client} }

// Load returns a page of cust's timeline, read in the transaction ctx
// carries if any. cust must have been loaded through the privacy layer
// (so it is the viewer's). It costs one statement to find the page and
// one per kind of row on it to load them.
func (s *Service) Load(ctx context.Context, cust *ent.Customer, args Args, l Loaders) (*Page, error) {
	n, backward, err := pageSize(args.First, args.Last)
	if err != nil {
		return nil, err
	}
	keys, err := s.positions(ctx, cust, window{after: args.After, before: args.Before, limit: n + 1, backward: backward})
	if err != nil {
		return nil, fmt.Errorf("timeline: page: %w", err)
	}
	more := len(keys) > n
	if more {
		keys = keys[:n]
	}
	if backward {
		slices.Reverse(keys)
	}
	entries, err := s.load(ctx, cust, keys, l)
	if err != nil {
		return nil, fmt.Errorf("timeline: load: %w", err)
	}
	// As entgql's connections do: a page bounded by a cursor on one side
	// says there is more on that side without looking.
	return &Page{
		Entries:         entries,
		HasNextPage:     args.Before != nil || (!backward && more),
		HasPreviousPage: args.After != nil || (backward && more),
	}, nil
}

// pageSize reads first and last: one of them, or first: DefaultPageSize.
func pageSize(first, last *int) (n int, backward bool, err error) {
	switch {
	case first != nil && last != nil:
		return 0, false, apperr.Invalid("last", "give first or last, not both")
	case first != nil && *first < 0:
		return 0, false, apperr.Invalid("first", "must not be negative")
	case last != nil && *last < 0:
		return 0, false, apperr.Invalid("last", "must not be negative")
	case first != nil:
		return *first, false, nil
	case last != nil:
		return *last, true, nil
	}
	return DefaultPageSize, false, nil
}

// load reads the rows of the page's entries, one query per kind, and
// returns the entries in the order of keys. A row that disappeared
// between the two statements is left out.
//
// Messages and activities are read as the range of the customer's index
// between the page's first and last of them: exactly the page's rows (the
// page is contiguous), and a plan SQLite picks without statistics, where
// "id IN (...) AND workspace_id = ?" with more than a few ids makes it
// scan the workspace's index instead.
func (s *Service) load(ctx context.Context, cust *ent.Customer, keys []position, l Loaders) ([]Entry, error) {
	c := store.Client(ctx, s.client)
	var msgKeys, actKeys, callKeys []Key
	var mrgIDs []gid.ID
	for _, k := range keys {
		switch k.kind {
		case KindMessage:
			msgKeys = append(msgKeys, k.Key)
		case KindActivity:
			actKeys = append(actKeys, k.Key)
		case KindCall:
			callKeys = append(callKeys, k.Key)
		case KindMerged, KindUnmerged:
			mrgIDs = append(mrgIDs, k.mergeID())
		}
	}
	msgs, err := byID(ctx, len(msgKeys), c.Message.Query().Where(
		message.CustomerID(cust.ID), within(message.FieldCreatedAt, message.FieldID, msgKeys)),
		l.Messages, func(m *ent.Message) gid.ID { return m.ID })
	if err != nil {
		return nil, err
	}
	acts, err := byID(ctx, len(actKeys), c.ConversationActivity.Query().Where(
		conversationactivity.CustomerID(cust.ID), within(conversationactivity.FieldOccurredAt, conversationactivity.FieldID, actKeys)),
		l.Activities, func(a *ent.ConversationActivity) gid.ID { return a.ID })
	if err != nil {
		return nil, err
	}
	calls, err := byID(ctx, len(callKeys), c.Call.Query().Where(
		call.CustomerID(cust.ID), within(call.FieldStartedAt, call.FieldID, callKeys)),
		l.Calls, func(c *ent.Call) gid.ID { return c.ID })
	if err != nil {
		return nil, err
	}
	merges, err := byID(ctx, len(mrgIDs), c.CustomerMerge.Query().Where(customermerge.IDIn(mrgIDs...)),
		l.Merges, func(m *ent.CustomerMerge) gid.ID { return m.ID })
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		e := Entry{Key: k.Key, Kind: k.kind}
		switch k.kind {
		case KindMessage:
			e.Message = msgs[gid.ID(k.Key.Key)]
		case KindActivity:
			e.Activity = acts[gid.ID(k.Key.Key)]
		case KindCall:
			e.Call = calls[gid.ID(k.Key.Key)]
		default:
			e.Merge = merges[k.mergeID()]
		}
		if e.Message == nil && e.Activity == nil && e.Merge == nil && e.Call == nil {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// lister is what the ent queries of the three kinds of rows have in common.
type lister[T any] interface {
	All(context.Context) ([]T, error)
}

// byID runs q (shaped by shape) when it is for n > 0 rows, and maps the
// rows by id.
func byID[T any, Q lister[T]](ctx context.Context, n int, q Q, shape func(Q) (Q, error), id func(T) gid.ID) (map[gid.ID]T, error) {
	out := make(map[gid.ID]T, n)
	if n == 0 {
		return out, nil
	}
	if shape != nil {
		var err error
		if q, err = shape(q); err != nil {
			return nil, err
		}
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[id(r)] = r
	}
	return out, nil
}
