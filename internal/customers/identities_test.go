package customers_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/viewer"
)

// fixture is one workspace's database and its customers service, wired as
// internal/app does.
type fixture struct {
	ctx context.Context // the workspace's system actor
	c   *ent.Client
	svc *customers.Service
	ws  gid.ID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, c, db := testenv.Workspace(t)
	log := events.NewLog(c, events.Options{Postgres: db.URL != "", Logger: slog.New(slog.DiscardHandler)})
	return &fixture{
		ctx: ctx, c: c,
		svc: customers.New(c, log, nil, db.URL != ""),
		ws:  viewer.FromContext(ctx).WorkspaceID,
	}
}

// tx runs fn in a transaction of its own, as a mutation does.
func (f *fixture) tx(t *testing.T, fn func(ctx context.Context) error) error {
	t.Helper()
	return store.InTx(f.ctx, f.c, fn)
}

// as returns the fixture's context with another actor of its workspace.
func (f *fixture) as(kind viewer.Kind, scopes ...viewer.Scope) context.Context {
	a := &viewer.Actor{Kind: kind, WorkspaceID: f.ws, Role: viewer.RoleAdmin, Scopes: scopes}
	if kind == viewer.KindAPIToken {
		a.TokenID = "tok"
	}
	return viewer.NewContext(f.ctx, a)
}

func (f *fixture) customer(t *testing.T, name string) gid.ID {
	t.Helper()
	return f.c.Customer.Create().SetName(name).SaveX(f.ctx).ID
}

// ident records an identity directly, bypassing the service's rules.
func (f *fixture) ident(t *testing.T, cust gid.ID, kind customeridentity.Kind, value string, verified bool) gid.ID {
	t.Helper()
	return f.c.CustomerIdentity.Create().SetCustomerID(cust).SetKind(kind).SetValue(value).
		SetVerified(verified).SetSource(customeridentity.SourceAGENT).SaveX(f.ctx).ID
}

// identities lists a customer's identities as "KIND value verified?" in
// id order.
func (f *fixture) identities(t *testing.T, cust gid.ID) []string {
	t.Helper()
	rows := f.c.CustomerIdentity.Query().Where(customeridentity.CustomerID(cust)).
		Order(ent.Asc(customeridentity.FieldID)).AllX(f.ctx)
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		s := string(r.Kind) + " " + r.Value
		if r.Verified {
			s += " verified"
		}
		out = append(out, s)
	}
	slices.Sort(out) // ids made in the same millisecond do not sort by creation
	return out
}

