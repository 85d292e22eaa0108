package events

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// Cursor is the public, opaque form of a log position.
func Cursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("ev2:" + strconv.FormatInt(seq, 10)))
}

// ParseCursor reads a cursor made by Cursor. Cursors of the earlier
// numbering (per-workspace positions, "ev1:") have expired: the client
// re-queries and subscribes without one.
func ParseCursor(c string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), "ev2:"); ok {
			if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n >= 0 {
				return n, nil
			}
		}
		if rest, ok := strings.CutPrefix(string(raw), "ev1:"); ok {
			if _, err := strconv.ParseInt(rest, 10, 64); err == nil {
				return 0, errCursorRenumbered
			}
		}
	}
	return 0, apperr.Invalid("after", "malformed event cursor")
}

// ErrCursorExpired is returned for a cursor older than the retention.
var ErrCursorExpired = apperr.New(apperr.CursorExpired, "the event cursor is older than the event log's retention; re-query and subscribe without one")

// errCursorRenumbered answers a cursor of the per-workspace numbering
// that the migration global_event_positions replaced.
var errCursorRenumbered = apperr.New(apperr.CursorExpired, "the event cursor is from before the event log was renumbered; re-query and subscribe without one")

// replayPage is how many events a catch-up reads at once.
const replayPage = 500

// Stream is one reader's ordered view of a workspace's log. It has no
// goroutine and no buffer of its own: TryNext and Next read the log's
// settled events after the reader's position from the workspace's tail, or
// from the database while the reader is behind the tail; WhenMore asks
// the tail for a call when there is more.
type Stream struct {
	log    *Log
	tail   *tail
	ws     gid.ID
	pos    int64    // the last position returned
	page   []*Event // read, not yet returned
	replay bool     // read the database, not the tail
	// upTo: once the page is returned, the reader has every event up to
	// here (the tail's floor, all settled, when the replay began).
	upTo int64
	// skip: positions above pos of events that had committed (but not
	// settled) when a stream without a cursor began: not "from now on".
	skip   []int64
	closed bool
}

// Stream returns a workspace's events in position order, each once: with
// after, first those after it (read from the database), then live ones;
// without, those that commit from now on (including, on PostgreSQL, ones
// with positions below some already committed: see positions.go). Stop
// it when done.
func (l *Log) Stream(ctx context.Context, workspace gid.ID, after *int64) (*Stream, error) {
	settled, pruned, err := l.Position(ctx, workspace)
	if err != nil {
		return nil, err
	}
	pos := settled
	var skip []int64
	if after != nil {
		if *after < pruned {
			return nil, ErrCursorExpired
		}
		pos = min(*after, settled)
	} else if skip, err = l.committedAfter(ctx, workspace, settled); err != nil {
		return nil, err
	}
	t := l.openTail(workspace, settled)
	return &Stream{log: l, tail: t, ws: workspace, pos: pos, replay: true, upTo: t.floorNow(), skip: skip}, nil
}

// Next returns the next event, waiting for one until ctx ends. Not safe
// for concurrent use.
func (s *Stream) Next(ctx context.Context) (*Event, error) {
	for {
		ev, err := s.TryNext(ctx)
		if ev != nil || err != nil {
			return ev, err
		}
		more := make(chan struct{})
		var once sync.Once
		if !s.WhenMore(func() { once.Do(func() { close(more) }) }) {
			continue
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-more:
		}
	}
}

// TryNext returns the next event if there is one now (reading the
// database while the reader is behind the tail), or nil. Not safe for
// concurrent use.
func (s *Stream) TryNext(ctx context.Context) (*Event, error) {
	for {
		if len(s.page) > 0 {
			ev := s.page[0]
			s.page = s.page[1:]
			s.pos = ev.Seq
			if i := slices.Index(s.skip, ev.Seq); i >= 0 {
				s.skip = slices.Delete(s.skip, i, i+1)
				continue
			}
			return ev, nil
		}
		if s.replay {
			evs, err := s.log.After(ctx, s.ws, s.pos, replayPage)
			if err != nil {
				return nil, err
			}
			s.page, s.replay = evs, len(evs) == replayPage
			continue
		}
		// Every event up to the floor the replay started from was settled
		// then, so the replay returned it.
		s.pos = max(s.pos, s.upTo)
		evs, behind, floor := s.tail.after(s.pos)
		switch {
		case behind: // older than the ring
			s.replay, s.upTo = true, floor
		case len(evs) > 0:
			s.page = evs
		default:
			return nil, nil
		}
	}
}

// WhenMore arranges for wake to be called once, soon after the tail has
// events TryNext would return, and returns true; or returns false when it
// has some already (call TryNext again). wake must not block. Not safe for
// concurrent use with TryNext.
func (s *Stream) WhenMore(wake func()) bool {
	return s.tail.whenAfter(s.pos, wake)
}

// Stop ends the stream; it is safe to call more than once, not
// concurrently with Next.
func (s *Stream) Stop() {
	if !s.closed {
		s.closed = true
		s.log.closeTail(s.tail)
	}
}
