package customers_test

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

func email(v string) customers.UpsertIdentity {
	return customers.UpsertIdentity{Kind: customeridentity.KindEMAIL, Value: v}
}

// TestUpsert: the first upsert creates the customer with its identities
// verified (normalised, source INTEGRATION for tokens); later upserts by
// any of them find it and add the rest; identities verified on different
// customers are CONFLICT and create nothing.
func TestUpsert(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.as(viewer.KindAPIToken, viewer.ScopeWrite)
	name := "Ada"
	first, err := f.svc.Upsert(token, []customers.UpsertIdentity{email(" Ada@X.io "), email("ada@x.io")}, &ent.UpdateCustomerInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != "Ada" {
		t.Fatalf("name %q", first.Name)
	}
	second, err := f.svc.Upsert(token, []customers.UpsertIdentity{
		{Kind: customeridentity.KindPHONE, Value: "(415) 555-0132"}, email("ADA@x.io"),
	}, nil)
	if err != nil || second.ID != first.ID || second.Name != "Ada" {
		t.Fatalf("second upsert: %+v, %v; want customer %s", second, err, first.ID)
	}
	have := f.identities(t, first.ID)
	slices.Sort(have)
	if want := []string{"EMAIL ada@x.io verified", "PHONE +14155550132 verified"}; !reflect.DeepEqual(have, want) {
		t.Fatalf("identities %q, want %q", have, want)
	}
	for _, r := range f.c.CustomerIdentity.Query().Where(customeridentity.CustomerID(first.ID)).AllX(f.ctx) {
		if r.Source != customeridentity.SourceINTEGRATION {
			t.Fatalf("%s has source %s, want INTEGRATION", r.Value, r.Source)
		}
	}

	other := f.customer(t, "Other")
	f.ident(t, other, customeridentity.KindEXTERNAL_ID, "crm-2", true)
	_, err = f.svc.Upsert(token, []customers.UpsertIdentity{email("ada@x.io"), {Kind: customeridentity.KindEXTERNAL_ID, Value: "crm-2"}}, nil)
	wantCode(t, err, apperr.Conflict)
	if n := f.c.Customer.Query().CountX(f.ctx); n != 2 {
		t.Fatalf("%d customers, want 2", n)
	}

	// An agent's upsert verifies too, with source AGENT, and finds a
	// merged customer's identities on the customer it was merged into.
	if _, err := f.merge(t, other, first.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Upsert(f.as(viewer.KindAgent), []customers.UpsertIdentity{email("ada@x.io"), email("new@x.io")}, nil)
	if err != nil || got.ID != other {
		t.Fatalf("upsert after merge: %+v, %v; want %s", got, err, other)
	}
	n := f.c.CustomerIdentity.Query().Where(customeridentity.CustomerID(other), customeridentity.Value("new@x.io"),
		customeridentity.Verified(true), customeridentity.SourceEQ(customeridentity.SourceAGENT)).CountX(f.ctx)
	if n != 1 {
		t.Fatalf("new@x.io verified by AGENT on %s: %d", other, n)
	}
}

// TestUpsertRefusals: only agents and API tokens that may write upsert;
// identities are one to MaxUpsertIdentities, valid, and not channel user
// ids.
func TestUpsertRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	many := make([]customers.UpsertIdentity, customers.MaxUpsertIdentities+1)
	for i := range many {
		many[i] = customers.UpsertIdentity{Kind: customeridentity.KindEXTERNAL_ID, Value: string(rune('a' + i))}
	}
	write := f.as(viewer.KindAPIToken, viewer.ScopeWrite)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		ids  []customers.UpsertIdentity
		code apperr.Code
	}{
		{"no actor", viewer.NewContext(f.ctx, nil), []customers.UpsertIdentity{email("a@x.io")}, apperr.Unauthenticated},
		{"read-only token", f.as(viewer.KindAPIToken, viewer.ScopeRead), []customers.UpsertIdentity{email("a@x.io")}, apperr.Forbidden},
		{"system", f.ctx, []customers.UpsertIdentity{email("a@x.io")}, apperr.Forbidden},
		{"no identities", write, nil, apperr.InvalidInput},
		{"too many", write, many, apperr.InvalidInput},
		{"channel user", write, []customers.UpsertIdentity{{Kind: customeridentity.KindCHANNEL_USER, Value: "u1"}}, apperr.InvalidInput},
		{"bad email", write, []customers.UpsertIdentity{email("nope")}, apperr.InvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Upsert(tc.ctx, tc.ids, nil)
			wantCode(t, err, tc.code)
		})
	}
	if n := f.c.Customer.Query().CountX(f.ctx); n != 0 {
		t.Fatalf("%d customers created by refused upserts", n)
	}
}

// TestUpsertConcurrent: two concurrent upserts of one new identity create
// one customer, and both return it.
func TestUpsertConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.as(viewer.KindAPIToken, viewer.ScopeWrite)
	for round := range 3 {
		value := string(rune('a'+round)) + "@race.io"
		var wg sync.WaitGroup
		got := make([]gid.ID, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := f.svc.Upsert(token, []customers.UpsertIdentity{email(value)}, nil)
				if err == nil {
					got[i] = c.ID
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || got[0] != got[1] {
			t.Fatalf("round %d: %v / %v, customers %s / %s; want one customer for both", round, errs[0], errs[1], got[0], got[1])
		}
		holders := f.c.CustomerIdentity.Query().Where(customeridentity.Value(value)).AllX(f.ctx)
		if len(holders) != 1 || holders[0].CustomerID != got[0] {
			t.Fatalf("round %d: %d identities of %s", round, len(holders), value)
		}
	}
	if n := f.c.Customer.Query().CountX(f.ctx); n != 3 {
		t.Fatalf("%d customers after 3 rounds, want 3", n)
	}
}
