package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// What the customer tests read of a customer.
const cuFields = `id name vip notes customAttributes tags { name }
	identities { id kind value verified source channel { id } }`

type cuIdentity struct {
	ID, Kind, Value, Source string
	Verified                bool
	Channel                 *struct{ ID string }
}

type cuCustomer struct {
	ID, Name         string
	Notes            string
	Vip              bool
	CustomAttributes map[string]any
	Tags             []struct{ Name string }
	Identities       []cuIdentity
}

// identity returns the customer's identity of a kind and value, or nil.
func (c cuCustomer) identity(kind, value string) *cuIdentity {
	for i := range c.Identities {
		if c.Identities[i].Kind == kind && c.Identities[i].Value == value {
			return &c.Identities[i]
		}
	}
	return nil
}

func cuGet(t *testing.T, s *testenv.Server, tok, id string) cuCustomer {
	t.Helper()
	var out struct{ Node *cuCustomer }
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Customer { `+cuFields+` } } }`, map[string]any{"id": id}, &out)
	if out.Node == nil {
		t.Fatalf("customer %s not found", id)
	}
	return *out.Node
}

func cuCreate(t *testing.T, s *testenv.Server, tok, name string) string {
	t.Helper()
	return createID(t, s, tok, `mutation($n: String) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": name})
}

func cuSetRegion(t *testing.T, s *testenv.Server, tok, region string) {
	t.Helper()
	var v struct {
		Viewer struct{ Workspace struct{ ID string } }
	}
	s.MustDo(t, tok, `{ viewer { workspace { id } } }`, nil, &v)
	s.MustDo(t, tok, `mutation($id: ID!, $r: String!) { updateWorkspace(id: $id, input: {defaultPhoneRegion: $r}) { id } }`,
		map[string]any{"id": v.Viewer.Workspace.ID, "r": region}, &struct{}{})
}

const cuAddIdentity = `mutation($c: ID!, $k: IdentityKind!, $v: String!, $verified: Boolean) {
	addCustomerIdentity(customerID: $c, kind: $k, value: $v, verified: $verified) { id kind value verified source } }`

func cuAdd(t *testing.T, s *testenv.Server, tok, cust, kind, value string, verified bool) *testenv.Response {
	t.Helper()
	return s.Do(t, tok, cuAddIdentity, map[string]any{"c": cust, "k": kind, "v": value, "verified": verified})
}

func cuMustAdd(t *testing.T, s *testenv.Server, tok, cust, kind, value string, verified bool) cuIdentity {
	t.Helper()
	var out struct{ AddCustomerIdentity cuIdentity }
	cuAdd(t, s, tok, cust, kind, value, verified).Decode(t, &out)
	return out.AddCustomerIdentity
}

// wantField fails unless r is one INVALID_INPUT error for field.
func wantField(t *testing.T, r *testenv.Response, field string) {
	t.Helper()
	e := wantErr(t, r, http.StatusOK, "INVALID_INPUT")
	if e.Extensions["field"] != field {
		t.Fatalf("error field %v, want %s: %s", e.Extensions["field"], field, e.Message)
	}
}

