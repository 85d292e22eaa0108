package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/switchboard/switchboard/ent"
)

// The one way to write a transaction in Switchboard:
//
//	err := store.InTx(ctx, s.client, func(ctx context.Context) error {
//		c := store.Client(ctx, s.client) // the transaction's client
//		...
//	})
//
// The transaction travels in the context, as entgql's does for mutations
// (ent.TxFromContext, ent.FromContext); functions called inside take only
// ctx and find the client with Client. Nothing passes a client or a
// transaction as a parameter.

// TxAttempts is how many times InTx runs a transaction that keeps losing
// races before it gives up and returns the last error.
const TxAttempts = 5

// InTx runs fn in a transaction and commits it when fn returns nil. fn's
// context carries the transaction; Client(ctx, base) is its client, and
// commit hooks (the event log's) run after it commits.
//
// Called inside a transaction already (a GraphQL mutation's, or another
// InTx's), fn joins it: the owner of the outermost transaction commits and
// retries. The owner runs fn again, in a new transaction, when it failed
// only because it raced others (Conflict: serialization failures,
// deadlocks, a busy or locked SQLite database; or UniqueRace: two writers
// inserting the same unique key), at most TxAttempts times with a short
// jittered pause; fn must therefore have no effects outside the database.
func InTx(ctx context.Context, base *ent.Client, fn func(ctx context.Context) error) error {
	if ent.TxFromContext(ctx) != nil {
		return fn(ctx)
	}
	var err error
	for attempt := range TxAttempts {
		if attempt > 0 {
			pause := time.Duration(attempt)*5*time.Millisecond + rand.N(5*time.Millisecond)
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (after: %w)", ctx.Err(), err)
			case <-time.After(pause):
			}
		}
		err = runTx(ctx, base, fn)
		if err == nil || !(Conflict(err) || UniqueRace(err)) {
			return err
		}
	}
	return err
}

// runTx runs fn once in a new transaction.
func runTx(ctx context.Context, base *ent.Client, fn func(ctx context.Context) error) (err error) {
	tx, err := base.Tx(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	tctx := ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client())
	if err := fn(tctx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Client is the client of the transaction ctx carries, or base outside
// one.
func Client(ctx context.Context, base *ent.Client) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	return base
}
