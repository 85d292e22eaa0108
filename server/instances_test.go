package server_test

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// twoInstances starts two servers on one PostgreSQL database.
func twoInstances(t *testing.T, tune ...testenv.Tuning) (a, b *testenv.Server) {
	db := testenv.OpenDB(t)
	if db.URL == "" {
		t.Skip("several instances need PostgreSQL (SWITCHBOARD_TEST_DATABASE_URL)")
	}
	a = testenv.NewTuned(t, db, tune)
	b = testenv.NewTuned(t, testenv.Reopen(t, db), tune, testenv.SameSecrets(a))
	return a, b
}

// TestFanoutBetweenInstances: a subscriber on instance A receives what
// instance B wrote.
func TestFanoutBetweenInstances(t *testing.T) {
	a, b := twoInstances(t)
	tok := a.AdminToken(t)
	conv := a.Conversation(t, tok)
	_, sub := subscribeMessages(t, a, tok, conv)
	for _, body := range []string{"from B 1", "from B 2"} {
		b.Send(t, tok, conv, body)
		var ev messageEvent
		sub.Next(t, &ev)
		if ev.MessageAdded.Message.Body != body {
			t.Fatalf("A's subscriber got %q, want %q", ev.MessageAdded.Message.Body, body)
		}
	}
}

// TestFanoutListenerLoss: when the listener's connection is killed, the
// instance reconnects and its subscribers miss nothing written meanwhile.
func TestFanoutListenerLoss(t *testing.T) {
	a, b := twoInstances(t)
	tok := a.AdminToken(t)
	conv := a.Conversation(t, tok)
	_, sub := subscribeMessages(t, a, tok, conv)
	// Kill every LISTEN connection: both instances' listeners.
	ctx := context.Background()
	res, err := a.App.DB.SQL.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'listen%'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("found no listener connection to kill")
	}
	want := []string{"while down 1", "while down 2", "while down 3"}
	for _, body := range want {
		b.Send(t, tok, conv, body)
	}
	for _, body := range want {
		var ev messageEvent
		sub.Next(t, &ev)
		if ev.MessageAdded.Message.Body != body {
			t.Fatalf("got %q, want %q", ev.MessageAdded.Message.Body, body)
		}
	}
}
