package inbox_test

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// agentNamed stores an active ONLINE agent of the fixture's workspace.
func (f *fixture) agentNamed(t *testing.T, name string, role agent.Role, capacity int) *ent.Agent {
	t.Helper()
	return f.client.Agent.Create().SetName(name).SetEmail(name + "@example.com").SetPasswordHash("x").
		SetRole(role).SetStatus(agent.StatusONLINE).SetCapacity(capacity).SaveX(f.ctx)
}

// as is the fixture's context acting as ag.
func (f *fixture) as(ag *ent.Agent) context.Context {
	ws := viewer.FromContext(f.ctx).WorkspaceID
	return viewer.NewContext(f.ctx, &viewer.Actor{Kind: viewer.KindAgent, WorkspaceID: ws, AgentID: ag.ID, Role: viewer.Role(ag.Role)})
}

// waiting stores an unassigned conversation with status st.
func (f *fixture) waiting(st conversation.Status) gid.ID {
	return f.client.Conversation.Create().SetCustomerID(f.cust).SetChannelID(f.ch.ID).SetStatus(st).SaveX(f.ctx).ID
}

func (f *fixture) load(ag *ent.Agent) int { return f.client.Agent.GetX(f.ctx, ag.ID).Load }

// inTx runs fn in a transaction, as the GraphQL mutation does.
func (f *fixture) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return store.InTx(ctx, f.client, fn)
}

// TestTakeRules: an agent takes a waiting OPEN or PENDING conversation
// within their capacity (their load rises by one); taking their own again
// changes nothing; one assigned to someone else, one that does not wait
// (RESOLVED, SNOOZED) or one beyond capacity is a CONFLICT and changes
// nothing; an API token may not take.
func TestTakeRules(t *testing.T) {
	f := newFixture(t)
	ann := f.agentNamed(t, "ann", agent.RoleAGENT, 1)
	bob := f.agentNamed(t, "bob", agent.RoleAGENT, 5)
	take := func(ctx context.Context, id gid.ID) error {
		return f.inTx(ctx, func(ctx context.Context) error { _, err := f.inbox.Take(ctx, id); return err })
	}

	first := f.waiting(conversation.StatusPENDING)
	if err := take(f.as(ann), first); err != nil {
		t.Fatalf("take a waiting PENDING conversation: %v", err)
	}
	if got := f.client.Conversation.GetX(f.ctx, first).AssigneeID; got == nil || *got != ann.ID || f.load(ann) != 1 {
		t.Fatalf("after take: assignee %v, load %d; want ann and 1", got, f.load(ann))
	}
	if err := take(f.as(ann), first); err != nil || f.load(ann) != 1 {
		t.Fatalf("taking one's own again: err %v, load %d; want nil and 1", err, f.load(ann))
	}

	cases := []struct {
		name string
		ctx  context.Context
		conv gid.ID
		code apperr.Code
	}{
		{"someone else's", f.as(bob), first, apperr.Conflict},
		{"resolved", f.as(bob), f.waiting(conversation.StatusRESOLVED), apperr.Conflict},
		{"snoozed", f.as(bob), f.waiting(conversation.StatusSNOOZED), apperr.Conflict},
		{"beyond capacity", f.as(ann), f.waiting(conversation.StatusOPEN), apperr.Conflict},
		{"by an API token", viewer.NewContext(f.ctx, &viewer.Actor{Kind: viewer.KindAPIToken, WorkspaceID: viewer.FromContext(f.ctx).WorkspaceID, AgentID: bob.ID, Role: viewer.RoleAdmin}), f.waiting(conversation.StatusOPEN), apperr.Forbidden},
	}
	for _, tc := range cases {
		err := take(tc.ctx, tc.conv)
		if apperr.CodeOf(err) != tc.code {
			t.Errorf("%s: err %v, want %s", tc.name, err, tc.code)
		}
		if tc.conv != first && f.client.Conversation.GetX(f.ctx, tc.conv).AssigneeID != nil {
			t.Errorf("%s: the conversation was assigned anyway", tc.name)
		}
	}
	if f.load(ann) != 1 || f.load(bob) != 0 {
		t.Fatalf("loads after refusals: ann %d, bob %d; want 1 and 0", f.load(ann), f.load(bob))
	}
}

