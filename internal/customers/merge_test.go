package customers_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// view is what a test compares of a customer.
type view struct {
	Name, Notes string
	VIP         bool
	Merged      gid.ID
	Attrs       map[string]any
	Tags        []string
	Identities  []string
	Convs       int
}

func (f *fixture) view(t *testing.T, id gid.ID) view {
	t.Helper()
	c := f.c.Customer.Query().Where().WithTags().AllX(f.ctx)
	var cust *ent.Customer
	for _, x := range c {
		if x.ID == id {
			cust = x
		}
	}
	v := view{Name: cust.Name, Notes: cust.Notes, VIP: cust.Vip, Attrs: cust.CustomAttributes}
	if v.Attrs == nil {
		v.Attrs = map[string]any{}
	}
	if cust.MergedIntoID != nil {
		v.Merged = *cust.MergedIntoID
	}
	for _, tg := range cust.Edges.Tags {
		v.Tags = append(v.Tags, tg.Name)
	}
	slices.Sort(v.Tags)
	v.Identities = f.identities(t, id)
	slices.Sort(v.Identities)
	v.Convs = f.c.Conversation.Query().Where(conversation.CustomerID(id)).CountX(f.ctx)
	return v
}

func (f *fixture) merge(t *testing.T, primary, secondary gid.ID) (*ent.CustomerMerge, error) {
	t.Helper()
	var m *ent.CustomerMerge
	err := f.tx(t, func(ctx context.Context) (err error) {
		m, err = f.svc.Merge(ctx, primary, secondary)
		return err
	})
	return m, err
}

