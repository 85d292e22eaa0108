package server_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestMergeKeepsIdentitiesOnce: after a merge the primary holds each
// identity once, the verified copy when either side had it verified;
// unmerging gives both customers back exactly what they had.
func TestMergeKeepsIdentitiesOnce(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	primary, secondary := cuCreate(t, s, tok, "Ann"), cuCreate(t, s, tok, "Ann B")
	cuMustAdd(t, s, tok, primary, "EMAIL", "ann@example.com", false)
	cuMustAdd(t, s, tok, secondary, "EMAIL", "ann@example.com", false)
	cuMustAdd(t, s, tok, primary, "PHONE", "+8613800138000", false)
	cuMustAdd(t, s, tok, secondary, "PHONE", "+8613800138000", true)
	cuMustAdd(t, s, tok, secondary, "EXTERNAL_ID", "ann-42", false)

	var m struct{ MergeCustomers struct{ ID string } }
	s.MustDo(t, tok, `mutation($p: ID!, $s: ID!) { mergeCustomers(primaryID: $p, secondaryID: $s) { id } }`,
		map[string]any{"p": primary, "s": secondary}, &m)
	got := cuGet(t, s, tok, primary)
	count := map[string]int{}
	for _, id := range got.Identities {
		count[id.Kind+" "+id.Value]++
	}
	for k, n := range count {
		if n != 1 {
			t.Errorf("the primary holds %s %d times: %+v", k, n, got.Identities)
		}
	}
	if len(count) != 3 {
		t.Errorf("the primary's identities: %+v", got.Identities)
	}
	if p := got.identity("PHONE", "+8613800138000"); p == nil || !p.Verified {
		t.Errorf("the phone the secondary had verified is not verified on the primary: %+v", p)
	}

	s.MustDo(t, tok, `mutation($id: ID!) { unmergeCustomer(mergeID: $id) { id } }`, map[string]any{"id": m.MergeCustomers.ID}, &struct{}{})
	back, sec := cuGet(t, s, tok, primary), cuGet(t, s, tok, secondary)
	if len(back.Identities) != 2 || back.identity("PHONE", "+8613800138000").Verified || back.identity("EMAIL", "ann@example.com") == nil {
		t.Errorf("the primary after unmerging: %+v", back.Identities)
	}
	if len(sec.Identities) != 3 || !sec.identity("PHONE", "+8613800138000").Verified || sec.identity("EXTERNAL_ID", "ann-42") == nil {
		t.Errorf("the secondary after unmerging: %+v", sec.Identities)
	}
}