// TestCustomerIdentities: agents add identities, normalised in the
// workspace's phone region; claims repeat across customers, verified ones
// do not; adding one again returns it (verified when asked); API tokens'
// identities are verified; channel identities cannot be added or removed.
func TestCustomerIdentities(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	cuSetRegion(t, s, admin, "CN")
	ann, bob := cuCreate(t, s, admin, "Ann"), cuCreate(t, s, admin, "Bob")

	phone := cuMustAdd(t, s, admin, ann, "PHONE", "138 0013 8000", false)
	if phone.Value != "+8613800138000" || phone.Verified || phone.Source != "AGENT" {
		t.Fatalf("national phone = %+v", phone)
	}
	// A claim may sit on another customer too.
	claim := cuMustAdd(t, s, admin, bob, "PHONE", "+86 138-0013-8000", false)
	if claim.Value != "+8613800138000" || claim.ID == phone.ID {
		t.Fatalf("claim on another customer = %+v", claim)
	}
	// The same identity again is the same one, verified now.
	again := cuMustAdd(t, s, admin, ann, "PHONE", "0086 138 0013 8000", true)
	if again.ID != phone.ID || !again.Verified {
		t.Fatalf("phone again, verified = %+v, first %+v", again, phone)
	}
	if n := len(cuGet(t, s, admin, ann).Identities); n != 1 {
		t.Fatalf("ann has %d identities, want 1", n)
	}
	// A verified identity is one customer's only.
	e := wantErr(t, cuAdd(t, s, admin, bob, "PHONE", "13800138000", true), http.StatusOK, "CONFLICT")
	if !strings.Contains(e.Message, "merge") {
		t.Fatalf("conflict message %q does not say to merge", e.Message)
	}
	email := cuMustAdd(t, s, admin, ann, "EMAIL", "  Ann.Lee@Example.COM ", true)
	if email.Value != "ann.lee@example.com" || !email.Verified {
		t.Fatalf("email = %+v", email)
	}
	wantField(t, cuAdd(t, s, admin, ann, "EMAIL", "not an email", false), "value")
	wantField(t, cuAdd(t, s, admin, ann, "PHONE", "call me", false), "value")
	wantField(t, cuAdd(t, s, admin, ann, "CHANNEL_USER", "u-1", true), "kind")

	// An integrator's identity is verified, whatever it says.
	tok := newAPIToken(t, s, admin, "WRITE")
	ext := cuMustAdd(t, s, tok, ann, "EXTERNAL_ID", " crm-1 ", false)
	if ext.Value != "crm-1" || !ext.Verified || ext.Source != "INTEGRATION" {
		t.Fatalf("token's identity = %+v", ext)
	}
	wantErr(t, s.Do(t, newAPIToken(t, s, admin, "READ"), cuAddIdentity,
		map[string]any{"c": ann, "k": "EMAIL", "v": "read@example.com"}), http.StatusOK, "FORBIDDEN")

	// Removing.
	const remove = `mutation($id: ID!) { removeCustomerIdentity(id: $id) }`
	var removed struct{ RemoveCustomerIdentity string }
	s.MustDo(t, admin, remove, map[string]any{"id": claim.ID}, &removed)
	if removed.RemoveCustomerIdentity != claim.ID || len(cuGet(t, s, admin, bob).Identities) != 0 {
		t.Fatalf("removed %q; bob = %+v", removed.RemoveCustomerIdentity, cuGet(t, s, admin, bob))
	}
	wantErr(t, s.Do(t, admin, remove, map[string]any{"id": claim.ID}), http.StatusOK, "NOT_FOUND")
	// Now the number can be verified on Bob... no: Ann still has it verified.
	wantErr(t, cuAdd(t, s, admin, bob, "PHONE", "13800138000", true), http.StatusOK, "CONFLICT")
	_, agentTok := newAgent(t, s, admin, "agent-ids@example.com", "AGENT")
	s.MustDo(t, agentTok, remove, map[string]any{"id": phone.ID}, &removed)
	cuMustAdd(t, s, admin, bob, "PHONE", "13800138000", true)

	// Senders' emails and phones from a channel are normalised too; a
	// phone that is none is left out. Their channel ids stay.
	ch := createAPIChannel(t, s, admin, "")
	payload := inboundPayload("m-1", "user-9", "hello")
	payload["sender"].(map[string]any)["email"] = " Dana@Example.COM "
	payload["sender"].(map[string]any)["phone"] = "139 0013 9000"
	status, ids := post(t, ch.WebhookURL, apiSecret, time.Now(), payload)
	if status != http.StatusOK {
		t.Fatalf("inbound: %d", status)
	}
	var conv struct{ Node struct{ Customer cuCustomer } }
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { `+cuFields+` } } } }`,
		map[string]any{"id": ids["conversationID"]}, &conv)
	dana := conv.Node.Customer
	channelID := dana.identity("CHANNEL_USER", "user-9")
	if dana.identity("EMAIL", "dana@example.com") == nil || dana.identity("PHONE", "+8613900139000") == nil || channelID == nil {
		t.Fatalf("inbound sender's identities = %+v", dana.Identities)
	}
	e = wantErr(t, s.Do(t, admin, remove, map[string]any{"id": channelID.ID}), http.StatusOK, "CONFLICT")
	if got := cuGet(t, s, admin, dana.ID); got.identity("CHANNEL_USER", "user-9") == nil {
		t.Fatalf("channel identity removed despite %q", e.Message)
	}
	payload = inboundPayload("m-2", "user-10", "hi")
	payload["sender"].(map[string]any)["phone"] = "call me maybe"
	if status, _ := post(t, ch.WebhookURL, apiSecret, time.Now(), payload); status != http.StatusOK {
		t.Fatalf("inbound with a phone that is none: %d", status)
	}

	// A website visitor's phone claim is stored in E.164, from the widget.
	_, key := webChannel(t, s, admin)
	startVisitor(t, s, "", key, map[string]any{"name": "Wendy", "phone": "139-0013-9001"})
	found := cuSearch(t, s, admin, "+86 139 0013 9001")
	if len(found) != 1 || found[0].Name != "Wendy" {
		t.Fatalf("visitor by phone = %+v", found)
	}
	if p := found[0].identity("PHONE", "+8613900139001"); p == nil || p.Verified || p.Source != "WIDGET" {
		t.Fatalf("visitor's phone claim = %+v", found[0].Identities)
	}
}

// TestCustomerIdentitiesAcrossWorkspaces: another workspace's customers
// and identities are not found, and nothing changes.
func TestCustomerIdentitiesAcrossWorkspaces(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	other := s.NewWorkspace(t, "other", "other-admin@example.com")
	ann := cuCreate(t, s, admin, "Ann")
	email := cuMustAdd(t, s, admin, ann, "EMAIL", "ann@example.com", true)
	before := cuGet(t, s, admin, ann)

	wantErr(t, cuAdd(t, s, other, ann, "EMAIL", "mallory@example.com", true), http.StatusOK, "NOT_FOUND")
	wantErr(t, s.Do(t, other, `mutation($id: ID!) { removeCustomerIdentity(id: $id) }`, map[string]any{"id": email.ID}),
		http.StatusOK, "NOT_FOUND")
	wantErr(t, s.Do(t, other, `mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Mallory"}) { id } }`,
		map[string]any{"id": ann}), http.StatusOK, "NOT_FOUND")
	wantErr(t, s.Do(t, newAPIToken(t, s, other, "WRITE"), cuAddIdentity, map[string]any{"c": ann, "k": "EXTERNAL_ID", "v": "x"}),
		http.StatusOK, "NOT_FOUND")
	if after := cuGet(t, s, admin, ann); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("customer changed from another workspace: %+v -> %+v", before, after)
	}
	// The same verified email is another workspace's own business.
	mine := cuCreate(t, s, other, "Ann elsewhere")
	if got := cuMustAdd(t, s, other, mine, "EMAIL", "ann@example.com", true); !got.Verified {
		t.Fatalf("other workspace's verified email = %+v", got)
	}
	if found := cuSearch(t, s, other, "ann@example.com"); len(found) != 1 || found[0].ID != mine {
		t.Fatalf("search in the other workspace = %+v", found)
	}
}

