package channelcfg_test

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/channels/web"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/internal/access"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

func (e *env) setMembers(t *testing.T, id gid.ID, agents, teams []gid.ID) (*ent.Channel, error) {
	t.Helper()
	var ch *ent.Channel
	err := store.InTx(e.ctx, e.c, func(ctx context.Context) (err error) {
		ch, err = e.svc.SetMembers(ctx, id, agents, teams)
		return err
	})
	return ch, err
}

// sees returns the names of the channels agent me sees, sorted.
func (e *env) sees(t *testing.T, me gid.ID) []string {
	t.Helper()
	chs, err := e.c.Channel.Query().Where(access.Channels(me)).All(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range chs {
		names = append(names, ch.Name)
	}
	slices.Sort(names)
	return names
}

func TestMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mk := func(name, email string) *ent.Agent {
		return e.c.Agent.Create().SetName(name).SetEmail(email).SetPasswordHash("x").SaveX(e.ctx)
	}
	ann, bob, cat := mk("Ann", "ann@example.com"), mk("Bob", "bob@example.com"), mk("Cat", "cat@example.com")
	team := e.c.Team.Create().SetName("Billing").AddAgents(cat).SaveX(e.ctx)
	open := e.mustCreate(t, channelcfg.Input{Kind: web.Kind, Name: ptr("open")})
	direct := e.mustCreate(t, channelcfg.Input{Kind: web.Kind, Name: ptr("direct")})
	teamCh := e.mustCreate(t, channelcfg.Input{Kind: web.Kind, Name: ptr("team")})

	// Duplicates are stored once.
	ch, err := e.setMembers(t, direct.ID, []gid.ID{ann.ID, ann.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids := e.c.Channel.Query().Where(channel.ID(ch.ID)).QueryMemberAgents().IDsX(e.ctx); !slices.Equal(ids, []gid.ID{ann.ID}) {
		t.Fatalf("direct members = %v, want [%s]", ids, ann.ID)
	}
	if _, err := e.setMembers(t, teamCh.ID, nil, []gid.ID{team.ID}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		who  *ent.Agent
		want []string
	}{
		{ann, []string{"direct", "open"}}, // a member directly
		{bob, []string{"open"}},           // a member of nothing: channels without members only
		{cat, []string{"open", "team"}},   // a member through a team
	}
	for _, tt := range tests {
		if got := e.sees(t, tt.who.ID); !slices.Equal(got, tt.want) {
			t.Errorf("%s sees %v, want %v", tt.who.Name, got, tt.want)
		}
	}

	// Replacing the lists replaces them; empty lists make the channel every agent's.
	if _, err := e.setMembers(t, direct.ID, []gid.ID{bob.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.sees(t, ann.ID); !slices.Equal(got, []string{"open"}) {
		t.Errorf("after replacing members Ann sees %v", got)
	}
	if _, err := e.setMembers(t, teamCh.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.sees(t, bob.ID); !slices.Equal(got, []string{"direct", "open", "team"}) {
		t.Errorf("after clearing team's members Bob sees %v", got)
	}
	_ = open

	// Bounds.
	tooMany := make([]gid.ID, channelcfg.MaxMembers+1)
	for i := range tooMany {
		tooMany[i] = ann.ID
	}
	_, err = e.setMembers(t, direct.ID, tooMany, nil)
	wantInvalid(t, err, "agentIDs")
	_, err = e.setMembers(t, direct.ID, nil, tooMany)
	wantInvalid(t, err, "teamIDs")
	if _, err := e.setMembers(t, gid.New("Channel"), nil, nil); !ent.IsNotFound(err) && apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown channel: err = %v, want not found", err)
	}
}
