package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/consumerlease"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Durable consumers. A consumer (routing, automation, webhooks) reads the
// event log in position order from the position it stores in its lease row
// (every workspace's events, settled ones only; see positions.go), hands
// each workspace's share of a batch to its handler, and advances the
// position only after the handler succeeded: a crash between commit and
// handling replays the batch instead of losing it, so handlers must be
// idempotent (at-least-once delivery). Across instances, one instance at a
// time holds a consumer's lease; it renews the lease as it works, and
// another instance takes the consumer over once the lease lapses. Pruning
// never deletes events a registered consumer has not handled.

// Handler handles a batch of one workspace's events, in order, with that
// workspace's system actor in the context (viewer.System): ent privacy
// confines what it reads and writes to the workspace.
type Handler func(ctx context.Context, evs []*Event) error

// Consumer describes a durable consumer.
type Consumer struct {
	Name   string
	Handle Handler
	Batch  int           // events per batch; default 100
	Lease  time.Duration // lease length; default 30 s
	Poll   time.Duration // how often an idle consumer looks for work; default 1 s
	// Coalesce: woken by a commit, an idle consumer waits this long
	// before it reads, so that a burst of commits is one read and one
	// batch rather than one each (a consumer that may lag a little, to
	// cost less); default 0, at once.
	Coalesce time.Duration
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
	r := &consumerRun{log: l, c: c, holder: hex.EncodeToString(b), base: ctx}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	defer r.flush(ctx)
	for ctx.Err() == nil {
		wake := l.Activity()
		handled, err := r.step(ctx)
		if err != nil && ctx.Err() == nil && !errors.Is(err, errLeaseLost) {
			l.log.ErrorContext(ctx, "durable consumer", "consumer", c.Name, "err", err)
		}
		if err != nil {
			r.flush(ctx)
			r.held = false // take the lease (and the position) afresh
		}
		if handled == c.Batch && err == nil {
			continue // more may be waiting; a shorter batch was all there was
		}
		wait := c.Poll
		if !r.held {
			wait = c.Lease / 3
		} else {
			if r.pos != r.saved {
				wait = min(wait, max(r.savedAt.Add(checkpointEvery).Sub(l.now()), time.Millisecond))
			}
			if r.unsettled {
				wait = min(wait, settleRetry)
			}
		}
		select {
		case <-ctx.Done():
		case <-wake:
			if c.Coalesce > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(c.Coalesce):
				}
			}
		case <-time.After(wait):
		}
	}
}

// consumerRun is one RunConsumer's state: while it holds the lease, nobody
// else moves the position, so it is kept here between batches.
type consumerRun struct {
	// base is RunConsumer's context without its own privacy decision:
	// handlers get it with their workspace's system actor, so everything
	// they read and write is confined to that workspace.
	base    context.Context
	log     *Log
	c       Consumer
	holder  string
	held    bool
	until   time.Time // the lease's expiry as last set
	pos     int64     // handled up to here
	saved   int64     // the position as stored
	savedAt time.Time
	// unsettled: the last read found committed events that were not
	// settled yet; RunConsumer looks again soon, not at the next commit
	// or poll.
	unsettled bool
}

// settleRetry is how soon a consumer reads again after finding committed
// events that were not settled yet.
const settleRetry = 5 * time.Millisecond

// checkpointEvery is how often a consumer stores its position while it
// works (and when it stops): a crash re-handles at most that much.
const checkpointEvery = time.Second

// step takes or renews the lease when needed and handles one batch; it
// returns how many events it handled.
func (r *consumerRun) step(ctx context.Context) (int, error) {
	if !r.held || r.log.now().After(r.until.Add(-2*r.c.Lease/3)) {
		held, err := r.acquire(ctx)
		if err != nil || !held {
			r.held = false
			return 0, err
		}
		r.held = true
	}
	return r.consume(ctx)
}

