package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/automation"
	"github.com/switchboard/switchboard/internal/autoreply"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestWebhookStatementCount: the SQL statements one signed webhook costs,
// counted at the driver (BEGIN and COMMIT are not statements here): the
// channel's lookup, then in the ingest transaction at most 6 for a
// returning customer, the event log's rows included (5 on PostgreSQL: one
// lookup of sender, customer lock and duplicate; the open conversation;
// the message; the conversation's update; the events; SQLite takes one
// more for the event positions' counter). And the background work the
// messages cause (the routing and automation consumers reading the log
// and recording their positions, automation checking the workspace's rule
// version once per batch; no outbox query, since nothing was queued) at
// most 2 statements per event per consumer.
func TestWebhookStatementCount(t *testing.T) {
	// The pollers at their production intervals, so that what runs in the
	// background is what the messages cause.
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Delivery.Poll, o.TimerPoll, o.RoutingPoll, o.RoutingSweep = time.Minute, time.Minute, time.Minute, time.Minute
	}})
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	send := func(id, sender string) int64 {
		t.Helper()
		before := s.Statements.Load()
		if code, body := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload(id, sender, "hello")); code != http.StatusOK {
			t.Fatalf("webhook: %d %v", code, body)
		}
		return s.Statements.Load() - before
	}
	first := send("m-0", "dana")
	var returning int64
	for i := 1; i <= 3; i++ {
		returning = max(returning, send(fmt.Sprint("m-", i), "dana"))
	}
	t.Logf("statements: new customer %d, returning customer %d (each with the channel's lookup)", first, returning)
	if returning > 1+6 {
		t.Errorf("a returning customer's webhook cost %d statements, want at most 7", returning)
	}
	if first > 15 {
		t.Errorf("a new customer's webhook cost %d statements, want at most 15", first)
	}

	// Background work: let it settle, then send a burst and wait until the
	// durable consumers have handled all of it.
	consumers := []string{routing.ConsumerName, autoreply.ConsumerName, automation.ConsumerName}
	// (read around the counting driver, so the test's reads do not count)
	caughtUp := func() {
		t.Helper()
		testenv.EventuallyErr(t, func() error {
			var last, handled int64
			db := s.App.DB.SQL
			if err := db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&last); err != nil {
				return err
			}
			for _, name := range consumers {
				if err := db.QueryRow(`SELECT position FROM consumer_leases WHERE id = '` + name + `'`).Scan(&handled); err != nil {
					return err
				}
				if handled < last {
					return fmt.Errorf("%s has handled up to %d of %d", name, handled, last)
				}
			}
			return nil
		})
	}
	caughtUp()
	const burst = 50
	bg := s.Background.Load()
	for i := range burst {
		send(fmt.Sprint("burst-", i), "dana")
	}
	caughtUp()
	// Presence's heartbeat may run meanwhile: allow a few.
	used := s.Background.Load() - bg
	t.Logf("background statements for %d events: %d", burst, used)
	if used > int64(2*len(consumers)*burst+10) {
		t.Errorf("background work cost %d statements for %d events, want at most 2 each per durable consumer", used, burst)
	}
}
