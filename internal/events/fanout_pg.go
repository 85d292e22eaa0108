package events

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/switchboard/switchboard/internal/gid"
)

// Fan-out between instances on PostgreSQL. After a transaction that
// recorded events commits, the writing instance says which workspaces have
// new events, with pg_notify from outside the transaction (a NOTIFY inside
// it would make every writer's commit queue behind every other's on the
// notification lock); notices are coalesced, so a burst of commits sends
// one. The payload names workspaces, not contents:
//
//	e|<instance>|<workspace>[,<workspace>...]   events committed
//	s|<instance>|<signal JSON>                    an ephemeral signal
//
// Every instance LISTENs; on an event notice from another instance it wakes
// its durable consumers and the tails of those workspaces, which read the
// log. A notice is only a hint: a lost one (a crash between commit and
// notice, or the listener's connection lost and re-established) delays
// delivery until the tails' and consumers' periodic reads, and skips
// nothing. NOTIFY channels are database-wide, so instances of one
// deployment share a channel, and tests use a database each.

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type pgFanout struct {
	log      *Log
	channel  string
	instance string
	exec     execer

	mu    sync.Mutex
	dirty []gid.ID      // workspaces with commits not announced yet
	kick  chan struct{} // buffered, 1: dirty has workspaces
}

// maxNotifyPayload is below PostgreSQL's 8000-byte limit.
const maxNotifyPayload = 7900

// StartFanout connects this instance to the others through PostgreSQL
// LISTEN/NOTIFY on channel, until ctx ends. exec runs pg_notify for
// signals (outside any transaction). It returns once listening.
func (l *Log) StartFanout(ctx context.Context, dsn, channel string, exec execer) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	f := &pgFanout{log: l, channel: channel, instance: hex.EncodeToString(b), exec: exec, kick: make(chan struct{}, 1)}
	listener := pq.NewListener(dsn, 50*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			l.log.WarnContext(ctx, "event fan-out listener", "event", int(ev), "err", err)
		}
	})
	if err := listener.Listen(channel); err != nil {
		listener.Close()
		return fmt.Errorf("events: listen on %s: %w", channel, err)
	}
	l.fanout = f
	go f.run(ctx, listener)
	go f.announcer(ctx)
	return nil
}

// announce queues notices for workspaces whose events just committed; it
// never blocks the committing goroutine.
func (f *pgFanout) announce(workspaces []gid.ID) {
	f.mu.Lock()
	for _, ws := range workspaces {
		if !slices.Contains(f.dirty, ws) {
			f.dirty = append(f.dirty, ws)
		}
	}
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// announcer sends the queued notices, as few as fit, until ctx ends.
func (f *pgFanout) announcer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		}
		f.mu.Lock()
		dirty := f.dirty
		f.dirty = nil
		f.mu.Unlock()
		prefix := "e|" + f.instance + "|"
		for len(dirty) > 0 {
			payload := prefix + string(dirty[0])
			n := 1
			for n < len(dirty) && len(payload)+1+len(dirty[n]) <= maxNotifyPayload {
				payload += "," + string(dirty[n])
				n++
			}
			dirty = dirty[n:]
			if _, err := f.exec.ExecContext(ctx, "SELECT pg_notify($1, $2)", f.channel, payload); err != nil && ctx.Err() == nil {
				// The others read the log on their own soon (see above).
				f.log.log.WarnContext(ctx, "events: announcing commits to other instances", "err", err)
			}
		}
	}
}

func (f *pgFanout) signal(ctx context.Context, sig *Signal) error {
	raw, err := json.Marshal(sig)
	if err != nil {
		return err
	}
	payload := "s|" + f.instance + "|" + string(raw)
	if len(payload) > maxNotifyPayload {
		return fmt.Errorf("events: signal of %d bytes is too large to fan out", len(payload))
	}
	if _, err := f.exec.ExecContext(ctx, "SELECT pg_notify($1, $2)", f.channel, payload); err != nil {
		return fmt.Errorf("events: notify signal: %w", err)
	}
	return nil
}

func (f *pgFanout) run(ctx context.Context, listener *pq.Listener) {
	defer listener.Close()
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			go func() { _ = listener.Ping() }()
		case n := <-listener.Notify:
			if n == nil {
				// Reconnected: notices sent meanwhile are lost. Catch up.
				f.log.awaken()
				f.log.pokeTails()
				continue
			}
			f.receive(ctx, n.Extra)
		}
	}
}

func (f *pgFanout) receive(ctx context.Context, payload string) {
	kind, rest, _ := strings.Cut(payload, "|")
	from, rest, _ := strings.Cut(rest, "|")
	if from == f.instance {
		return // published locally already
	}
	switch kind {
	case "e":
		f.log.awaken() // durable consumers here may hold the lease
		for ws := range strings.SplitSeq(rest, ",") {
			f.log.pokeTail(gid.ID(ws))
		}
	case "s":
		var sig Signal
		if err := json.Unmarshal([]byte(rest), &sig); err == nil {
			sig.memo = newMemo()
			f.log.deliver(&sig)
		}
	}
}
