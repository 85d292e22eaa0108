package events_test

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/viewer"
)

// TestCause: an event's cause is what the context says (WithCause), else
// the actor; it is stored with the event and read back as it was.
func TestCause(t *testing.T) {
	s := testenv.New(t)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	ws := s.App.Client.Workspace.Query().FirstIDX(ctx)
	agent := &viewer.Actor{Kind: viewer.KindAgent, WorkspaceID: ws, AgentID: "agt_a", Role: viewer.RoleAgent}
	token := &viewer.Actor{Kind: viewer.KindAPIToken, WorkspaceID: ws, AgentID: "agt_a", TokenID: "tok_t", Role: viewer.RoleAgent}
	rule := events.Cause{Kind: events.CauseRule, ID: "aru_1"}
	cases := []struct {
		ctx  context.Context
		want events.Cause
	}{
		{viewer.NewContext(ctx, agent), events.Cause{Kind: events.CauseAgent, ID: "agt_a"}},
		{viewer.NewContext(ctx, token), events.Cause{Kind: events.CauseAPIToken, ID: "tok_t"}},
		{viewer.NewContext(ctx, viewer.System(ws)), events.Cause{Kind: events.CauseSystem}},
		{events.WithCause(viewer.NewContext(ctx, agent), rule), rule},
		{events.WithCause(viewer.NewContext(ctx, viewer.System(ws)), events.Cause{Kind: events.CauseRouting}), events.Cause{Kind: events.CauseRouting}},
	}
	settled, _, err := s.App.Events.Position(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		err := store.InTx(tc.ctx, s.App.Client, func(ctx context.Context) error {
			return s.App.Events.Record(ctx, events.Event{WorkspaceID: ws, Type: events.CustomerUpdated, CustomerID: gid.ID("cus_" + string(rune('a'+i)))})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []*events.Event
	testenv.Eventually(t, func() bool {
		got, err = s.App.Events.After(ctx, ws, settled, 100)
		return err == nil && len(got) == len(cases)
	}, "the events")
	for i, tc := range cases {
		if got[i].Cause != tc.want {
			t.Errorf("event %d: cause %+v, want %+v", i, got[i].Cause, tc.want)
		}
		if p := events.ParseCause(tc.want.String()); p != tc.want {
			t.Errorf("ParseCause(%q) = %+v", tc.want.String(), p)
		}
	}
}
