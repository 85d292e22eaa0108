package events_test

import (
	"encoding/base64"
	"testing"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
)

// TestCursors: a cursor reads back as its position; one of the numbering
// before global positions has expired (the client re-queries); anything
// else is malformed input.
func TestCursors(t *testing.T) {
	const pos = int64(281474976710657)
	if got, err := events.ParseCursor(events.Cursor(pos)); err != nil || got != pos {
		t.Fatalf("ParseCursor(Cursor(%d)) = %d, %v", pos, got, err)
	}
	old := base64.RawURLEncoding.EncodeToString([]byte("ev1:42"))
	if _, err := events.ParseCursor(old); apperr.CodeOf(err) != apperr.CursorExpired {
		t.Fatalf("an ev1 cursor: %v, want CURSOR_EXPIRED", err)
	}
	for _, bad := range []string{"", "!!", base64.RawURLEncoding.EncodeToString([]byte("ev2:-1")), base64.RawURLEncoding.EncodeToString([]byte("ev3:1"))} {
		if _, err := events.ParseCursor(bad); apperr.CodeOf(err) != apperr.InvalidInput {
			t.Fatalf("cursor %q: %v, want INVALID_INPUT", bad, err)
		}
	}
}
