// Package receivers runs the receivers of channels whose kinds fetch
// messages themselves (channels.Receiver: an IMAP mailbox, a polled API),
// each on exactly one instance at a time.
//
// Every instance runs a Runner. It looks for enabled channels of receiver
// kinds (every Scan, and at once when kicked) and tries to take each one's
// lease, a receiver_leases row taken and renewed by conditional updates,
// as durable consumers take theirs (internal/events/consumer.go): one
// instance wins. While it holds the lease it runs the adapter's Receive,
// renews the lease at a third of its length, restarts Receive with
// backoff when it fails, and stops it when the channel is disabled,
// changed (its settings or secrets: it starts again with the new ones) or
// deleted, when the lease is lost, or when the instance stops, releasing
// the lease so another instance need not wait for it to lapse. The lease
// row also carries the receiver's health, which Status reads for
// Channel.receiverStatus.
//
// A receiver delivers through a channels.Sink into the inbox's idempotent
// ingest and advances its checkpoint (in the channel's state) only after
// that commits, so a crash or a takeover re-fetches at most what was not
// yet checkpointed and stores it once.
package receivers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/ent/receiverlease"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/gid"
)

// DeliverFunc stores what a receiver fetched (inbox.Service.Deliver).
type DeliverFunc func(ctx context.Context, ch *ent.Channel, d *channels.Delivery) ([]channels.Stored, error)

// Options tune a Runner.
type Options struct {
	Lease      time.Duration // lease length; default 30 s
	Scan       time.Duration // how often to look for channels to run; default 5 s
	MinBackoff time.Duration // first restart delay after a failure; default 1 s
	MaxBackoff time.Duration // default 5 min
	Now        func() time.Time
	Log        *slog.Logger
}

// Runner runs this instance's share of the receivers.
type Runner struct {
	client  *ent.Client
	chans   *channelcfg.Service
	deliver DeliverFunc
	o       Options
	holder  string
	kick    chan struct{}

	mu      sync.Mutex
	running map[gid.ID]*run
	wg      sync.WaitGroup
}

// run is one channel's receiver on this instance.
type run struct {
	cancel  context.CancelFunc
	done    chan struct{}
	updated time.Time // the channel's updated_at when it started
}

// New returns a Runner.
func New(client *ent.Client, chans *channelcfg.Service, deliver DeliverFunc, o Options) *Runner {
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Scan <= 0 {
		o.Scan = 5 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Runner{client: client, chans: chans, deliver: deliver, o: o, holder: hex.EncodeToString(b),
		kick: make(chan struct{}, 1), running: map[gid.ID]*run{}}
}

// Kick makes the Runner look for channels to start or stop now (after a
// channel was enabled, disabled or changed on this instance; other
// instances notice within Scan).
func (r *Runner) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// kinds are the registered kinds whose adapters are receivers.
func (r *Runner) kinds() []string {
	var out []string
	for _, d := range r.chans.Kinds().Descriptions() {
		if r.HasReceiver(d.Kind) {
			out = append(out, d.Kind)
		}
	}
	return out
}

// Run runs receivers until ctx ends, then stops them and releases their
// leases.
func (r *Runner) Run(ctx context.Context) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	kinds := r.kinds()
	if len(kinds) == 0 {
		return // nothing to run, ever: no kind fetches by itself
	}
	defer r.stopAll()
	for ctx.Err() == nil {
		if err := r.scan(ctx, kinds); err != nil && ctx.Err() == nil {
			r.o.Log.WarnContext(ctx, "channel receivers: scan", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-r.kick:
		case <-time.After(r.o.Scan):
		}
	}
}

// scan stops receivers whose channel is gone, disabled or changed, and
// starts those of enabled channels whose lease this instance wins.
func (r *Runner) scan(ctx context.Context, kinds []string) error {
	chans, err := r.client.Channel.Query().Where(channel.KindIn(kinds...), channel.Enabled(true)).All(ctx)
	if err != nil {
		return err
	}
	enabled := make(map[gid.ID]*ent.Channel, len(chans))
	for _, ch := range chans {
		enabled[ch.ID] = ch
	}
	r.mu.Lock()
	var stale []*run
	for id, ru := range r.running {
		if ch, ok := enabled[id]; !ok || !ch.UpdatedAt.Equal(ru.updated) {
			stale = append(stale, ru)
			delete(r.running, id)
		}
	}
	r.mu.Unlock()
	for _, ru := range stale {
		ru.cancel()
		<-ru.done
	}
	for _, ch := range chans {
		r.mu.Lock()
		_, mine := r.running[ch.ID]
		r.mu.Unlock()
		if mine {
			continue
		}
		won, err := r.acquire(ctx, ch)
		if err != nil {
			return err
		}
		if won {
			r.start(ctx, ch)
		}
	}
	return nil
}

// acquire takes the channel's lease when it is free, lapsed or already
// ours: one conditional update (or the first insert), atomic on both
// databases, so two instances cannot both win.
func (r *Runner) acquire(ctx context.Context, ch *ent.Channel) (bool, error) {
	now := r.o.Now()
	n, err := r.client.ReceiverLease.Update().
		Where(receiverlease.ID(ch.ID), receiverlease.Or(receiverlease.Holder(r.holder), receiverlease.ExpiresAtLT(now))).
		SetHolder(r.holder).SetExpiresAt(now.Add(r.o.Lease)).SetState(receiverlease.StateRUNNING).
		Save(ctx)
	if err != nil {
		return false, fmt.Errorf("receivers: lease %s: %w", ch.ID, err)
	}
	if n > 0 {
		return true, nil
	}
	err = r.client.ReceiverLease.Create().SetID(ch.ID).SetWorkspaceID(ch.WorkspaceID).SetHolder(r.holder).
		SetExpiresAt(now.Add(r.o.Lease)).SetState(receiverlease.StateRUNNING).Exec(ctx)
	if ent.IsConstraintError(err) {
		return false, nil // another instance holds it
	}
	if err != nil {
		return false, fmt.Errorf("receivers: lease %s: %w", ch.ID, err)
	}
	return true, nil
}

func (r *Runner) start(ctx context.Context, ch *ent.Channel) {
	rctx, cancel := context.WithCancel(ctx)
	ru := &run{cancel: cancel, done: make(chan struct{}), updated: ch.UpdatedAt}
	r.mu.Lock()
	r.running[ch.ID] = ru
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(ru.done)
		r.hold(rctx, cancel, ch)
		r.mu.Lock()
		if r.running[ch.ID] == ru {
			delete(r.running, ch.ID)
		}
		r.mu.Unlock()
	}()
}

