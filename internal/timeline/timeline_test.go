package timeline_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/timeline"
	"github.com/switchboard/switchboard/internal/viewer"
)

// TestOrderAndPages stores entries of every kind at awkward times (equal
// ones across kinds, fractions that differ by trailing digits, none at
// all: SQLite compares them as text) and checks that every page size, both
// ways, walks them in (time, key) order.
func TestOrderAndPages(t *testing.T) {
	ctx, c, cust, want := seed(t)
	all := page(t, ctx, c, cust, timeline.Args{First: ptr(100)})
	if got := keysOf(all.Entries); !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline =\n%v\nwant\n%v", got, want)
	}
	if n, err := timeline.New(c).Count(ctx, cust); err != nil || n != len(want) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(want))
	}
	for size := 1; size <= len(want); size++ {
		var fwd, back []timeline.Key
		var after, before *timeline.Key
		for {
			p := page(t, ctx, c, cust, timeline.Args{First: ptr(size), After: after})
			fwd = append(fwd, keysOf(p.Entries)...)
			if !p.HasNextPage {
				break
			}
			after = &p.Entries[len(p.Entries)-1].Key
		}
		for {
			p := page(t, ctx, c, cust, timeline.Args{Last: ptr(size), Before: before})
			back = append(keysOf(p.Entries), back...)
			if !p.HasPreviousPage {
				break
			}
			before = &p.Entries[0].Key
		}
		if !reflect.DeepEqual(fwd, want) || !reflect.DeepEqual(back, want) {
			t.Fatalf("pages of %d: forward\n%v\nbackward\n%v\nwant\n%v", size, fwd, back, want)
		}
	}
	// Between two cursors.
	p := page(t, ctx, c, cust, timeline.Args{First: ptr(100), After: &want[1], Before: &want[6]})
	if got := keysOf(p.Entries); !reflect.DeepEqual(got, want[2:6]) || !p.HasNextPage || !p.HasPreviousPage {
		t.Errorf("between = %v %+v, want %v", got, p, want[2:6])
	}
}

// TestAnotherWorkspace: a viewer of another workspace gets nothing, even
// handed the customer.
func TestAnotherWorkspace(t *testing.T) {
	_, c, cust, _ := seed(t)
	other := viewer.NewContext(context.Background(), viewer.System(gid.New("Workspace")))
	p := page(t, other, c, cust, timeline.Args{First: ptr(100)})
	if len(p.Entries) != 0 {
		t.Errorf("another workspace sees %d entries", len(p.Entries))
	}
}

func TestArgs(t *testing.T) {
	ctx, c, cust, _ := seed(t)
	for _, a := range []timeline.Args{{First: ptr(1), Last: ptr(1)}, {First: ptr(-1)}, {Last: ptr(-1)}} {
		if _, err := timeline.New(c).Load(ctx, cust, a, timeline.Loaders{}); err == nil {
			t.Errorf("Load(%+v) accepted", a)
		}
	}
	if p := page(t, ctx, c, cust, timeline.Args{}); len(p.Entries) != timeline.DefaultPageSize || !p.HasNextPage {
		t.Errorf("default page has %d entries", len(p.Entries))
	}
}

func page(t *testing.T, ctx context.Context, c *ent.Client, cust *ent.Customer, a timeline.Args) *timeline.Page {
	t.Helper()
	p, err := timeline.New(c).Load(ctx, cust, a, timeline.Loaders{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Entries {
		if e.Message == nil && e.Activity == nil && e.Merge == nil {
			t.Fatalf("entry %+v without its row", e)
		}
	}
	return p
}

func keysOf(es []timeline.Entry) []timeline.Key {
	out := make([]timeline.Key, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}

func ptr(n int) *int { return &n }

// seed stores a workspace, a customer with a conversation, and entries of
// every kind; it returns the viewer's context, the client, the customer
// and the keys of the entries in the order the timeline must give them.
func seed(t *testing.T) (context.Context, *ent.Client, *ent.Customer, []timeline.Key) {
	db := testenv.OpenDB(t)
	c := ent.NewClient(ent.Driver(db.Driver))
	allow := privacy.DecisionContext(context.Background(), privacy.Allow)
	if _, err := db.Migrate(allow); err != nil {
		t.Fatal(err)
	}
	ws := c.Workspace.Create().SetName("W").SetSlug("w").SaveX(allow)
	ctx := viewer.NewContext(allow, viewer.System(ws.ID))
	cust := c.Customer.Create().SetName("C").SaveX(ctx)
	other := c.Customer.Create().SetName("D").SaveX(ctx)
	ch := c.Channel.Create().SetKind("api").SetName("A").SetKey("k").SaveX(ctx)
	conv := c.Conversation.Create().SetCustomerID(cust.ID).SetChannelID(ch.ID).SaveX(ctx)
	otherConv := c.Conversation.Create().SetCustomerID(other.ID).SetChannelID(ch.ID).SaveX(ctx)

	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	var want []timeline.Key
	msg := func(when time.Time, conv *ent.Conversation) {
		m := c.Message.Create().SetConversationID(conv.ID).SetChannelID(ch.ID).SetCustomerID(conv.CustomerID).
			SetDirection("INBOUND").SetSenderKind("CUSTOMER").SetBody("x").SetCreatedAt(when).SaveX(ctx)
		if conv.CustomerID == cust.ID {
			want = append(want, timeline.Key{At: when, Key: string(m.ID)})
		}
	}
	act := func(when time.Time) {
		a := c.ConversationActivity.Create().SetConversationID(conv.ID).SetCustomerID(cust.ID).
			SetKind(conversationactivity.KindOPENED).SetOccurredAt(when).SaveX(ctx)
		want = append(want, timeline.Key{At: when, Key: string(a.ID)})
	}
	for _, d := range []time.Duration{0, 100 * time.Millisecond, 120 * time.Millisecond, time.Second, time.Second + time.Microsecond} {
		msg(at(d), conv)
		act(at(d)) // the same time as a message
		msg(at(d), otherConv)
	}
	for i := 3; i < 11; i++ {
		msg(at(time.Duration(i)*time.Second+time.Duration(i)*10*time.Microsecond), conv)
	}
	act(at(999 * time.Millisecond))
	act(at(-time.Hour))
	merge := c.CustomerMerge.Create().SetPrimaryID(cust.ID).SetSecondaryID(other.ID).
		SetMergedAt(at(120 * time.Millisecond)).SetUnmergedAt(at(2 * time.Second)).
		SetSnapshot(&schematype.MergeSnapshot{}).SaveX(ctx)
	want = append(want, timeline.Key{At: merge.MergedAt, Key: string(merge.ID)},
		timeline.Key{At: *merge.UnmergedAt, Key: string(merge.ID) + ":unmerged"})
	// The expected order, worked out in Go: time, then key (ids have the
	// same length, so byte order is every collation's order here).
	slices.SortFunc(want, func(a, b timeline.Key) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.Key < b.Key {
			return -1
		}
		return 1
	})
	return ctx, c, cust, want
}
