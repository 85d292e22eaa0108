package events

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/switchboard/switchboard/internal/gid"
)

// Fan-out between instances on PostgreSQL. The writing transaction issues
// pg_notify just before it commits (PostgreSQL delivers it at commit, and
// drops it on rollback); the payload names positions, not contents:
//
//	e|<instance>|<workspace>|<first>|<last>   events committed
//	s|<instance>|<signal JSON>                 an ephemeral signal
//
// Every instance LISTENs; on an event notice from another instance it reads
// those events from the log once and hands them to its broker. After the
// listener's connection is lost and re-established, notices may have been
// missed, so every stream with subscribers here catches up from the log:
// nothing is skipped. NOTIFY channels are database-wide, so instances of
// one deployment share a channel, and tests use a database each.

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type pgFanout struct {
	log      *Log
	channel  string
	instance string
	exec     execer
}

// maxNotifyPayload is below PostgreSQL's 8000-byte limit.
const maxNotifyPayload = 7900

// StartFanout connects this instance to the others through PostgreSQL
// LISTEN/NOTIFY on channel, until ctx ends. exec runs pg_notify for
// signals (outside any transaction). It returns once listening.
func (l *Log) StartFanout(ctx context.Context, dsn, channel string, exec execer) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	f := &pgFanout{log: l, channel: channel, instance: hex.EncodeToString(b), exec: exec}
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
	return nil
}

func (f *pgFanout) announce(ctx context.Context, tx execer, evs []*Event) error {
	for i := 0; i < len(evs); {
		j := i
		for j+1 < len(evs) && evs[j+1].WorkspaceID == evs[i].WorkspaceID {
			j++
		}
		payload := fmt.Sprintf("e|%s|%s|%d|%d", f.instance, evs[i].WorkspaceID, evs[i].Seq, evs[j].Seq)
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", f.channel, payload); err != nil {
			return fmt.Errorf("events: notify: %w", err)
		}
		i = j + 1
	}
	return nil
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
				for _, ws := range f.log.broker.Workspaces() {
					f.log.nudge(ws)
				}
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
		parts := strings.Split(rest, "|")
		if len(parts) != 3 {
			return
		}
		ws := gid.ID(parts[0])
		first, err1 := strconv.ParseInt(parts[1], 10, 64)
		last, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil || last < first {
			return
		}
		f.log.awaken() // durable consumers here may hold the lease
		if !f.log.broker.HasSubscribers(ws) {
			return
		}
		evs, err := f.log.After(ctx, ws, first-1, int(last-first+1))
		if err != nil {
			f.log.log.WarnContext(ctx, "event fan-out: reading the log", "err", err)
			f.log.nudge(ws)
			return
		}
		f.log.broker.Publish(ws, evs...)
	case "s":
		var sig Signal
		if err := json.Unmarshal([]byte(rest), &sig); err == nil {
			sig.memo = newMemo()
			f.log.deliver(&sig)
		}
	}
}
