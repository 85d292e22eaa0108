package events_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestSignalAfterCommit: a signal sent after commit reaches the handlers
// of its kind once the transaction commits, never when it rolls back, and
// at once without a transaction; other kinds do not reach them.
func TestSignalAfterCommit(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	ws := s.App.Client.Workspace.Query().FirstIDX(ctx)
	log := s.App.Events
	var got []string
	log.OnSignal("test.kind", func(sig *events.Signal) {
		var v string
		if err := json.Unmarshal(sig.Data, &v); err != nil || sig.WorkspaceID != ws {
			t.Errorf("handler got %+v", sig)
		}
		got = append(got, v)
	})

	for _, commit := range []bool{false, true} {
		tx, err := s.App.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		txCtx := ent.NewTxContext(ctx, tx)
		log.SignalAfterCommit(txCtx, ws, "test.kind", map[bool]string{false: "rolled back", true: "committed"}[commit])
		log.SignalAfterCommit(txCtx, ws, "other.kind", "elsewhere")
		if len(got) != 0 {
			t.Fatalf("signalled before the transaction ended: %v", got)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	log.SignalAfterCommit(ctx, ws, "test.kind", "no transaction")
	if len(got) != 2 || got[0] != "committed" || got[1] != "no transaction" {
		t.Fatalf("handler got %v, want [committed no transaction]", got)
	}
}