// TestTransferRules: a transfer names exactly one of agent and team; an
// agent hands over only to someone with room (a supervisor may go beyond
// capacity); the conversation's load moves with it; a transfer to a team
// unassigns it.
func TestTransferRules(t *testing.T) {
	f := newFixture(t)
	ann := f.agentNamed(t, "ann", agent.RoleAGENT, 5)
	full := f.agentNamed(t, "full", agent.RoleAGENT, 0)
	sue := f.agentNamed(t, "sue", agent.RoleSUPERVISOR, 5)
	team := f.client.Team.Create().SetName("Billing").SaveX(f.ctx)
	conv := f.waiting(conversation.StatusOPEN)
	transfer := func(ctx context.Context, agentID, teamID *gid.ID) error {
		return f.inTx(ctx, func(ctx context.Context) error {
			_, err := f.inbox.Transfer(ctx, conv, agentID, teamID, "over to you")
			return err
		})
	}
	if err := f.inTx(f.as(ann), func(ctx context.Context) error { _, err := f.inbox.Take(ctx, conv); return err }); err != nil {
		t.Fatal(err)
	}

	if err := transfer(f.as(ann), nil, nil); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Errorf("neither agent nor team: err %v, want %s", err, apperr.InvalidInput)
	}
	if err := transfer(f.as(ann), &full.ID, &team.ID); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Errorf("both agent and team: err %v, want %s", err, apperr.InvalidInput)
	}
	if err := transfer(f.as(ann), &full.ID, nil); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("an agent to a full agent: err %v, want %s", err, apperr.Conflict)
	}
	if f.load(ann) != 1 || f.load(full) != 0 {
		t.Fatalf("a refused transfer moved load: ann %d, full %d", f.load(ann), f.load(full))
	}
	if err := transfer(f.as(sue), &full.ID, nil); err != nil {
		t.Fatalf("a supervisor beyond capacity: %v", err)
	}
	if got := f.client.Conversation.GetX(f.ctx, conv).AssigneeID; got == nil || *got != full.ID || f.load(ann) != 0 || f.load(full) != 1 {
		t.Fatalf("after the supervisor's transfer: assignee %v, loads ann %d full %d; want full, 0, 1", got, f.load(ann), f.load(full))
	}
	if err := transfer(f.as(sue), nil, &team.ID); err != nil {
		t.Fatal(err)
	}
	got := f.client.Conversation.GetX(f.ctx, conv)
	if got.AssigneeID != nil || got.TeamID == nil || *got.TeamID != team.ID || f.load(full) != 0 {
		t.Fatalf("after a transfer to a team: assignee %v, team %v, load %d; want none, Billing, 0", got.AssigneeID, got.TeamID, f.load(full))
	}
}

// TestStatusMovesLoad: only OPEN and PENDING conversations count toward
// their assignee's load: resolving or snoozing gives the place back,
// reopening takes it again.
func TestStatusMovesLoad(t *testing.T) {
	f := newFixture(t)
	ann := f.agentNamed(t, "ann", agent.RoleAGENT, 5)
	conv := f.waiting(conversation.StatusOPEN)
	if err := f.inTx(f.as(ann), func(ctx context.Context) error { _, err := f.inbox.Take(ctx, conv); return err }); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		status conversation.Status
		load   int
	}{
		{conversation.StatusPENDING, 1},
		{conversation.StatusRESOLVED, 0},
		{conversation.StatusOPEN, 1},
		{conversation.StatusRESOLVED, 0},
	}
	for _, st := range steps {
		err := f.inTx(f.as(ann), func(ctx context.Context) error {
			_, err := f.inbox.SetStatus(ctx, conv, st.status, nil)
			return err
		})
		if err != nil {
			t.Fatalf("to %s: %v", st.status, err)
		}
		if got := f.load(ann); got != st.load {
			t.Fatalf("after %s: load %d, want %d", st.status, got, st.load)
		}
	}
}
