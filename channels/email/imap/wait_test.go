package imap

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitIdle(t *testing.T) {
	ts := newTestServer(t)
	lib := ts.client(t)
	s, err := Open(context.Background(), ts.config(NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.HasIdle() {
		t.Fatal("imapmemserver offers IDLE, HasIdle says no")
	}

	appended := appendLater(t, lib, 200*time.Millisecond, []byte("Subject: new\r\n\r\nhello\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	idled, err := s.Wait(ctx, time.Hour)
	if err != nil || !idled {
		t.Fatalf("Wait: idled %v, %v; want IDLE and no error", idled, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Wait returned after %v", d)
	}
	uid := <-appended
	got := fetchAll(t, s, 0, 10, 0)
	if len(got) != 1 || got[0].UID != uid {
		t.Fatalf("after Wait fetched UIDs %v, want [%d]", messageUIDs(got), uid)
	}
}

// TestWaitCancelled ends IDLE cleanly: the session is still usable.
func TestWaitCancelled(t *testing.T) {
	ts := newTestServer(t)
	s, err := Open(context.Background(), ts.config(NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	idled, err := s.Wait(ctx, time.Hour)
	if !idled || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait: idled %v, %v; want IDLE and the context's error", idled, err)
	}
	if got := fetchAll(t, s, 0, 10, 0); len(got) != 0 {
		t.Fatalf("fetched %d messages from an empty INBOX", len(got))
	}
}

// TestWaitRestartsIdle: IDLE restarted (here every 50 ms instead of 25
// minutes) still sees new mail.
func TestWaitRestartsIdle(t *testing.T) {
	ts := newTestServer(t)
	lib := ts.client(t)
	s, err := Open(context.Background(), ts.config(NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.idleRestart = 50 * time.Millisecond
	appended := appendLater(t, lib, 300*time.Millisecond, []byte("Subject: later\r\n\r\nhello\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	idled, err := s.Wait(ctx, time.Hour)
	if err != nil || !idled {
		t.Fatalf("Wait: idled %v, %v", idled, err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("Wait returned after %v, before the mail arrived", d)
	}
	<-appended
}