// TestCustomerAttributes: typed attributes round trip (a DATE stays a
// date, a NUMBER a number); wrong types and unknown keys are refused with
// the key as field; updates merge by key and null removes one.
func TestCustomerAttributes(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	const define = `mutation($n: String!, $t: AttributeType!) { createAttributeDefinition(input: {name: $n, label: "L", type: $t}) { id name type } }`
	for name, typ := range map[string]string{"plan": "STRING", "spend": "NUMBER", "active": "BOOLEAN", "renewal": "DATE"} {
		s.MustDo(t, admin, define, map[string]any{"n": name, "t": typ}, &struct{}{})
	}
	wantErr(t, s.Do(t, admin, define, map[string]any{"n": "plan", "t": "NUMBER"}), http.StatusOK, "CONFLICT")
	wantField(t, s.Do(t, admin, define, map[string]any{"n": "1st", "t": "STRING"}), "name")
	_, agentTok := newAgent(t, s, admin, "agent-attrs@example.com", "AGENT")
	wantErr(t, s.Do(t, agentTok, define, map[string]any{"n": "tier", "t": "STRING"}), http.StatusOK, "FORBIDDEN")

	var created struct{ CreateCustomer struct{ ID string } }
	s.MustDo(t, admin, `mutation($a: Map) { createCustomer(input: {name: "Ann", customAttributes: $a}) { id } }`,
		map[string]any{"a": map[string]any{"plan": "gold", "spend": 12.5, "renewal": "2026-03-01"}}, &created)
	id := created.CreateCustomer.ID
	want := map[string]any{"plan": "gold", "spend": 12.5, "renewal": "2026-03-01"}
	if got := cuGet(t, s, admin, id).CustomAttributes; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("created with %v, want %v", got, want)
	}

	const update = `mutation($id: ID!, $a: Map) { updateCustomer(id: $id, input: {customAttributes: $a}) { customAttributes } }`
	steps := []struct {
		name   string
		change map[string]any
		want   map[string]any
	}{
		{"merge", map[string]any{"spend": 40, "active": true},
			map[string]any{"plan": "gold", "spend": 40.0, "renewal": "2026-03-01", "active": true}},
		{"null removes", map[string]any{"plan": nil},
			map[string]any{"spend": 40.0, "renewal": "2026-03-01", "active": true}},
		{"time to date", map[string]any{"renewal": "2026-03-01T23:30:00-05:00"},
			map[string]any{"spend": 40.0, "renewal": "2026-03-01", "active": true}},
	}
	for _, st := range steps {
		var out struct {
			UpdateCustomer struct{ CustomAttributes map[string]any }
		}
		s.MustDo(t, admin, update, map[string]any{"id": id, "a": st.change}, &out)
		if fmt.Sprint(out.UpdateCustomer.CustomAttributes) != fmt.Sprint(st.want) {
			t.Fatalf("%s: %v, want %v", st.name, out.UpdateCustomer.CustomAttributes, st.want)
		}
	}
	// Literals in the document work as variables do, and types survive
	// the round trip as JSON.
	r := s.Do(t, admin, `mutation($id: ID!) { updateCustomer(id: $id, input: {customAttributes: {spend: 7, plan: "silver"}}) { customAttributes } }`,
		map[string]any{"id": id})
	var raw struct {
		UpdateCustomer struct{ CustomAttributes map[string]json.RawMessage }
	}
	r.Decode(t, &raw)
	got := raw.UpdateCustomer.CustomAttributes
	if string(got["spend"]) != "7" || string(got["renewal"]) != `"2026-03-01"` || string(got["active"]) != "true" || string(got["plan"]) != `"silver"` {
		t.Fatalf("raw attributes = %s", fmt.Sprint(got))
	}

	before := fmt.Sprint(cuGet(t, s, admin, id))
	for _, c := range []struct {
		change map[string]any
		field  string
	}{
		{map[string]any{"spend": "12"}, "customAttributes.spend"},
		{map[string]any{"active": "yes"}, "customAttributes.active"},
		{map[string]any{"renewal": "March 1"}, "customAttributes.renewal"},
		{map[string]any{"renewal": "2026-02-30"}, "customAttributes.renewal"},
		{map[string]any{"renewal": 20260301}, "customAttributes.renewal"},
		{map[string]any{"plan": 5}, "customAttributes.plan"},
		{map[string]any{"nope": 1}, "customAttributes.nope"},
		{map[string]any{"plan": "ok", "nope": nil}, "customAttributes.nope"},
	} {
		wantField(t, s.Do(t, admin, update, map[string]any{"id": id, "a": c.change}), c.field)
	}
	wantField(t, s.Do(t, admin, `mutation($a: Map) { createCustomer(input: {customAttributes: $a}) { id } }`,
		map[string]any{"a": map[string]any{"spend": true}}), "customAttributes.spend")
	if after := fmt.Sprint(cuGet(t, s, admin, id)); after != before {
		t.Fatalf("refused updates changed the customer: %s -> %s", before, after)
	}

	// clearCustomAttributes starts from nothing; other fields still apply.
	var out struct{ UpdateCustomer cuCustomer }
	s.MustDo(t, admin, `mutation($id: ID!) { updateCustomer(id: $id, input: {clearCustomAttributes: true, customAttributes: {plan: "bronze"}, vip: true, notes: "n"}) { `+cuFields+` } }`,
		map[string]any{"id": id}, &out)
	if c := out.UpdateCustomer; fmt.Sprint(c.CustomAttributes) != "map[plan:bronze]" || !c.Vip || c.Notes != "n" {
		t.Fatalf("after clearing = %+v", c)
	}
	s.MustDo(t, admin, `mutation($id: ID!) { updateCustomer(id: $id, input: {clearCustomAttributes: true}) { id } }`, map[string]any{"id": id}, &struct{}{})
	if c := cuGet(t, s, admin, id); c.CustomAttributes != nil {
		t.Fatalf("cleared attributes = %v", c.CustomAttributes)
	}
}

