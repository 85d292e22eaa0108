package imap

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// defaultBatch is FetchSince's batch size when it is given none.
const defaultBatch = 20

// FetchSince calls fn for every message with a UID above after, in ascending
// UID order, fetching at most batch bodies per command (batch <= 0 means 20).
// It first lists UIDs, sizes and dates (UID FETCH after+1:* (UID RFC822.SIZE
// INTERNALDATE)), then fetches bodies with BODY.PEEK[], so nothing is marked
// \Seen. A message larger than maxBytes (when maxBytes > 0) is passed with Raw
// nil so the caller can record a placeholder. fn's error stops the fetch and
// is returned as is; fn is never called while a command is running.
func (s *Session) FetchSince(ctx context.Context, after uint32, batch int, maxBytes int64, fn func(Message) error) error {
	if after == math.MaxUint32 {
		return nil
	}
	if batch <= 0 {
		batch = defaultBatch
	}
	listed, err := s.list(ctx, after)
	if err != nil {
		return fmt.Errorf("imap: fetch: list: %w", err)
	}
	for chunk := range slices.Chunk(listed, batch) {
		if err := ctx.Err(); err != nil {
			return err
		}
		msgs, err := s.bodies(ctx, chunk, maxBytes)
		if err != nil {
			return fmt.Errorf("imap: fetch: UIDs %d-%d: %w", chunk[0].UID, chunk[len(chunk)-1].UID, err)
		}
		for _, m := range msgs {
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// list returns UID, size and date of every message above after, in UID order.
func (s *Session) list(ctx context.Context, after uint32) ([]Message, error) {
	var uids goimap.UIDSet
	uids.AddRange(goimap.UID(after+1), 0) // after+1:*
	w := s.conn.watch(ctx)
	cmd := s.conn.client.Fetch(uids, &goimap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true})
	var listed []Message
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		w.touch()
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return nil, w.done(err)
		}
		// n:* includes the last message even when its UID is below n.
		if uint32(buf.UID) <= after {
			continue
		}
		listed = append(listed, Message{
			UID:          uint32(buf.UID),
			InternalDate: buf.InternalDate,
			Size:         uint32(min(buf.RFC822Size, math.MaxUint32)),
		})
	}
	if err := w.done(cmd.Close()); err != nil {
		return nil, err
	}
	slices.SortFunc(listed, func(a, b Message) int { return cmp.Compare(a.UID, b.UID) })
	return listed, nil
}

// bodies fetches the raw bytes of the listed messages that fit in maxBytes.
// A message expunged since it was listed is left out.
func (s *Session) bodies(ctx context.Context, listed []Message, maxBytes int64) ([]Message, error) {
	var uids goimap.UIDSet
	for _, m := range listed {
		if maxBytes <= 0 || int64(m.Size) <= maxBytes {
			uids.AddNum(goimap.UID(m.UID))
		}
	}
	raws := make(map[uint32][]byte)
	if len(uids) > 0 {
		var err error
		if raws, err = s.fetchRaw(ctx, uids, maxBytes); err != nil {
			return nil, err
		}
	}
	out := make([]Message, 0, len(listed))
	for _, m := range listed {
		if uids.Contains(goimap.UID(m.UID)) {
			raw, ok := raws[m.UID]
			if !ok {
				continue // expunged meanwhile
			}
			m.Raw = raw // nil when the server's size was wrong and the body too large
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Session) fetchRaw(ctx context.Context, uids goimap.UIDSet, maxBytes int64) (map[uint32][]byte, error) {
	section := &goimap.FetchItemBodySection{Peek: true}
	w := s.conn.watch(ctx)
	cmd := s.conn.client.Fetch(uids, &goimap.FetchOptions{UID: true, BodySection: []*goimap.FetchItemBodySection{section}})
	raws := make(map[uint32][]byte)
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var uid uint32
		var raw []byte
		got := false
		for item := msg.Next(); item != nil; item = msg.Next() {
			w.touch()
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = uint32(item.UID)
			case imapclient.FetchItemDataBodySection:
				if item.Literal == nil {
					continue
				}
				var err error
				if raw, err = readLimited(item.Literal, maxBytes, w); err != nil {
					// The connection broke mid-literal. Consuming the command
					// now would read the connection again under the client's
					// reader (go-imap beta.8 discards the literal's rest), so
					// close instead: the session is over.
					s.conn.client.Close()
					return nil, w.done(err)
				}
				got = true
			}
		}
		if got && uid != 0 {
			raws[uid] = raw
		}
	}
	if err := w.done(cmd.Close()); err != nil {
		return nil, err
	}
	return raws, nil
}

// readLimited reads a literal, or returns nil if it is longer than maxBytes.
// Each read counts as the server answering. A literal cut short is an error:
// go-imap beta.8 reports a connection closed mid-literal as a plain EOF.
func readLimited(lit goimap.LiteralReader, maxBytes int64, w *watchdog) ([]byte, error) {
	var r io.Reader = touchReader{lit, w}
	if maxBytes > 0 {
		r = io.LimitReader(r, maxBytes+1)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if maxBytes > 0 && int64(len(raw)) > maxBytes {
		return nil, nil
	}
	if int64(len(raw)) != lit.Size() {
		return nil, fmt.Errorf("literal of %d bytes ended after %d: %w", lit.Size(), len(raw), io.ErrUnexpectedEOF)
	}
	if raw == nil {
		raw = []byte{}
	}
	return raw, nil
}

type touchReader struct {
	r io.Reader
	w *watchdog
}

func (t touchReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.touch()
	return n, err
}
