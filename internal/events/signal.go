package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/switchboard/switchboard/internal/gid"
)

// Signal sends an ephemeral signal to the workspace's signal subscribers on
// this instance and, through the fan-out, on every other instance.
func (l *Log) Signal(ctx context.Context, workspace gid.ID, kind string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("events: signal: %w", err)
	}
	sig := &Signal{WorkspaceID: workspace, Kind: kind, Data: raw, memo: newMemo()}
	l.deliver(sig)
	if l.fanout != nil {
		return l.fanout.signal(ctx, sig)
	}
	return nil
}

// SignalAfterCommit sends a signal once the transaction of ctx has
// committed (never if it rolls back; at once without a transaction). A
// failure to fan it out is logged: the change it announces is durable
// already.
func (l *Log) SignalAfterCommit(ctx context.Context, workspace gid.ID, kind string, data any) {
	ctx = context.WithoutCancel(ctx)
	l.AfterCommit(ctx, func() {
		if err := l.Signal(ctx, workspace, kind, data); err != nil {
			l.log.WarnContext(ctx, "events: signal", "kind", kind, "workspace_id", workspace, "err", err)
		}
	})
}

// OnSignal calls fn with every signal of kind, sent on this instance or
// received from another, besides handing it to the workspace's signal
// subscribers. fn runs on the sender's goroutine (or the fan-out's) and
// must not block. Register handlers before serving.
func (l *Log) OnSignal(kind string, fn func(*Signal)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handlers[kind] = append(l.handlers[kind], fn)
}

// deliver hands a signal, sent here or received, to this instance.
func (l *Log) deliver(sig *Signal) {
	l.signals.Publish(sig.WorkspaceID, sig)
	l.mu.Lock()
	handlers := l.handlers[sig.Kind]
	l.mu.Unlock()
	for _, fn := range handlers {
		fn(sig)
	}
}

// fanout carries events and signals to the other instances.
type fanout interface {
	// announce says that workspaces have new events, after their commit.
	announce(workspaces []gid.ID)
	signal(ctx context.Context, sig *Signal) error
}
