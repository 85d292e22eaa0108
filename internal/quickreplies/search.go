package quickreplies

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/contrib/entgql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/quickreply"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// Page sizes, as for every connection.
const (
	DefaultFirst = 20
	MaxFirst     = 100
)

// List pages through the quick replies the caller sees. Without a search
// all of them by shortcut; with one ("/ref" and "ref" alike), first those
// whose shortcut starts with it (rank 0), then those whose shortcut,
// title or body contains it, in any case (rank 1); by shortcut, then id,
// within a rank. The cursor holds the rank and shortcut of the last row,
// so a page continues exactly where the previous one ended.
func (s *Service) List(ctx context.Context, search *string, first *int, after *ent.Cursor) (*ent.QuickReplyConnection, error) {
	n := DefaultFirst
	if first != nil {
		n = *first
	}
	if n < 0 || n > MaxFirst {
		return nil, apperr.Invalid("first", "must be between 0 and %d", MaxFirst)
	}
	q := ""
	if search != nil {
		q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*search), "/"))
	}
	ranks := []predicate.QuickReply{quickreply.ShortcutHasPrefix(q)}
	if q != "" {
		ranks = append(ranks, quickreply.And(quickreply.Not(quickreply.ShortcutHasPrefix(q)),
			quickreply.Or(quickreply.ShortcutContains(q), quickreply.TitleContainsFold(q), quickreply.BodyContainsFold(q))))
	}
	c := s.db(ctx)
	total, err := c.QuickReply.Query().Where(quickreply.Or(ranks...)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("quickreplies: count: %w", err)
	}
	start, last, err := position(after, len(ranks))
	if err != nil {
		return nil, err
	}
	conn := &ent.QuickReplyConnection{TotalCount: total, Edges: []*ent.QuickReplyEdge{}}
	conn.PageInfo.HasPreviousPage = after != nil
	for r := start; r < len(ranks) && len(conn.Edges) <= n; r++ {
		query := c.QuickReply.Query().Where(ranks[r])
		if r == start && last != nil {
			query.Where(quickreply.Or(quickreply.ShortcutGT(last.shortcut),
				quickreply.And(quickreply.Shortcut(last.shortcut), quickreply.IDGT(last.id))))
		}
		// A page's teams, owners and files in one statement each, not
		// one per quick reply.
		rows, err := query.WithTeam().WithOwner().WithAttachments(orderFiles).
			Order(ent.Asc(quickreply.FieldShortcut), ent.Asc(quickreply.FieldID)).
			Limit(n + 1 - len(conn.Edges)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("quickreplies: list: %w", err)
		}
		for _, qr := range rows {
			conn.Edges = append(conn.Edges, &ent.QuickReplyEdge{Node: qr,
				Cursor: ent.Cursor{ID: qr.ID, Value: fmt.Sprintf("%d:%s", r, qr.Shortcut)}})
		}
	}
	if len(conn.Edges) > n {
		conn.Edges = conn.Edges[:n]
		conn.PageInfo.HasNextPage = true
	}
	if k := len(conn.Edges); k > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[k-1].Cursor
	}
	return conn, nil
}

type lastRow struct {
	shortcut string
	id       gid.ID
}

// position reads a cursor: the rank to continue in and the row to
// continue after (nil: from the start).
func position(after *entgql.Cursor[gid.ID], ranks int) (int, *lastRow, error) {
	if after == nil {
		return 0, nil, nil
	}
	v, _ := after.Value.(string)
	rank, shortcut, ok := strings.Cut(v, ":")
	if !ok || (rank != "0" && rank != "1") || after.ID == "" {
		return 0, nil, apperr.Invalid("after", "not a cursor of quickReplies")
	}
	r := int(rank[0] - '0')
	if r >= ranks {
		return 0, nil, apperr.Invalid("after", "the cursor is of a search; give the same search")
	}
	return r, &lastRow{shortcut: shortcut, id: after.ID}, nil
}