func cuSearch(t *testing.T, s *testenv.Server, tok, text string) []cuCustomer {
	t.Helper()
	var out struct {
		Customers struct {
			TotalCount int
			Edges      []struct{ Node cuCustomer }
		}
	}
	s.MustDo(t, tok, `query($q: String) { customers(search: $q, first: 100) { totalCount edges { node { `+cuFields+` } } } }`,
		map[string]any{"q": text}, &out)
	if out.Customers.TotalCount != len(out.Customers.Edges) {
		t.Fatalf("search %q: totalCount %d for %d customers", text, out.Customers.TotalCount, len(out.Customers.Edges))
	}
	found := make([]cuCustomer, len(out.Customers.Edges))
	for i, e := range out.Customers.Edges {
		found[i] = e.Node
	}
	return found
}

// TestCustomerSearch: by any part of a name, an email in any case (or its
// start), a phone number in any format, an external id.
func TestCustomerSearch(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	cuSetRegion(t, s, admin, "CN")
	lena, bob := cuCreate(t, s, admin, "Lena Mueller"), cuCreate(t, s, admin, "Bob Lee")
	cuCreate(t, s, admin, "Carl")
	cuMustAdd(t, s, admin, lena, "PHONE", "13800138000", false)
	cuMustAdd(t, s, admin, lena, "EMAIL", "lena@example.com", true)
	cuMustAdd(t, s, admin, bob, "EXTERNAL_ID", "CRM-0042", true)
	cuMustAdd(t, s, admin, bob, "EMAIL", "bob@shop.example", false)
	other := s.NewWorkspace(t, "other", "other-admin@example.com")
	cuMustAdd(t, s, other, cuCreate(t, s, other, "Lena elsewhere"), "EMAIL", "lena@example.com", true)

	for _, c := range []struct {
		search string
		want   []string
	}{
		{"lena", []string{lena}},
		{"  MUELL ", []string{lena}},
		{"LENA@EXAMPLE.COM", []string{lena}},
		{"Bob@Shop", []string{bob}},
		{"13800138000", []string{lena}},
		{"138 0013 8000", []string{lena}},
		{"+86 138-0013-8000", []string{lena}},
		{"008613800138000", []string{lena}},
		{"CRM-0042", []string{bob}},
		{"e", []string{lena, bob}},
		{"nobody", nil},
		{"%", nil},
		{"13900139000", nil},
	} {
		var got []string
		for _, f := range cuSearch(t, s, admin, c.search) {
			got = append(got, f.ID)
		}
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("search %q = %v, want %v", c.search, got, want)
		}
	}
	if n := len(cuSearch(t, s, admin, "  ")); n != 3 {
		t.Errorf("blank search found %d, want all 3", n)
	}
	// Paging counts the matches only.
	var page struct {
		Customers struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
			PageInfo   struct{ HasNextPage bool }
		}
	}
	s.MustDo(t, admin, `{ customers(search: "e", first: 1, orderBy: {field: NAME}) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`, nil, &page)
	if page.Customers.TotalCount != 2 || len(page.Customers.Edges) != 1 || page.Customers.Edges[0].Node.ID != bob || !page.Customers.PageInfo.HasNextPage {
		t.Errorf("first page of search = %+v", page.Customers)
	}
	wantField(t, s.Do(t, admin, `query($q: String) { customers(search: $q) { totalCount } }`,
		map[string]any{"q": strings.Repeat("x", 256)}), "search")
}

