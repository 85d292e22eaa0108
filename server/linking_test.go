package server_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

func senderPayload(id, externalID, email, phone, text string) map[string]any {
	snd := map[string]any{"externalID": externalID, "name": "Kim"}
	if email != "" {
		snd["email"] = email
	}
	if phone != "" {
		snd["phone"] = phone
	}
	return map[string]any{"messageID": id, "sender": snd, "text": text}
}

func mustPost(t *testing.T, ch apiChannel, payload map[string]any) string {
	t.Helper()
	status, out := post(t, ch.WebhookURL, apiSecret, time.Now(), payload)
	if status != 200 {
		t.Fatalf("inbound message: status %d %v", status, out)
	}
	return out["conversationID"]
}

func customerOf(t *testing.T, s *testenv.Server, tok, conversationID string) string {
	t.Helper()
	var out struct {
		Node struct{ Customer struct{ ID string } }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { id } } } }`, map[string]any{"id": conversationID}, &out)
	return out.Node.Customer.ID
}

type duplicate struct {
	ID                  string
	Status              string
	Customer, Duplicate struct{ ID string }
	Evidence            []struct {
		Kind, Value                         string
		CustomerVerified, DuplicateVerified bool
	}
}

func duplicates(t *testing.T, s *testenv.Server, tok string) []duplicate {
	t.Helper()
	var out struct {
		CustomerDuplicates struct{ Edges []struct{ Node duplicate } }
	}
	s.MustDo(t, tok, `{ customerDuplicates(first: 50, where: {status: OPEN}) { edges { node { id status customer { id } duplicate { id }
		evidence { kind value customerVerified duplicateVerified } } } } }`, nil, &out)
	var list []duplicate
	for _, e := range out.CustomerDuplicates.Edges {
		list = append(list, e.Node)
	}
	return list
}

// TestIdentityLinking: a sender on a second channel whose verified email a
// customer already has is that customer; a known sender who reveals a
// verified identity of another customer merges automatically when nothing
// conflicts, and becomes a duplicate suggestion when something does;
// accepting merges, dismissing keeps them apart for good.
func TestIdentityLinking(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	var me struct {
		Viewer struct{ Workspace struct{ ID string } }
	}
	s.MustDo(t, tok, `{ viewer { workspace { id } } }`, nil, &me)
	s.MustDo(t, tok, `mutation($id: ID!) { updateWorkspace(id: $id, input: {defaultPhoneRegion: "CN"}) { id } }`,
		map[string]any{"id": me.Viewer.Workspace.ID}, nil)
	a, b, c := createAPIChannel(t, s, tok, ""), createAPIChannel(t, s, tok, ""), createAPIChannel(t, s, tok, "")

	// Kim writes on A with her email, then on B with the same email
	// (another case) and her phone: one customer.
	kim := customerOf(t, s, tok, mustPost(t, a, senderPayload("a1", "a-kim", "Kim@Example.com", "", "hello from A")))
	onB := customerOf(t, s, tok, mustPost(t, b, senderPayload("b1", "b-kim", "kim@example.COM", "138 0013 8000", "hello from B")))
	if onB != kim {
		t.Fatalf("the same verified email on a second channel made customer %s, not %s", onB, kim)
	}
	if cu, cv, _ := countMessages(t, s, tok); cu != 1 || cv != 2 {
		t.Fatalf("%d customers and %d conversations, want 1 and 2", cu, cv)
	}

	// Someone on C without contact details is a new customer; when they
	// later show Kim's verified phone, nothing conflicts: merged
	// automatically, the history follows.
	convC := mustPost(t, c, senderPayload("c1", "c-kim", "", "", "hi from C"))
	if customerOf(t, s, tok, convC) == kim {
		t.Fatal("a sender without identities was matched to Kim")
	}
	mustPost(t, c, senderPayload("c2", "c-kim", "", "+86 138-0013-8000", "it's Kim again"))
	if got := customerOf(t, s, tok, convC); got != kim {
		t.Fatalf("after revealing Kim's phone the conversation belongs to %s, not Kim %s", got, kim)
	}
	var merges struct {
		Node struct {
			Name string
		}
		CustomerDuplicates struct{ TotalCount int }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Customer { name } } customerDuplicates { totalCount } }`, map[string]any{"id": kim}, &merges)
	if merges.CustomerDuplicates.TotalCount != 0 {
		t.Fatalf("an automatic merge left %d suggestions", merges.CustomerDuplicates.TotalCount)
	}

	// Another account on A (a second id on the same channel) showing
	// Kim's phone conflicts: a suggestion, not a merge.
	other := customerOf(t, s, tok, mustPost(t, a, senderPayload("a2", "a-kim-2", "kim.work@example.com", "", "work account")))
	mustPost(t, a, senderPayload("a3", "a-kim-2", "", "13800138000", "same phone"))
	if customerOf(t, s, tok, mustPost(t, a, senderPayload("a4", "a-kim-2", "", "", "still me"))) != other {
		t.Fatal("a conflicting identity merged automatically")
	}
	dups := duplicates(t, s, tok)
	if len(dups) != 1 || dups[0].Customer.ID != kim || dups[0].Duplicate.ID != other ||
		len(dups[0].Evidence) != 1 || dups[0].Evidence[0].Kind != "PHONE" || dups[0].Evidence[0].Value != "+8613800138000" ||
		!dups[0].Evidence[0].CustomerVerified || dups[0].Evidence[0].DuplicateVerified {
		t.Fatalf("suggestions: %+v", dups)
	}

	// Dismissed: the pair is not suggested again.
	s.MustDo(t, tok, `mutation($id: ID!) { dismissDuplicate(id: $id) }`, map[string]any{"id": dups[0].ID}, nil)
	mustPost(t, a, senderPayload("a5", "a-kim-2", "", "0086 138 0013 8000", "me again"))
	if d := duplicates(t, s, tok); len(d) != 0 {
		t.Fatalf("a dismissed pair was suggested again: %+v", d)
	}
	r := s.Do(t, tok, `mutation($id: ID!) { acceptDuplicate(id: $id) { id } }`, map[string]any{"id": dups[0].ID})
	if codes := r.Codes(); !slices.Equal(codes, []string{"CONFLICT"}) {
		t.Fatalf("accepting a dismissed suggestion: %v", codes)
	}

	// A new conflict, accepted: merged into the customer who had it first.
	third := customerOf(t, s, tok, mustPost(t, b, senderPayload("b2", "b-other", "other@example.com", "", "hi")))
	mustPost(t, b, senderPayload("b3", "b-other", "", "13800138000", "phone"))
	// Suggested twice: with Kim (who has the phone verified) and with the
	// work account (which claims it).
	var withKim *duplicate
	for _, d := range duplicates(t, s, tok) {
		if d.Customer.ID == kim && d.Duplicate.ID == third {
			withKim = &d
		}
	}
	if withKim == nil {
		t.Fatalf("no suggestion of %s as Kim: %+v", third, duplicates(t, s, tok))
	}
	dups = []duplicate{*withKim}
	var acc struct {
		AcceptDuplicate struct {
			Primary, Secondary struct{ ID string }
		}
	}
	s.MustDo(t, tok, `mutation($id: ID!) { acceptDuplicate(id: $id) { primary { id } secondary { id } } }`, map[string]any{"id": dups[0].ID}, &acc)
	if acc.AcceptDuplicate.Primary.ID != kim || acc.AcceptDuplicate.Secondary.ID != third {
		t.Fatalf("accepted: %+v", acc)
	}
	// The other suggestion about the merged-away customer is closed, not
	// left open to be accepted into a tombstone.
	for _, d := range duplicates(t, s, tok) {
		if d.Customer.ID == third || d.Duplicate.ID == third {
			t.Fatalf("a suggestion about the merged-away customer is still open: %+v", d)
		}
	}
	var closed struct {
		CustomerDuplicates struct{ Edges []struct{ Node duplicate } }
	}
	s.MustDo(t, tok, `{ customerDuplicates(where: {status: CLOSED}) { edges { node { id status customer { id } duplicate { id } } } } }`, nil, &closed)
	if e := closed.CustomerDuplicates.Edges; len(e) != 1 || e[0].Node.Duplicate.ID != third || e[0].Node.Customer.ID != other {
		t.Fatalf("closed suggestions: %+v", e)
	}
	r = s.Do(t, tok, `mutation($id: ID!) { acceptDuplicate(id: $id) { id } }`, map[string]any{"id": closed.CustomerDuplicates.Edges[0].Node.ID})
	if codes := r.Codes(); !slices.Equal(codes, []string{"CONFLICT"}) {
		t.Fatalf("accepting a closed suggestion: %v", codes)
	}
}

// TestConcurrentNewIdentity: the first messages of one new person on two
// channels at once, with the same verified email, make one customer.
func TestConcurrentNewIdentity(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	chans := []apiChannel{createAPIChannel(t, s, tok, ""), createAPIChannel(t, s, tok, "")}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		for j, ch := range chans {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := senderPayload(fmt.Sprint("m-", i, "-", j), fmt.Sprint("user-", j), "new.person@example.com", "", "hi")
				if status, out := post(t, ch.WebhookURL, apiSecret, time.Now(), p); status != 200 {
					t.Errorf("message: %d %v", status, out)
				}
			}()
		}
	}
	wg.Wait()
	if cu, cv, m := countMessages(t, s, tok); cu != 1 || cv != 2 || m != 20 {
		t.Fatalf("%d customers, %d conversations, %d messages; want 1, 2, 20", cu, cv, m)
	}
}