func (r *Runner) stopAll() {
	r.mu.Lock()
	for _, ru := range r.running {
		ru.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// errLeaseLost stops a receiver whose lease another instance took (or
// that could not be renewed in time).
var errLeaseLost = errors.New("receivers: lease lost")

// hold runs the channel's receiver while this instance holds its lease,
// renewing the lease, and restarting the receiver with backoff when it
// fails. When it stops for any reason but a lost lease it records
// STOPPED and releases the lease.
func (r *Runner) hold(ctx context.Context, cancel context.CancelFunc, ch *ent.Channel) {
	log := r.o.Log.With("channel_id", ch.ID, "kind", ch.Kind)
	lost := make(chan struct{})
	var loseOnce sync.Once
	lose := func() { loseOnce.Do(func() { close(lost); cancel() }) }
	var renewedAt atomic.Int64 // when the lease was last extended, by r.o.Now
	renewedAt.Store(r.o.Now().UnixNano())
	renewed := make(chan struct{})
	go func() { // the lease, renewed at a third of its length
		defer close(renewed)
		tick := time.NewTicker(r.o.Lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			at := r.o.Now()
			if err := r.renew(ctx, ch.ID); err != nil {
				if ctx.Err() == nil {
					log.WarnContext(ctx, "channel receiver: lease", "err", err)
				}
				lose() // stop before another instance may take it
				return
			}
			renewedAt.Store(at.UnixNano())
		}
	}()
	// A renewal that hangs (a stalled database) must not let the lease
	// lapse under a running receiver: with a third of the lease left and
	// no renewal, the receiver stops, before another instance may take it.
	watchdog := make(chan struct{})
	go func() {
		defer close(watchdog)
		tick := time.NewTicker(max(r.o.Lease/10, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if r.o.Now().Sub(time.Unix(0, renewedAt.Load())) > 2*r.o.Lease/3 {
				log.WarnContext(ctx, "channel receiver: its lease could not be renewed in time; stopping it")
				lose()
				return
			}
		}
	}()
	h := &health{r: r, id: ch.ID, log: log}
	sink := &sink{r: r, ch: ch, health: h}
	backoff := r.o.MinBackoff
	for ctx.Err() == nil {
		err := r.receive(ctx, ch, sink)
		if ctx.Err() != nil {
			break
		}
		if err == nil {
			err = errors.New("the receiver stopped on its own")
		}
		log.WarnContext(ctx, "channel receiver failed; restarting", "err", err, "after", backoff)
		h.failing(ctx, err)
		select {
		case <-ctx.Done():
		case <-time.After(jitter(backoff)):
		}
		if sink.delivered() {
			backoff = r.o.MinBackoff // it got somewhere before failing
		} else {
			backoff = min(2*backoff, r.o.MaxBackoff)
		}
	}
	cancel()
	<-renewed
	<-watchdog
	select {
	case <-lost:
		return // not ours to record anything on any more
	default:
	}
	r.release(ch.ID)
}

// receive runs the adapter's Receive once, turning a panic into an error.
func (r *Runner) receive(ctx context.Context, ch *ent.Channel, sink channels.Sink) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the receiver panicked: %v", p)
		}
	}()
	a, err := r.chans.Adapter(ch)
	if err != nil {
		return err
	}
	recv, ok := a.(channels.Receiver)
	if !ok {
		return fmt.Errorf("kind %s has no receiver", ch.Kind)
	}
	cfg, err := r.chans.Config(ch)
	if err != nil {
		return err
	}
	return recv.RunReceiver(ctx, cfg, sink)
}

