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
	l.signals.Publish(workspace, sig)
	if l.fanout != nil {
		return l.fanout.signal(ctx, sig)
	}
	return nil
}

// fanout carries events and signals to the other instances.
type fanout interface {
	// announce runs inside the writing transaction, just before commit.
	announce(ctx context.Context, tx execer, evs []*Event) error
	signal(ctx context.Context, sig *Signal) error
}
