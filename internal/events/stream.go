package events

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// Cursor is the public, opaque form of a log position.
func Cursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("ev1:" + strconv.FormatInt(seq, 10)))
}

// ParseCursor reads a cursor made by Cursor.
func ParseCursor(c string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), "ev1:"); ok {
			if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n >= 0 {
				return n, nil
			}
		}
	}
	return 0, apperr.Invalid("after", "malformed event cursor")
}

// ErrCursorExpired is returned for a cursor older than the retention.
var ErrCursorExpired = apperr.New(apperr.CursorExpired, "the event cursor is older than the event log's retention; re-query and subscribe without one")

// replayPage is how many events a catch-up reads at once.
const replayPage = 500

// Stream is one subscriber's ordered view of a workspace's log.
type Stream struct {
	C    <-chan *Event
	mu   sync.Mutex
	err  error
	stop context.CancelFunc
}

// Err says why the stream ended early (ErrSlow, a database error), or nil.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Stream) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Stop ends the stream.
func (s *Stream) Stop() { s.stop() }

// Stream delivers a workspace's events in position order, each once: with
// after, first those after it (replayed from the database), then live
// ones; without, those that commit from now on. It fills any gap in what
// the broker hands it (events published out of order, or by another
// instance) from the database.
func (l *Log) Stream(ctx context.Context, workspace gid.ID, after *int64) (*Stream, error) {
	last, pruned, err := l.Position(ctx, workspace)
	if err != nil {
		return nil, err
	}
	pos := last
	if after != nil {
		if *after < pruned {
			return nil, ErrCursorExpired
		}
		if *after < last {
			pos = *after
		}
	}
	// Subscribe after reading the position and catch up from the database
	// before going live: whatever commits in between is read, not lost.
	sub := l.broker.Subscribe(workspace)
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan *Event)
	s := &Stream{C: out, stop: cancel}
	go func() {
		defer close(out)
		defer sub.Close()
		send := func(ev *Event) bool {
			select {
			case out <- ev:
				pos = ev.Seq
				return true
			case <-ctx.Done():
				return false
			}
		}
		catchUp := func() bool {
			for {
				evs, err := l.After(ctx, workspace, pos, replayPage)
				if err != nil {
					if ctx.Err() == nil {
						s.fail(err)
					}
					return false
				}
				for _, ev := range evs {
					if !send(ev) {
						return false
					}
				}
				if len(evs) < replayPage {
					return true
				}
			}
		}
		if !catchUp() {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.C:
				if !ok {
					s.fail(sub.Err())
					return
				}
				switch {
				case ev.hint:
					if !catchUp() {
						return
					}
				case ev.Seq <= pos:
				case ev.Seq == pos+1:
					if !send(ev) {
						return
					}
				default:
					if !catchUp() {
						return
					}
				}
			}
		}
	}()
	return s, nil
}

// IsSlow reports whether err ended a stream because its reader fell behind.
func IsSlow(err error) bool { return errors.Is(err, ErrSlow) }
