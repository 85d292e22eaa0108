package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/consumercheckpoint"
	"github.com/switchboard/switchboard/ent/consumerlease"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

// Durable consumers. A consumer (routing, automation, webhooks) reads the
// event log from a checkpoint it stores per workspace, hands each batch to
// its handler, and advances the checkpoint only after the handler
// succeeded: a crash between commit and handling replays the batch instead
// of losing it, so handlers must be idempotent (at-least-once delivery).
// Across instances, one instance at a time holds a consumer's lease; it
// renews the lease as it works, and another instance takes the consumer
// over once the lease lapses. Pruning never deletes events a registered
// consumer has not handled.

// Handler handles a batch of one workspace's events, in order.
type Handler func(ctx context.Context, evs []*Event) error

// Consumer describes a durable consumer.
type Consumer struct {
	Name   string
	Handle Handler
	Batch  int           // events per batch; default 100
	Lease  time.Duration // lease length; default 30 s
	Poll   time.Duration // how often an idle consumer looks for work; default 1 s
}

// errLeaseLost stops a consumer whose lease another instance took.
var errLeaseLost = errors.New("events: consumer lease lost")

// RunConsumer runs c whenever this call holds c's lease, until ctx ends.
func (l *Log) RunConsumer(ctx context.Context, c Consumer) {
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	holder := hex.EncodeToString(b)
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	for ctx.Err() == nil {
		wake := l.Activity()
		held, err := l.acquire(ctx, c, holder)
		progressed := false
		if err == nil && held {
			progressed, err = l.consume(ctx, c, holder)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, errLeaseLost) {
			l.log.ErrorContext(ctx, "durable consumer", "consumer", c.Name, "err", err)
		}
		if progressed && err == nil {
			continue
		}
		wait := c.Poll
		if !held {
			wait = c.Lease / 3
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(wait):
		}
	}
}

// acquire takes or renews the lease: it succeeds when the lease is free,
// lapsed, or already ours. The conditional update is atomic on both
// databases, so two instances cannot both win.
func (l *Log) acquire(ctx context.Context, c Consumer, holder string) (bool, error) {
	now := l.now()
	n, err := l.client.ConsumerLease.Update().
		Where(consumerlease.ID(c.Name), consumerlease.Or(consumerlease.Holder(holder), consumerlease.ExpiresAtLT(now))).
		SetHolder(holder).SetExpiresAt(now.Add(c.Lease)).
		Save(ctx)
	if err != nil {
		return false, fmt.Errorf("events: lease %s: %w", c.Name, err)
	}
	if n == 1 {
		return true, nil
	}
	err = l.client.ConsumerLease.Create().SetID(c.Name).SetHolder(holder).SetExpiresAt(now.Add(c.Lease)).Exec(ctx)
	if ent.IsConstraintError(err) {
		return false, nil // someone else holds it
	}
	if err != nil {
		return false, fmt.Errorf("events: lease %s: %w", c.Name, err)
	}
	return true, nil
}

// consume handles one batch of every workspace with unhandled events.
func (l *Log) consume(ctx context.Context, c Consumer, holder string) (bool, error) {
	seqs, err := l.client.EventSequence.Query().All(ctx)
	if err != nil {
		return false, fmt.Errorf("events: consumer %s: %w", c.Name, err)
	}
	cps, err := l.client.ConsumerCheckpoint.Query().Where(consumercheckpoint.Consumer(c.Name)).All(ctx)
	if err != nil {
		return false, fmt.Errorf("events: consumer %s: %w", c.Name, err)
	}
	done := make(map[gid.ID]int64, len(cps))
	for _, cp := range cps {
		done[cp.WorkspaceID] = cp.Seq
	}
	progressed := false
	for _, s := range seqs {
		if s.LastSeq <= done[s.ID] {
			continue
		}
		evs, err := l.After(ctx, s.ID, done[s.ID], c.Batch)
		if err != nil {
			return progressed, err
		}
		if len(evs) == 0 {
			continue
		}
		if err := c.Handle(ctx, evs); err != nil {
			return progressed, fmt.Errorf("events: consumer %s: handler: %w", c.Name, err)
		}
		if err := l.checkpoint(ctx, c, holder, s.ID, evs[len(evs)-1].Seq); err != nil {
			return progressed, err
		}
		progressed = true
	}
	return progressed, nil
}

// checkpoint records progress, and renews the lease, in one transaction
// that fails if the lease is no longer ours.
func (l *Log) checkpoint(ctx context.Context, c Consumer, holder string, ws gid.ID, seq int64) error {
	// A lost lease (errLeaseLost) is not retried; a conflict is, and is
	// harmless: both writes are idempotent.
	return store.InTx(ctx, l.client, func(ctx context.Context) error {
		tc := store.Client(ctx, l.client)
		now := l.now()
		n, err := tc.ConsumerLease.Update().
			Where(consumerlease.ID(c.Name), consumerlease.Holder(holder)).
			SetExpiresAt(now.Add(c.Lease)).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errLeaseLost
		}
		return tc.ConsumerCheckpoint.Create().SetConsumer(c.Name).SetWorkspaceID(ws).SetSeq(seq).SetUpdatedAt(now).
			OnConflictColumns(consumercheckpoint.FieldConsumer, consumercheckpoint.FieldWorkspaceID).
			UpdateSeq().UpdateUpdatedAt().Exec(ctx)
	})
}

// prunable returns, per workspace, the highest position every registered
// consumer has handled (a consumer is registered once it has taken its
// lease; delete its lease row to retire it).
//
// A consumer that has not run for longer than the retention (its lease
// lapsed before olderThan) holds nothing back: an instance set that no
// longer runs it (SWITCHBOARD_ROUTING=off everywhere) must not stop
// pruning for good. When it runs again it goes on from what is left.
func (l *Log) prunable(ctx context.Context, olderThan time.Time) (map[gid.ID]int64, []string, error) {
	names, err := l.client.ConsumerLease.Query().
		Where(consumerlease.Or(consumerlease.ExpiresAtGT(olderThan), consumerlease.ExpiresAtGT(l.now()))).
		IDs(ctx)
	if err != nil || len(names) == 0 {
		return nil, names, err
	}
	cps, err := l.client.ConsumerCheckpoint.Query().Where(consumercheckpoint.ConsumerIn(names...)).All(ctx)
	if err != nil {
		return nil, names, err
	}
	per := map[gid.ID]map[string]int64{}
	for _, cp := range cps {
		if per[cp.WorkspaceID] == nil {
			per[cp.WorkspaceID] = map[string]int64{}
		}
		per[cp.WorkspaceID][cp.Consumer] = cp.Seq
	}
	out := map[gid.ID]int64{}
	for ws, m := range per {
		low := int64(-1)
		for _, n := range names {
			seq := m[n] // 0 when that consumer has not started on ws
			if low < 0 || seq < low {
				low = seq
			}
		}
		out[ws] = low
	}
	return out, names, nil
}
