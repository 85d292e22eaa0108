package server_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestSubscriptionLeak opens and closes 1,000 subscriptions over ten
// connections; afterwards the broker and the registry of websockets are
// empty and the goroutines are back to where they were.
func TestSubscriptionLeak(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	baseline := runtime.NumGoroutine()
	for round := 0; round < 10; round++ {
		ws, err := s.DialWS(t, tok, testenv.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			ws.Subscribe(messageAdded, nil)
		}
		s.WaitSubscribers(t, 100)
		ws.Close()
		s.WaitSubscribers(t, 0)
	}
	s.WaitSockets(t, 0) // closed connections leave the registry
	if !testenv.Within(10*time.Second, func() bool { return runtime.NumGoroutine() <= baseline+5 }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d, baseline %d\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
	}
}

// TestSubscriptionCap: a connection holds at most 100 subscriptions.
func TestSubscriptionCap(t *testing.T) {
	s := testenv.New(t)
	ws, err := s.DialWS(t, s.AdminToken(t), testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		ws.Subscribe(messageAdded, nil)
	}
	s.WaitSubscribers(t, 100)
	extra := ws.Subscribe(messageAdded, nil)
	select {
	case m := <-extra.C:
		if m.Type != "next" || !containsCode(m.Payload, "RATE_LIMITED") {
			t.Fatalf("101st subscription got %s %s", m.Type, m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the 101st subscription was neither refused nor ended")
	}
}

// TestSlowSubscriber: a subscriber that stops reading delays neither the
// writer nor other subscribers and holds no buffer of its own; when it
// reads again it gets every event it missed, in order (from the tail's
// ring, or from the database once it is older than the ring).
func TestSlowSubscriber(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	conv := s.Conversation(t, tok)
	var v struct {
		Viewer struct{ Workspace struct{ ID string } }
	}
	s.MustDo(t, tok, `{ viewer { workspace { id } } }`, nil, &v)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow, err := s.App.Events.Stream(ctx, workspaceID(v.Viewer.Workspace.ID), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Stop()
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fast := ws.Subscribe(messageAdded, map[string]any{"c": conv})
	s.WaitSubscribers(t, 2)
	const n = 300
	for i := 0; i < n; i++ {
		s.Send(t, tok, conv, "m")
	}
	for i := 0; i < n; i++ {
		var ev messageEvent
		fast.Next(t, &ev)
	}
	got, last := 0, int64(0)
	for got < n {
		ev, err := slow.Next(ctx)
		if err != nil {
			t.Fatalf("the slow stream failed after %d messages: %v", got, err)
		}
		if ev.Seq <= last {
			t.Fatalf("position %d after %d", ev.Seq, last)
		}
		last = ev.Seq
		if ev.Type == events.MessageCreated {
			got++
		}
	}
}