const cuUpsert = `mutation($ids: [IdentityInput!]!, $in: UpdateCustomerInput) {
	upsertCustomerByIdentity(identities: $ids, input: $in) { ` + cuFields + ` } }`

func cuIDs(kv ...string) []map[string]any {
	var out []map[string]any
	for i := 0; i < len(kv); i += 2 {
		out = append(out, map[string]any{"kind": kv[i], "value": kv[i+1]})
	}
	return out
}

func cuMustUpsert(t *testing.T, s *testenv.Server, tok string, ids []map[string]any, in map[string]any) cuCustomer {
	t.Helper()
	var out struct{ UpsertCustomerByIdentity cuCustomer }
	s.MustDo(t, tok, cuUpsert, map[string]any{"ids": ids, "in": in}, &out)
	return out.UpsertCustomerByIdentity
}

// TestCustomerUpsert: an integrator's upsert creates the customer once,
// then finds it by any of its verified identities in any format and
// updates it; several customers are a CONFLICT; READ tokens are refused.
func TestCustomerUpsert(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	cuSetRegion(t, s, admin, "CN")
	tok := newAPIToken(t, s, admin, "WRITE")
	s.MustDo(t, admin, `mutation { createAttributeDefinition(input: {name: "orders", type: NUMBER}) { id } }`, nil, &struct{}{})
	tag := createID(t, s, admin, `mutation { createTag(input: {name: "buyer"}) { id } }`, nil)
	count := countOf(t, s, admin, "customers")

	first := cuMustUpsert(t, s, tok, cuIDs("EMAIL", "Shop.Buyer@Example.com", "PHONE", "13800138000"),
		map[string]any{"name": "Shopper", "customAttributes": map[string]any{"orders": 1}, "addTagIDs": []string{tag}})
	for _, want := range [][2]string{{"EMAIL", "shop.buyer@example.com"}, {"PHONE", "+8613800138000"}} {
		if i := first.identity(want[0], want[1]); i == nil || !i.Verified || i.Source != "INTEGRATION" {
			t.Fatalf("created customer's identities = %+v", first.Identities)
		}
	}
	if first.Name != "Shopper" || fmt.Sprint(first.CustomAttributes) != "map[orders:1]" || len(first.Tags) != 1 {
		t.Fatalf("created = %+v", first)
	}
	// The same person by another identity, written otherwise, plus a new one.
	second := cuMustUpsert(t, s, tok, cuIDs("PHONE", "+86 138-0013-8000", "EXTERNAL_ID", "shop-77"),
		map[string]any{"vip": true, "customAttributes": map[string]any{"orders": 2}})
	if second.ID != first.ID || second.Name != "Shopper" || !second.Vip || fmt.Sprint(second.CustomAttributes) != "map[orders:2]" ||
		len(second.Identities) != 3 || second.identity("EXTERNAL_ID", "shop-77") == nil {
		t.Fatalf("second upsert = %+v, first %s", second, first.ID)
	}
	// No input: only identities.
	if third := cuMustUpsert(t, s, tok, cuIDs("EXTERNAL_ID", "shop-77"), nil); third.ID != first.ID || third.Name != "Shopper" {
		t.Fatalf("upsert without input = %+v", third)
	}
	if n := countOf(t, s, admin, "customers"); n != count+1 {
		t.Fatalf("customers %d -> %d, want one more", count, n)
	}

	// A claim is not enough to find a customer.
	claimer := cuCreate(t, s, admin, "Claimer")
	cuMustAdd(t, s, admin, claimer, "EMAIL", "claimed@example.com", false)
	if got := cuMustUpsert(t, s, tok, cuIDs("EMAIL", "claimed@example.com"), nil); got.ID == claimer {
		t.Fatalf("upsert found a customer by a claim")
	}

	// Two customers: a conflict naming them, and nothing changes.
	p, q := cuCreate(t, s, admin, "P"), cuCreate(t, s, admin, "Q")
	cuMustAdd(t, s, admin, p, "EXTERNAL_ID", "p-1", true)
	cuMustAdd(t, s, admin, q, "EMAIL", "q@example.com", true)
	count = countOf(t, s, admin, "customers")
	e := wantErr(t, s.Do(t, tok, cuUpsert, map[string]any{"ids": cuIDs("EXTERNAL_ID", "p-1", "EMAIL", "Q@example.com"),
		"in": map[string]any{"name": "PQ"}}), http.StatusOK, "CONFLICT")
	if !strings.Contains(e.Message, p) || !strings.Contains(e.Message, q) {
		t.Fatalf("conflict message %q does not name %s and %s", e.Message, p, q)
	}
	if cuGet(t, s, admin, p).Name != "P" || cuGet(t, s, admin, q).Name != "Q" {
		t.Fatal("a refused upsert changed a customer")
	}

	// Refusals.
	read := newAPIToken(t, s, admin, "READ")
	wantErr(t, s.Do(t, read, cuUpsert, map[string]any{"ids": cuIDs("EMAIL", "new@example.com")}), http.StatusOK, "FORBIDDEN")
	wantField(t, s.Do(t, tok, cuUpsert, map[string]any{"ids": cuIDs("EMAIL", "ok@example.com", "CHANNEL_USER", "u-1")}), "identities[1].kind")
	wantField(t, s.Do(t, tok, cuUpsert, map[string]any{"ids": cuIDs("PHONE", "no phone")}), "identities[0].value")
	wantField(t, s.Do(t, tok, cuUpsert, map[string]any{"ids": []any{}}), "identities")
	wantField(t, s.Do(t, tok, cuUpsert, map[string]any{"ids": cuIDs("EMAIL", "new@example.com"),
		"in": map[string]any{"customAttributes": map[string]any{"orders": "many"}}}), "customAttributes.orders")
	other := s.NewWorkspace(t, "other", "other-admin@example.com")
	foreignTag := createID(t, s, other, `mutation { createTag(input: {name: "x"}) { id } }`, nil)
	wantErr(t, s.Do(t, tok, cuUpsert, map[string]any{"ids": cuIDs("EMAIL", "new@example.com"),
		"in": map[string]any{"addTagIDs": []string{foreignTag}}}), http.StatusOK, "NOT_FOUND")
	if n := countOf(t, s, admin, "customers"); n != count {
		t.Fatalf("refused upserts created customers: %d -> %d", count, n)
	}

	// An agent may upsert too; the identities are theirs.
	byAgent := cuMustUpsert(t, s, admin, cuIDs("EMAIL", "agent-made@example.com"), map[string]any{"name": "Made"})
	if i := byAgent.identity("EMAIL", "agent-made@example.com"); i == nil || !i.Verified || i.Source != "AGENT" {
		t.Fatalf("agent's upsert = %+v", byAgent)
	}
}

