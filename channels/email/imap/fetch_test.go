package imap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	goimap "github.com/emersion/go-imap/v2"
)

// testMessages are five messages; the second has a subject in raw GBK bytes
// ("你好") and the fourth is 5000 bytes long.
func testMessages() [][]byte {
	var msgs [][]byte
	for i := 1; i <= 5; i++ {
		subject := fmt.Sprintf("message %d", i)
		if i == 2 {
			subject = "\xc4\xe3\xba\xc3"
		}
		body := fmt.Sprintf("Body %d.\r\n", i)
		if i == 4 {
			body = strings.Repeat("x", 4900) + "\r\n"
		}
		msgs = append(msgs, []byte("From: Bob <bob@example.com>\r\nTo: alice@example.com\r\n"+
			"Subject: "+subject+"\r\nMessage-ID: <"+fmt.Sprint(i)+"@example.com>\r\n\r\n"+body))
	}
	return msgs
}

// fetchAll collects what FetchSince passes.
func fetchAll(t *testing.T, s *Session, after uint32, batch int, maxBytes int64) []Message {
	t.Helper()
	var got []Message
	if err := s.FetchSince(context.Background(), after, batch, maxBytes, func(m Message) error {
		got = append(got, m)
		return nil
	}); err != nil {
		t.Fatalf("FetchSince(%d): %v", after, err)
	}
	return got
}

func TestFetchSince(t *testing.T) {
	ts := newTestServer(t)
	lib := ts.client(t)
	raws := testMessages()
	var uids []uint32
	for _, raw := range raws {
		uids = append(uids, appendTo(t, lib, "INBOX", raw))
	}
	s, err := Open(context.Background(), ts.config(NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.UIDValidity() == 0 || s.UIDNext() != uids[4]+1 {
		t.Fatalf("UIDVALIDITY %d, UIDNEXT %d; want non-zero and %d", s.UIDValidity(), s.UIDNext(), uids[4]+1)
	}

	t.Run("all in batches of 2", func(t *testing.T) {
		got := fetchAll(t, s, 0, 2, 0)
		if len(got) != 5 {
			t.Fatalf("got %d messages, want 5", len(got))
		}
		for i, m := range got {
			if m.UID != uids[i] || !bytes.Equal(m.Raw, raws[i]) || m.Size != uint32(len(raws[i])) || m.InternalDate.IsZero() {
				t.Errorf("message %d: UID %d size %d date %v raw %q; want UID %d raw %q", i, m.UID, m.Size, m.InternalDate, m.Raw, uids[i], raws[i])
			}
		}
	})
	t.Run("from the third UID", func(t *testing.T) {
		got := fetchAll(t, s, uids[2], 2, 0)
		if gotUIDs := messageUIDs(got); !slices.Equal(gotUIDs, uids[3:]) {
			t.Fatalf("UIDs %v, want %v", gotUIDs, uids[3:])
		}
	})
	t.Run("nothing new", func(t *testing.T) {
		// UID n:* matches the last message even when its UID is below n.
		if got := fetchAll(t, s, uids[4], 2, 0); len(got) != 0 {
			t.Fatalf("got UIDs %v, want none", messageUIDs(got))
		}
	})
	t.Run("too large for maxBytes", func(t *testing.T) {
		got := fetchAll(t, s, 0, 10, 1000)
		if len(got) != 5 {
			t.Fatalf("got %d messages, want 5", len(got))
		}
		big := got[3]
		if big.Raw != nil || big.Size != uint32(len(raws[3])) || big.InternalDate.IsZero() {
			t.Fatalf("large message: raw %d bytes, size %d; want nil and %d", len(big.Raw), big.Size, len(raws[3]))
		}
		if !bytes.Equal(got[4].Raw, raws[4]) {
			t.Fatalf("message after the large one: %q", got[4].Raw)
		}
	})
	t.Run("fn error stops", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := s.FetchSince(context.Background(), 0, 2, 0, func(m Message) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 3 {
			t.Fatalf("FetchSince: %v after %d calls; want the fn's error after 3", err, calls)
		}
	})
	t.Run("still unseen", func(t *testing.T) {
		if _, err := lib.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		msgs, err := lib.Fetch(goimap.SeqSetNum(1, 2, 3, 4, 5), &goimap.FetchOptions{Flags: true}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if slices.Contains(m.Flags, goimap.FlagSeen) {
				t.Errorf("message %d is \\Seen: %v", m.SeqNum, m.Flags)
			}
		}
	})
}

// TestFetchSinceResumes cuts the connection in the middle of the second
// batch: FetchSince fails, and a new session fetching from the last UID fn
// accepted gets the rest, nothing lost or doubled.
func TestFetchSinceResumes(t *testing.T) {
	ts := newTestServer(t)
	lib := ts.client(t)
	var raws [][]byte
	for i := 1; i <= 5; i++ {
		raw := fmt.Appendf(nil, "Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat(fmt.Sprint(i), 2000))
		raws = append(raws, raw)
		appendTo(t, lib, "INBOX", raw)
	}

	s, err := Open(context.Background(), ts.config(NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	// The listing and the first batch (two bodies of ~2 KB) fit; the
	// second batch is cut short.
	ts.plain.arm(6000)
	var got []Message
	err = s.FetchSince(context.Background(), 0, 2, 0, func(m Message) error {
		got = append(got, m)
		return nil
	})
	s.Close()
	if err == nil {
		t.Fatalf("FetchSince over a cut connection: no error, %d messages", len(got))
	}
	t.Logf("FetchSince over a cut connection: %v", err)
	if len(got) != 2 {
		t.Fatalf("before the cut fn accepted %d messages, want 2 (the first batch)", len(got))
	}

	s, err = Open(context.Background(), ts.config(NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got = append(got, fetchAll(t, s, got[len(got)-1].UID, 2, 0)...)
	if len(got) != 5 {
		t.Fatalf("got UIDs %v, want 5 messages", messageUIDs(got))
	}
	for i, m := range got {
		if m.UID != uint32(i+1) || !bytes.Equal(m.Raw, raws[i]) {
			t.Errorf("message %d: UID %d, %d bytes", i, m.UID, len(m.Raw))
		}
	}
}

func messageUIDs(msgs []Message) []uint32 {
	var uids []uint32
	for _, m := range msgs {
		uids = append(uids, m.UID)
	}
	return uids
}
