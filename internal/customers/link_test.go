package customers_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/ent/customerduplicate"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

// TestLink: an identity an inbound message reveals for its sender merges
// the sender into the customer holding it verified only when the reveal
// is verified and the merge is safe (no different verified external id,
// email or id on one channel); otherwise the sender keeps it (verified
// only when no one else holds it verified) and a duplicate suggestion
// names the other holder.
func TestLink(t *testing.T) {
	t.Parallel()
	const email = "ada@x.io"
	type side func(t *testing.T, f *fixture, cust gid.ID, ch gid.ID)
	has := func(kind customeridentity.Kind, value string, verified bool) side {
		return func(t *testing.T, f *fixture, cust gid.ID, _ gid.ID) { f.ident(t, cust, kind, value, verified) }
	}
	onChannel := func(value string) side {
		return func(_ *testing.T, f *fixture, cust gid.ID, ch gid.ID) {
			f.c.CustomerIdentity.Create().SetCustomerID(cust).SetKind(customeridentity.KindCHANNEL_USER).
				SetValue(value).SetChannelID(ch).SetVerified(true).SetSource(customeridentity.SourceCHANNEL).SaveX(f.ctx)
		}
	}
	for _, tc := range []struct {
		name          string
		owner, sender []side
		revealed      bool // verified
		merged        bool
		senderHas     []string
		evidence      []schematype.Evidence // of the one suggestion (owner, sender), nil for none
	}{
		{
			name:     "verified reveal of a verified identity merges",
			owner:    []side{has(customeridentity.KindEMAIL, email, true), has(customeridentity.KindEXTERNAL_ID, "crm-1", true)},
			sender:   []side{onChannel("u2")},
			revealed: true, merged: true,
		},
		{
			name:      "different verified external ids: suggestion",
			owner:     []side{has(customeridentity.KindEMAIL, email, true), has(customeridentity.KindEXTERNAL_ID, "crm-1", true)},
			sender:    []side{has(customeridentity.KindEXTERNAL_ID, "crm-2", true)},
			revealed:  true,
			senderHas: []string{"EMAIL " + email, "EXTERNAL_ID crm-2 verified"},
			evidence:  []schematype.Evidence{{Kind: "EMAIL", Value: email, CustomerVerified: true}},
		},
		{
			name:      "different verified emails: suggestion",
			owner:     []side{has(customeridentity.KindEMAIL, email, true), has(customeridentity.KindEMAIL, "o@x.io", true)},
			sender:    []side{has(customeridentity.KindEMAIL, "s@x.io", true)},
			revealed:  true,
			senderHas: []string{"EMAIL " + email, "EMAIL s@x.io verified"},
			evidence:  []schematype.Evidence{{Kind: "EMAIL", Value: email, CustomerVerified: true}},
		},
		{
			name:      "two ids on one channel: suggestion",
			owner:     []side{has(customeridentity.KindEMAIL, email, true), onChannel("u1")},
			sender:    []side{onChannel("u2")},
			revealed:  true,
			senderHas: []string{"CHANNEL_USER u2 verified", "EMAIL " + email},
			evidence:  []schematype.Evidence{{Kind: "EMAIL", Value: email, CustomerVerified: true}},
		},
		{
			name:      "claimed reveal never merges",
			owner:     []side{has(customeridentity.KindEMAIL, email, true)},
			revealed:  false,
			senderHas: []string{"EMAIL " + email},
			evidence:  []schematype.Evidence{{Kind: "EMAIL", Value: email, CustomerVerified: true}},
		},
		{
			name:      "another's claim: the sender verifies it, suggestion",
			owner:     []side{has(customeridentity.KindEMAIL, email, false)},
			revealed:  true,
			senderHas: []string{"EMAIL " + email + " verified"},
			evidence:  []schematype.Evidence{{Kind: "EMAIL", Value: email, DuplicateVerified: true}},
		},
		{
			name:      "the sender's own claim is upgraded",
			sender:    []side{has(customeridentity.KindEMAIL, email, false)},
			revealed:  true,
			senderHas: []string{"EMAIL " + email + " verified"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ch := f.c.Channel.Create().SetKind("web").SetName("Site").SetKey("site").SaveX(f.ctx).ID
			owner, sender := f.customer(t, "Owner"), f.customer(t, "Sender")
			for _, s := range tc.owner {
				s(t, f, owner, ch)
			}
			for _, s := range tc.sender {
				s(t, f, sender, ch)
			}
			var got gid.ID
			err := f.tx(t, func(ctx context.Context) (err error) {
				got, err = f.svc.Link(ctx, sender, []customers.Revealed{
					{Kind: customeridentity.KindEMAIL, Value: ""}, // ignored
					{Kind: customeridentity.KindEMAIL, Value: email, Verified: tc.revealed, Source: customeridentity.SourceCHANNEL},
				})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			merges := f.c.CustomerMerge.Query().AllX(f.ctx)
			if tc.merged {
				if got != owner || len(merges) != 1 || !merges[0].Automatic ||
					merges[0].PrimaryID != owner || merges[0].SecondaryID != sender || f.view(t, sender).Merged != owner {
					t.Fatalf("Link = %s (owner %s, sender %s), merges %+v; want an automatic merge into the owner", got, owner, sender, merges)
				}
				return
			}
			if got != sender || len(merges) != 0 {
				t.Fatalf("Link = %s (sender %s), %d merges; want the sender, no merge", got, sender, len(merges))
			}
			have := f.identities(t, sender)
			slices.Sort(have)
			if !reflect.DeepEqual(have, tc.senderHas) {
				t.Fatalf("sender has %q, want %q", have, tc.senderHas)
			}
			dups := f.c.CustomerDuplicate.Query().AllX(f.ctx)
			switch {
			case tc.evidence == nil && len(dups) != 0:
				t.Fatalf("suggestions %+v, want none", dups)
			case tc.evidence != nil && (len(dups) != 1 || dups[0].CustomerID != owner || dups[0].DuplicateID != sender ||
				dups[0].Status != customerduplicate.StatusOPEN || !reflect.DeepEqual(dups[0].Evidence, tc.evidence)):
				t.Fatalf("suggestions %+v, want one OPEN (owner %s, sender %s) with %+v", dups, owner, sender, tc.evidence)
			}
		})
	}
}

// TestLinkSuggestsOnce: revealing the same identity again adds no second
// suggestion or evidence; a dismissed pair is not suggested again;
// accepting a suggestion merges the duplicate into the first holder.
func TestLinkSuggestsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, sender := f.customer(t, "Owner"), f.customer(t, "Sender")
	f.ident(t, owner, customeridentity.KindEMAIL, "ada@x.io", true)
	link := func(cust gid.ID) {
		t.Helper()
		if err := f.tx(t, func(ctx context.Context) error {
			_, err := f.svc.Link(ctx, cust, []customers.Revealed{{Kind: customeridentity.KindEMAIL, Value: "ada@x.io", Source: customeridentity.SourceCHANNEL}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	link(sender)
	link(sender)
	dups := f.c.CustomerDuplicate.Query().AllX(f.ctx)
	if len(dups) != 1 || len(dups[0].Evidence) != 1 {
		t.Fatalf("suggestions %+v, want one with one evidence", dups)
	}
	if err := f.tx(t, func(ctx context.Context) error {
		_, err := f.svc.DismissDuplicate(ctx, dups[0].ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	link(sender)
	if d := f.c.CustomerDuplicate.Query().AllX(f.ctx); len(d) != 1 || d[0].Status != customerduplicate.StatusDISMISSED {
		t.Fatalf("after dismissal: %+v, want the one DISMISSED suggestion", d)
	}

	third := f.customer(t, "Third")
	link(third)
	// The owner holds it verified and the sender claims it: both are named.
	if n := f.c.CustomerDuplicate.Query().Where(customerduplicate.DuplicateID(third)).CountX(f.ctx); n != 2 {
		t.Fatalf("%d suggestions about the third customer, want 2", n)
	}
	d3 := f.c.CustomerDuplicate.Query().Where(customerduplicate.CustomerID(owner), customerduplicate.DuplicateID(third)).OnlyX(f.ctx)
	var merged gid.ID
	if err := f.tx(t, func(ctx context.Context) error {
		m, err := f.svc.AcceptDuplicate(ctx, d3.ID)
		if err == nil {
			merged = m.SecondaryID
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The other open suggestion about the merged customer is closed.
	closed := f.c.CustomerDuplicate.Query().Where(customerduplicate.CustomerID(sender), customerduplicate.DuplicateID(third)).OnlyX(f.ctx)
	if merged != third || f.view(t, third).Merged != owner ||
		f.c.CustomerDuplicate.GetX(f.ctx, d3.ID).Status != customerduplicate.StatusACCEPTED ||
		closed.Status != customerduplicate.StatusCLOSED {
		t.Fatalf("accepting: merged %s into %q, status %s", merged, f.view(t, third).Merged, f.c.CustomerDuplicate.GetX(f.ctx, d3.ID).Status)
	}
}