// TestMergeAndUnmerge: a merge moves the secondary's conversations and
// identities to the primary (a verified copy displacing the primary's
// claim of the same value), adds the tags and attributes the primary
// lacked (the primary's value wins a conflict), appends notes, fills an
// empty name and VIP, leaves the secondary a tombstone, and records a
// CustomerMerge. Unmerging restores both customers exactly; a second
// unmerge is CONFLICT.
func TestMergeAndUnmerge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ch := f.c.Channel.Create().SetKind("web").SetName("Site").SetKey("site").SaveX(f.ctx)
	t1 := f.c.Tag.Create().SetName("t1").SaveX(f.ctx)
	t2 := f.c.Tag.Create().SetName("t2").SaveX(f.ctx)
	a := f.c.Customer.Create().SetNotes("pa").SetCustomAttributes(map[string]any{"plan": "pro"}).
		AddTagIDs(t1.ID).SaveX(f.ctx).ID
	b := f.c.Customer.Create().SetName("Bee").SetNotes("nb").SetVip(true).
		SetCustomAttributes(map[string]any{"plan": "free", "tier": "gold"}).AddTagIDs(t2.ID).SaveX(f.ctx).ID
	f.ident(t, a, customeridentity.KindEMAIL, "a@x.io", true)
	f.ident(t, a, customeridentity.KindEMAIL, "shared@x.io", false)
	f.ident(t, b, customeridentity.KindEMAIL, "shared@x.io", true)
	f.ident(t, b, customeridentity.KindPHONE, "+14155550132", false)
	f.c.Conversation.Create().SetCustomerID(b).SetChannelID(ch.ID).SaveX(f.ctx)
	f.c.Conversation.Create().SetCustomerID(b).SetChannelID(ch.ID).SaveX(f.ctx)
	beforeA, beforeB := f.view(t, a), f.view(t, b)

	m, err := f.merge(t, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.PrimaryID != a || m.SecondaryID != b || m.Automatic || m.UnmergedAt != nil {
		t.Fatalf("merge record %+v", m)
	}
	if got := m.Snapshot.Conflicts; !reflect.DeepEqual(got, map[string]any{"plan": "free"}) {
		t.Fatalf("snapshot conflicts %v", got)
	}
	wantA := view{
		Name: "Bee", Notes: "pa\n\n---\nnb", VIP: true,
		Attrs:      map[string]any{"plan": "pro", "tier": "gold"},
		Tags:       []string{"t1", "t2"},
		Identities: []string{"EMAIL a@x.io verified", "EMAIL shared@x.io verified", "PHONE +14155550132"},
		Convs:      2,
	}
	wantB := view{
		Name: "Bee", Notes: "nb", VIP: true, Merged: a,
		Attrs:      map[string]any{"plan": "free", "tier": "gold"},
		Identities: []string{"EMAIL shared@x.io"}, // A's displaced claim
	}
	if got := f.view(t, a); !reflect.DeepEqual(got, wantA) {
		t.Fatalf("primary after merge\n got %+v\nwant %+v", got, wantA)
	}
	if got := f.view(t, b); !reflect.DeepEqual(got, wantB) {
		t.Fatalf("secondary after merge\n got %+v\nwant %+v", got, wantB)
	}

	var back []*ent.Customer
	if err := f.tx(t, func(ctx context.Context) (err error) {
		back, err = f.svc.Unmerge(ctx, m.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 {
		t.Fatalf("unmerge returned %d customers", len(back))
	}
	if got := f.view(t, a); !reflect.DeepEqual(got, beforeA) {
		t.Fatalf("primary after unmerge\n got %+v\nwant %+v", got, beforeA)
	}
	if got := f.view(t, b); !reflect.DeepEqual(got, beforeB) {
		t.Fatalf("secondary after unmerge\n got %+v\nwant %+v", got, beforeB)
	}
	if f.c.CustomerMerge.GetX(f.ctx, m.ID).UnmergedAt == nil {
		t.Fatal("merge not marked undone")
	}
	err = f.tx(t, func(ctx context.Context) error {
		_, err := f.svc.Unmerge(ctx, m.ID)
		return err
	})
	wantCode(t, err, apperr.Conflict)
}

// TestMergeRefusals: a customer cannot be merged into itself
// (INVALID_INPUT), nor into a merged customer or a second time (CONFLICT),
// nor with an unknown one (NOT_FOUND); nothing changes.
func TestMergeRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b, c := f.customer(t, "A"), f.customer(t, "B"), f.customer(t, "C")
	if _, err := f.merge(t, a, b); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name               string
		primary, secondary gid.ID
		code               apperr.Code
	}{
		{"itself", c, c, apperr.InvalidInput},
		{"into a merged customer", b, c, apperr.Conflict},
		{"merged twice", c, b, apperr.Conflict},
		{"unknown secondary", c, "Customer_nosuch", apperr.NotFound},
		{"unknown primary", "Customer_nosuch", c, apperr.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.merge(t, tc.primary, tc.secondary)
			wantCode(t, err, tc.code)
		})
	}
	if n := f.c.CustomerMerge.Query().CountX(f.ctx); n != 1 {
		t.Fatalf("%d merges recorded, want 1", n)
	}
	if v := f.view(t, c); v.Merged != "" {
		t.Fatalf("C merged into %s", v.Merged)
	}
}

// TestUnmergeAfterMovedAgain: when something the merge moved belongs to
// another customer since, unmerging is CONFLICT and changes nothing.
func TestUnmergeAfterMovedAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b, c := f.customer(t, "A"), f.customer(t, "B"), f.customer(t, "C")
	id := f.ident(t, b, customeridentity.KindEMAIL, "b@x.io", false)
	m, err := f.merge(t, a, b)
	if err != nil {
		t.Fatal(err)
	}
	f.c.CustomerIdentity.UpdateOneID(id).SetCustomerID(c).ExecX(f.ctx)
	err = f.tx(t, func(ctx context.Context) error {
		_, err := f.svc.Unmerge(ctx, m.ID)
		return err
	})
	wantCode(t, err, apperr.Conflict)
	if v := f.view(t, b); v.Merged != a {
		t.Fatalf("B merged into %q, want still %s", v.Merged, a)
	}
}