// renew extends the lease while it is ours.
func (r *Runner) renew(ctx context.Context, id gid.ID) error {
	n, err := r.client.ReceiverLease.Update().
		Where(receiverlease.ID(id), receiverlease.Holder(r.holder)).
		SetExpiresAt(r.o.Now().Add(r.o.Lease)).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return errLeaseLost
	}
	return nil
}

// release records STOPPED and lets the lease go at once, if it is still
// ours (a new context: the receiver's ended).
func (r *Runner) release(id gid.ID) {
	ctx, cancel := context.WithTimeout(privacy.DecisionContext(context.Background(), privacy.Allow), 5*time.Second)
	defer cancel()
	err := r.client.ReceiverLease.Update().
		Where(receiverlease.ID(id), receiverlease.Holder(r.holder)).
		SetExpiresAt(r.o.Now()).SetState(receiverlease.StateSTOPPED).Exec(ctx)
	if err != nil {
		r.o.Log.WarnContext(ctx, "channel receiver: releasing its lease", "channel_id", id, "err", err)
	}
}

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
}

// sink is what a receiver delivers to.
type sink struct {
	r      *Runner
	ch     *ent.Channel
	health *health

	mu  sync.Mutex
	any bool // something was delivered since the last restart
}

func (s *sink) Deliver(ctx context.Context, d *channels.Delivery) ([]channels.Stored, error) {
	out, err := s.r.deliver(ctx, s.ch, d)
	if err == nil {
		s.mu.Lock()
		s.any = true
		s.mu.Unlock()
	}
	return out, err
}

func (s *sink) Healthy() { s.health.ok() }

// delivered reports, and forgets, whether anything was delivered.
func (s *sink) delivered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.any
	s.any = false
	return d
}

// health records a receiver's state on its lease row: RUNNING with the
// time it last reached its provider (written at most every
// healthyEvery, but at once when it was failing), or FAILING with the
// error.
type health struct {
	r   *Runner
	id  gid.ID
	log *slog.Logger

	mu      sync.Mutex
	failed  bool
	written time.Time
}

// healthyEvery bounds how often a receiver's successes are written.
const healthyEvery = 5 * time.Second

func (h *health) ok() {
	h.mu.Lock()
	now := h.r.o.Now()
	if !h.failed && !h.written.IsZero() && now.Sub(h.written) < healthyEvery {
		h.mu.Unlock()
		return
	}
	h.failed, h.written = false, now
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(privacy.DecisionContext(context.Background(), privacy.Allow), 5*time.Second)
	defer cancel()
	err := h.r.client.ReceiverLease.Update().Where(receiverlease.ID(h.id), receiverlease.Holder(h.r.holder)).
		SetState(receiverlease.StateRUNNING).SetLastSuccessAt(now).SetLastError("").Exec(ctx)
	if err != nil {
		h.log.WarnContext(ctx, "channel receiver: recording its health", "err", err)
	}
}

func (h *health) failing(ctx context.Context, cause error) {
	h.mu.Lock()
	h.failed = true
	h.mu.Unlock()
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	err := h.r.client.ReceiverLease.Update().Where(receiverlease.ID(h.id), receiverlease.Holder(h.r.holder)).
		SetState(receiverlease.StateFAILING).SetLastError(msg).Exec(ctx)
	if err != nil && ctx.Err() == nil {
		h.log.WarnContext(ctx, "channel receiver: recording its failure", "err", err)
	}
}

// Status is a receiver's health, for Channel.receiverStatus.
type Status struct {
	State         receiverlease.State
	LastError     string
	LastSuccessAt *time.Time
}

// noInstance is the error shown for an enabled channel whose lease lapsed
// without being released: the instance that ran it is gone, and none has
// taken it over yet.
const noInstance = "no instance is running the receiver (its last one stopped without releasing it)"

// Status reads the receivers' health of channels, in one query. A channel
// without a lease row is STOPPED; so is one whose lease lapsed, with an
// error saying no instance runs it.
func (r *Runner) Status(ctx context.Context, ids []gid.ID) (map[gid.ID]Status, error) {
	rows, err := r.client.ReceiverLease.Query().Where(receiverlease.IDIn(ids...)).All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return nil, err
	}
	out := make(map[gid.ID]Status, len(ids))
	for _, id := range ids {
		out[id] = Status{State: receiverlease.StateSTOPPED}
	}
	now := r.o.Now()
	for _, row := range rows {
		st := Status{State: row.State, LastError: row.LastError, LastSuccessAt: row.LastSuccessAt}
		if row.State != receiverlease.StateSTOPPED && row.ExpiresAt.Before(now) {
			st.State, st.LastError = receiverlease.StateSTOPPED, noInstance
		}
		out[row.ID] = st
	}
	return out, nil
}

// HasReceiver reports whether a kind's channels run a receiver.
func (r *Runner) HasReceiver(kind string) bool {
	a, ok := r.chans.Kinds().Lookup(kind)
	if !ok {
		return false
	}
	_, is := a.(channels.Receiver)
	return is
}

// Running reports whether this instance runs the channel's receiver now.
func (r *Runner) Running(id gid.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.running[id]
	return ok
}
