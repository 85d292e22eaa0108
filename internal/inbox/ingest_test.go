package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/timers"
)

type fixture struct {
	ctx    context.Context
	client *ent.Client
	inbox  *inbox.Service
	ch     *ent.Channel
	cust   gid.ID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, c, db := testenv.Workspace(t)
	return &fixture{
		ctx: ctx, client: c,
		inbox: newInbox(c, db.URL != ""),
		ch:    c.Channel.Create().SetKind("web").SetName("Site").SetKey("site").SaveX(ctx),
		cust:  c.Customer.Create().SetName("Visitor").SaveX(ctx).ID,
	}
}

// newInbox wires an inbox as internal/app does, with the real services it
// depends on.
func newInbox(c *ent.Client, postgres bool) *inbox.Service {
	log := events.NewLog(c, events.Options{Postgres: postgres, Logger: slog.New(slog.DiscardHandler)})
	return inbox.New(c, inbox.Deps{
		Events:    log,
		Customers: customers.New(c, log, nil, postgres),
		Kinds:     app.Channels(),
		Timers:    timers.New(c, timers.Options{}),
	}, inbox.Options{Postgres: postgres})
}

// receiveFrom runs ReceiveFrom in a transaction of its own, as the visitor
// API's mutation does.
func (f *fixture) receiveFrom(t *testing.T, in channels.Inbound) (channels.Stored, error) {
	t.Helper()
	var st channels.Stored
	err := store.InTx(f.ctx, f.client, func(ctx context.Context) error {
		var err error
		st, err = f.inbox.ReceiveFrom(ctx, f.ch, f.cust, in, nil)
		return err
	})
	return st, err
}

// TestReceiveFromSanitizes: messages of known customers (the visitor API)
// are sanitized like webhook deliveries, after the body's own checks; a
// body that was nothing but NUL characters is refused as empty.
func TestReceiveFromSanitizes(t *testing.T) {
	f := newFixture(t)
	st, err := f.receiveFrom(t, channels.Inbound{ProviderMessageID: "visitor:v1:k\x00", Text: "hi\x00 there"})
	if err != nil {
		t.Fatal(err)
	}
	m := f.client.Message.GetX(f.ctx, gid.ID(st.MessageID))
	notes, _ := json.Marshal(m.Metadata["sanitized"])
	if m.Body != "hi there" || *m.ProviderMessageID != channels.Digest("visitor:v1:k\x00") ||
		string(notes) != `[{"action":"hashed","field":"messageID","length":13,"problem":"nul"},{"action":"cleaned","field":"text","length":9,"problem":"nul"}]` {
		t.Fatalf("stored %q %q %s", m.Body, *m.ProviderMessageID, notes)
	}
	again, err := f.receiveFrom(t, channels.Inbound{ProviderMessageID: "visitor:v1:k\x00", Text: "hi\x00 there"})
	if err != nil || !again.Duplicate || again.MessageID != st.MessageID {
		t.Fatalf("retry: %+v %v", again, err)
	}

	_, err = f.receiveFrom(t, channels.Inbound{Text: "\x00\x00"})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.InvalidInput || ae.Field != "body" {
		t.Fatalf("NUL-only body: %v", err)
	}
	if n := f.client.Message.Query().CountX(f.ctx); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
}

// TestIngestKeepsProviderMetadata: an adapter's extras are stored as the
// message's metadata, cleaned, next to ingest's notes.
func TestIngestKeepsProviderMetadata(t *testing.T) {
	f := newFixture(t)
	in := channels.Inbound{ProviderMessageID: "p1", Sender: channels.Sender{ExternalID: "u1"}, Text: "hi",
		Metadata: map[string]any{"segments": 2.0, "carrier": map[string]any{"name": "Tel\x00co"}}}
	st, err := f.inbox.Ingest(f.ctx, f.ch, []channels.Inbound{in})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(f.client.Message.GetX(f.ctx, gid.ID(st[0].MessageID)).Metadata)
	want := `{"carrier":{"name":"Telco"},"sanitized":[{"action":"cleaned","field":"metadata.carrier.name","length":6,"problem":"nul"}],"segments":2}`
	if string(got) != want {
		t.Fatalf("metadata =\n%s\nwant\n%s", got, want)
	}
	if in.Metadata["carrier"].(map[string]any)["name"] != "Tel\x00co" {
		t.Fatal("Ingest changed the adapter's map")
	}
	plain, err := f.inbox.Ingest(f.ctx, f.ch, []channels.Inbound{{ProviderMessageID: "p2", Sender: channels.Sender{ExternalID: "u1"}, Text: "ok"}})
	if err != nil {
		t.Fatal(err)
	}
	if md := f.client.Message.GetX(f.ctx, gid.ID(plain[0].MessageID)).Metadata; md != nil {
		t.Fatalf("a clean message without extras has metadata %v", md)
	}
}