// otherWorkspace creates a second workspace and returns its system
// actor's context. Both contexts it returns go through the tenant filters
// (testenv's ctx carries privacy.Allow, which skips them).
func (f *fixture) otherWorkspace(t *testing.T) (mine, other context.Context) {
	t.Helper()
	ws := f.c.Workspace.Create().SetName("Other").SetSlug("other").
		SaveX(privacy.DecisionContext(context.Background(), privacy.Allow))
	return viewer.NewContext(context.Background(), viewer.System(f.ws)),
		viewer.NewContext(context.Background(), viewer.System(ws.ID))
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAddIdentityNormalises: emails are trimmed and lower-cased, phone
// numbers stored in E.164 (national ones read in the workspace's region,
// US by default), external ids trimmed only; malformed values and channel
// user ids are INVALID_INPUT.
func TestAddIdentityNormalises(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		kind  customeridentity.Kind
		in    string
		want  string
		code  apperr.Code
		field string
	}{
		{customeridentity.KindEMAIL, "  Ada@Example.COM ", "ada@example.com", "", ""},
		{customeridentity.KindPHONE, "(415) 555-0132", "+14155550132", "", ""},
		{customeridentity.KindPHONE, "+44 20 7946 0958", "+442079460958", "", ""},
		{customeridentity.KindEXTERNAL_ID, " Crm-42 ", "Crm-42", "", ""},
		{customeridentity.KindEMAIL, "not an email", "", apperr.InvalidInput, "value"},
		{customeridentity.KindPHONE, "12", "", apperr.InvalidInput, "value"},
		{customeridentity.KindEMAIL, "   ", "", apperr.InvalidInput, "value"},
		{customeridentity.KindCHANNEL_USER, "u1", "", apperr.InvalidInput, "kind"},
	} {
		t.Run(string(tc.kind)+" "+tc.in, func(t *testing.T) {
			cust := f.customer(t, "C")
			var got *ent.CustomerIdentity
			err := f.tx(t, func(ctx context.Context) (err error) {
				got, err = f.svc.AddIdentity(ctx, cust, tc.kind, tc.in, false)
				return err
			})
			if tc.code != "" {
				wantCode(t, err, tc.code)
				var ae *apperr.Error
				if e, ok := err.(*apperr.Error); ok {
					ae = e
				}
				if ae == nil || ae.Field != tc.field {
					t.Fatalf("error %#v, want field %q", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Value != tc.want || got.Verified || got.Source != customeridentity.SourceAGENT || got.CustomerID != cust {
				t.Fatalf("got %q verified=%v source=%s customer=%s, want %q claimed by AGENT on %s",
					got.Value, got.Verified, got.Source, got.CustomerID, tc.want, cust)
			}
		})
	}
}

// TestAddIdentityVerification: who vouches decides verification (API
// tokens verify, agents claim unless asked); adding what the customer has
// returns it (verified now when asked); a verified identity another
// customer holds verified is CONFLICT, a claim of it is not.
func TestAddIdentityVerification(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	add := func(ctx context.Context, cust gid.ID, value string, verified bool) (*ent.CustomerIdentity, error) {
		var got *ent.CustomerIdentity
		err := store.InTx(ctx, f.c, func(ctx context.Context) (err error) {
			got, err = f.svc.AddIdentity(ctx, cust, customeridentity.KindEMAIL, value, verified)
			return err
		})
		return got, err
	}
	agent := f.as(viewer.KindAgent)
	token := f.as(viewer.KindAPIToken, viewer.ScopeWrite)

	a := f.customer(t, "A")
	got, err := add(token, a, "a@x.io", false)
	if err != nil || !got.Verified || got.Source != customeridentity.SourceINTEGRATION {
		t.Fatalf("token: %+v %v, want verified INTEGRATION", got, err)
	}

	claim, err := add(agent, a, "claim@x.io", false)
	if err != nil || claim.Verified || claim.Source != customeridentity.SourceAGENT {
		t.Fatalf("agent claim: %+v %v", claim, err)
	}
	again, err := add(agent, a, "CLAIM@x.io", false)
	if err != nil || again.ID != claim.ID || again.Verified {
		t.Fatalf("re-adding a claim: %+v %v, want the same claim %s", again, err, claim.ID)
	}
	up, err := add(agent, a, "claim@x.io", true)
	if err != nil || up.ID != claim.ID || !up.Verified {
		t.Fatalf("verifying a claim: %+v %v, want %s verified", up, err, claim.ID)
	}

	b := f.customer(t, "B")
	_, err = add(agent, b, "a@x.io", true)
	wantCode(t, err, apperr.Conflict)
	_, err = add(token, b, "a@x.io", false) // tokens always verify
	wantCode(t, err, apperr.Conflict)
	bc, err := add(agent, b, "a@x.io", false)
	if err != nil || bc.Verified {
		t.Fatalf("a claim of another's verified identity: %+v %v, want an unverified claim", bc, err)
	}
	_, err = add(agent, b, "a@x.io", true) // upgrading that claim
	wantCode(t, err, apperr.Conflict)

	if got, want := f.identities(t, a), []string{"EMAIL a@x.io verified", "EMAIL claim@x.io verified"}; !equal(got, want) {
		t.Fatalf("A has %q, want %q", got, want)
	}
	if got, want := f.identities(t, b), []string{"EMAIL a@x.io"}; !equal(got, want) {
		t.Fatalf("B has %q, want %q", got, want)
	}
}

// TestRemoveIdentity: emails, phones and external ids can be removed;
// channel user ids cannot (CONFLICT); an unknown id is NOT_FOUND.
func TestRemoveIdentity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cust := f.customer(t, "C")
	email := f.ident(t, cust, customeridentity.KindEMAIL, "a@x.io", true)
	ch := f.c.Channel.Create().SetKind("web").SetName("Site").SetKey("site").SaveX(f.ctx)
	chUser := f.c.CustomerIdentity.Create().SetCustomerID(cust).SetKind(customeridentity.KindCHANNEL_USER).
		SetValue("v1").SetChannelID(ch.ID).SetVerified(true).SetSource(customeridentity.SourceCHANNEL).SaveX(f.ctx).ID
	for _, tc := range []struct {
		id   gid.ID
		code apperr.Code
	}{
		{chUser, apperr.Conflict},
		{email, ""},
		{email, apperr.NotFound},
	} {
		err := f.tx(t, func(ctx context.Context) error {
			got, err := f.svc.RemoveIdentity(ctx, tc.id)
			if err == nil && got != tc.id {
				t.Errorf("removed %s, want %s", got, tc.id)
			}
			return err
		})
		if tc.code == "" && err != nil {
			t.Fatalf("remove %s: %v", tc.id, err)
		}
		if tc.code != "" {
			wantCode(t, err, tc.code)
		}
	}
	if got, want := f.identities(t, cust), []string{"CHANNEL_USER v1 verified"}; !equal(got, want) {
		t.Fatalf("left %q, want %q", got, want)
	}
}

// TestPrimaryIDFollowsMerges: a customer's id resolves to itself, a merged
// one's to the end of its merge chain; identities added through a merged
// id land on that end; an unknown id is NOT_FOUND.
func TestPrimaryIDFollowsMerges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b, c := f.customer(t, "A"), f.customer(t, "B"), f.customer(t, "C")
	for _, m := range [][2]gid.ID{{b, c}, {a, b}} { // c into b, then b into a
		if err := f.tx(t, func(ctx context.Context) error {
			_, err := f.svc.Merge(ctx, m[0], m[1])
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ id, want gid.ID }{{a, a}, {b, a}, {c, a}} {
		got, err := f.svc.PrimaryID(f.ctx, tc.id)
		if err != nil || got != tc.want {
			t.Fatalf("PrimaryID(%s) = %s, %v; want %s", tc.id, got, err, tc.want)
		}
	}
	_, err := f.svc.PrimaryID(f.ctx, "Customer_nosuch")
	wantCode(t, err, apperr.NotFound)

	if err := f.tx(t, func(ctx context.Context) error {
		_, err := f.svc.AddIdentity(ctx, c, customeridentity.KindEMAIL, "c@x.io", false)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := f.identities(t, a); !equal(got, []string{"EMAIL c@x.io"}) || len(f.identities(t, c)) != 0 {
		t.Fatalf("A has %q, C has %q; want the identity on A", got, f.identities(t, c))
	}
}

// TestCrossWorkspaceRefused: another workspace's customer is not found,
// neither to add identities to nor to merge.
func TestCrossWorkspaceRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mctx, octx := f.otherWorkspace(t)
	foreign := f.c.Customer.Create().SetName("Foreign").SaveX(octx).ID
	mine := f.c.Customer.Create().SetName("Mine").SaveX(mctx).ID

	err := store.InTx(mctx, f.c, func(ctx context.Context) error {
		_, err := f.svc.AddIdentity(ctx, foreign, customeridentity.KindEMAIL, "f@x.io", false)
		return err
	})
	wantCode(t, err, apperr.NotFound)
	for _, tc := range []struct {
		primary, secondary gid.ID
		field              string
	}{{mine, foreign, "secondaryID"}, {foreign, mine, "primaryID"}} {
		err := store.InTx(mctx, f.c, func(ctx context.Context) error {
			_, err := f.svc.Merge(ctx, tc.primary, tc.secondary)
			return err
		})
		wantCode(t, err, apperr.NotFound)
		if e, ok := err.(*apperr.Error); !ok || e.Field != tc.field {
			t.Fatalf("merge %s <- %s: %#v, want field %s", tc.primary, tc.secondary, err, tc.field)
		}
	}
	if n := f.c.Customer.Query().Where().CountX(octx); n != 1 {
		t.Fatalf("other workspace has %d customers", n)
	}
	if got := f.c.Customer.GetX(octx, foreign); got.MergedIntoID != nil {
		t.Fatalf("foreign customer merged into %s", *got.MergedIntoID)
	}
}