// acquire takes or renews the lease: it succeeds when the lease is free,
// lapsed, or already ours. The conditional update is atomic on both
// databases, so two instances cannot both win. Taking it (not renewing)
// loads the position.
func (r *consumerRun) acquire(ctx context.Context) (bool, error) {
	l, c := r.log, r.c
	now := l.now()
	n, err := l.client.ConsumerLease.Update().
		Where(consumerlease.ID(c.Name), consumerlease.Or(consumerlease.Holder(r.holder), consumerlease.ExpiresAtLT(now))).
		SetHolder(r.holder).SetExpiresAt(now.Add(c.Lease)).
		Save(ctx)
	if err != nil {
		return false, fmt.Errorf("events: lease %s: %w", c.Name, err)
	}
	if n == 0 {
		err = l.client.ConsumerLease.Create().SetID(c.Name).SetHolder(r.holder).SetExpiresAt(now.Add(c.Lease)).Exec(ctx)
		if ent.IsConstraintError(err) {
			return false, nil // someone else holds it
		}
		if err != nil {
			return false, fmt.Errorf("events: lease %s: %w", c.Name, err)
		}
	}
	r.until = now.Add(c.Lease)
	if !r.held {
		lease, err := l.client.ConsumerLease.Get(ctx, c.Name)
		if err != nil {
			return false, fmt.Errorf("events: lease %s: %w", c.Name, err)
		}
		if lease.Holder != r.holder {
			return false, nil
		}
		r.pos, r.saved, r.savedAt = lease.Position, lease.Position, now
	}
	return true, nil
}

// consume handles the next batch of settled events, each workspace's in
// order, then records the new position.
func (r *consumerRun) consume(ctx context.Context) (int, error) {
	l, c := r.log, r.c
	evs, more, err := l.read(ctx, "", r.pos, c.Batch)
	if err != nil {
		return 0, err
	}
	r.unsettled = more && len(evs) < c.Batch
	if len(evs) == 0 {
		if r.pos != r.saved && l.now().Sub(r.savedAt) >= checkpointEvery {
			return 0, r.checkpoint(ctx, r.pos)
		}
		return 0, nil
	}
	var order []gid.ID
	by := map[gid.ID][]*Event{}
	for _, ev := range evs {
		if by[ev.WorkspaceID] == nil {
			order = append(order, ev.WorkspaceID)
		}
		by[ev.WorkspaceID] = append(by[ev.WorkspaceID], ev)
	}
	for _, ws := range order {
		if err := c.Handle(viewer.NewContext(r.base, viewer.System(ws)), by[ws]); err != nil {
			return 0, fmt.Errorf("events: consumer %s: handler: %w", c.Name, err)
		}
	}
	r.pos = evs[len(evs)-1].Seq
	if l.now().Sub(r.savedAt) >= checkpointEvery {
		if err := r.checkpoint(ctx, r.pos); err != nil {
			return 0, err
		}
	}
	return len(evs), nil
}

// flush stores the position handled since the last checkpoint, when the
// consumer stops.
func (r *consumerRun) flush(ctx context.Context) {
	if !r.held || r.pos == r.saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.checkpoint(ctx, r.pos); err != nil && !errors.Is(err, errLeaseLost) {
		r.log.log.WarnContext(ctx, "durable consumer: storing its position", "consumer", r.c.Name, "err", err)
	}
}

// checkpoint records progress and renews the lease in one conditional
// update, which fails if the lease is no longer ours.
func (r *consumerRun) checkpoint(ctx context.Context, pos int64) error {
	l, c := r.log, r.c
	now := l.now()
	n, err := l.client.ConsumerLease.Update().
		Where(consumerlease.ID(c.Name), consumerlease.Holder(r.holder)).
		SetExpiresAt(now.Add(c.Lease)).SetPosition(pos).Save(ctx)
	if err != nil {
		return fmt.Errorf("events: consumer %s: checkpoint: %w", c.Name, err)
	}
	if n == 0 {
		return errLeaseLost
	}
	r.saved, r.savedAt, r.until = pos, now, now.Add(c.Lease)
	return nil
}

// prunable returns the highest position every registered consumer has
// handled, and whether any is registered (a consumer is registered once
// it has taken its lease; delete its lease row to retire it).
//
// A consumer that has not run for longer than the retention (its lease
// lapsed before olderThan) holds nothing back: an instance set that no
// longer runs it (SWITCHBOARD_ROUTING=off everywhere) must not stop
// pruning for good. When it runs again it goes on from what is left.
func (l *Log) prunable(ctx context.Context, olderThan time.Time) (int64, bool, error) {
	leases, err := l.client.ConsumerLease.Query().
		Where(consumerlease.Or(consumerlease.ExpiresAtGT(olderThan), consumerlease.ExpiresAtGT(l.now()))).
		All(ctx)
	if err != nil || len(leases) == 0 {
		return 0, false, err
	}
	low := leases[0].Position
	for _, c := range leases[1:] {
		low = min(low, c.Position)
	}
	return low, true, nil
}
