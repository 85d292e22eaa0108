// Package customers manages who the business talks to across channels:
// identities (normalised, verified or claimed), typed custom attributes,
// automatic and manual merges and their undoing, and duplicate
// suggestions.
//
// Every function takes the ent client of the caller's transaction, so a
// change and the events it implies commit together.
package customers

import (
	"context"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// Service runs customer operations.
type Service struct {
	client   *ent.Client
	events   *events.Log
	now      func() time.Time
	lockRows bool // SELECT ... FOR UPDATE (PostgreSQL)
}

// db is the client of the transaction ctx carries, or the base client.
func (s *Service) db(ctx context.Context) *ent.Client { return store.Client(ctx, s.client) }

// New returns a Service; now defaults to time.Now. lockRows is true on
// PostgreSQL, where merges lock both customers' rows (SQLite transactions
// are serial already).
func New(client *ent.Client, log *events.Log, now func() time.Time, lockRows bool) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, events: log, now: now, lockRows: lockRows}
}