// TestCustomerUpsertConcurrent: concurrent upserts of one new identity
// create exactly one customer; concurrent upserts adding one new identity
// to an existing customer add it once.
func TestCustomerUpsertConcurrent(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	tok := newAPIToken(t, s, admin, "WRITE")
	count := countOf(t, s, admin, "customers")
	const n = 8
	run := func(ids func(i int) []map[string]any) []string {
		var wg sync.WaitGroup
		got := make([]string, n)
		errs := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.Do(t, tok, `mutation($ids: [IdentityInput!]!) { upsertCustomerByIdentity(identities: $ids) { id } }`,
					map[string]any{"ids": ids(i)})
				var out struct{ UpsertCustomerByIdentity struct{ ID string } }
				if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
					errs[i] = fmt.Sprintf("%d %+v", r.Status, r.Errors)
					return
				}
				got[i] = out.UpsertCustomerByIdentity.ID
			}()
		}
		wg.Wait()
		for i, e := range errs {
			if e != "" {
				t.Fatalf("upsert %d: %s", i, e)
			}
		}
		return got
	}
	got := run(func(i int) []map[string]any {
		// The same address in different spellings.
		return cuIDs("EMAIL", []string{"race@example.com", " RACE@Example.com ", "Race@EXAMPLE.COM"}[i%3])
	})
	for _, id := range got {
		if id != got[0] {
			t.Fatalf("concurrent upserts returned several customers: %v", got)
		}
	}
	if c := countOf(t, s, admin, "customers"); c != count+1 {
		t.Fatalf("customers %d -> %d, want exactly one more", count, c)
	}

	got = run(func(i int) []map[string]any {
		return cuIDs("EMAIL", "race@example.com", "EXTERNAL_ID", "race-ext")
	})
	for _, id := range got {
		if id != got[0] {
			t.Fatalf("second round returned several customers: %v", got)
		}
	}
	c := cuGet(t, s, admin, got[0])
	if len(c.Identities) != 2 || c.identity("EXTERNAL_ID", "race-ext") == nil {
		t.Fatalf("identities after concurrent upserts = %+v", c.Identities)
	}
}
