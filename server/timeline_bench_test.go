package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

// timelineBenchEntries is the size of the benchmark customer's history.
const timelineBenchEntries = 100_000

const timelineBenchQuery = `query($id: ID!, $first: Int, $after: Cursor, $last: Int) {
	node(id: $id) { ... on Customer { timeline(first: $first, after: $after, last: $last) {
		%s pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node {
			__typename id occurredAt
			... on MessageEntry { message { id body direction private createdAt author { id name } channel { id name } } }
			... on ConversationActivity { kind reason conversation { id status } actor { id name } agent { id name } }
		} }
	} } }
}`

// BenchmarkTimeline measures Customer.timeline over HTTP for a customer
// with 100,000 entries (9 messages to 1 conversation step, over 200
// conversations): a page of 50 from the middle (after a cursor), the
// last page (last: 50), each with and without totalCount. Seeding takes a
// few seconds and runs only with -bench. On PostgreSQL the tables are
// vacuumed and analyzed after seeding, as autovacuum would; SQLite runs
// without statistics, as Switchboard leaves it.
func BenchmarkTimeline(b *testing.B) {
	s := testenv.New(b)
	tok := s.AdminToken(b)
	customer, middle := seedTimeline(b, s, tok, timelineBenchEntries)
	for _, c := range []struct {
		name string
		vars map[string]any
	}{
		{"middle_first50", map[string]any{"first": 50, "after": middle}},
		{"last50", map[string]any{"last": 50}},
	} {
		for _, total := range []string{"", "totalCount"} {
			name := c.name
			if total != "" {
				name += "_totalCount"
			}
			q := strings.Replace(timelineBenchQuery, "%s", total, 1)
			vars := map[string]any{"id": customer}
			for k, v := range c.vars {
				vars[k] = v
			}
			b.Run(name, func(b *testing.B) {
				var out struct {
					Node struct {
						Timeline struct{ Edges []struct{ Cursor string } }
					}
				}
				s.MustDo(b, tok, q, vars, &out)
				if len(out.Node.Timeline.Edges) != 50 {
					b.Fatalf("page has %d entries", len(out.Node.Timeline.Edges))
				}
				b.ResetTimer()
				for b.Loop() {
					s.MustDo(b, tok, q, vars, &struct{}{})
				}
			})
		}
	}
}

// seedTimeline stores n timeline entries for a new customer in one
// transaction, in bulk, and returns the customer and the cursor of the
// entry in the middle. It runs without an actor (privacy allowed, the
// workspace set on each row), so the tenant hook does not look up every
// row's edges.
func seedTimeline(b *testing.B, s *testenv.Server, tok string, n int) (string, string) {
	var setup struct {
		CreateChannel  struct{ ID string }
		CreateCustomer struct{ ID string }
		Viewer         struct{ ID string }
	}
	s.MustDo(b, tok, `mutation { createChannel(input: {kind: "api", name: "App"}) { id } createCustomer(input: {name: "Long history"}) { id } }`, nil, &setup)
	s.MustDo(b, tok, `{ viewer { id } }`, nil, &setup)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	cust, err := s.App.Client.Customer.Get(ctx, gid.ID(setup.CreateCustomer.ID))
	if err != nil {
		b.Fatal(err)
	}
	ws, ch, agent := cust.WorkspaceID, gid.ID(setup.CreateChannel.ID), gid.ID(setup.Viewer.ID)

	tx, err := s.App.Client.Tx(ctx)
	if err != nil {
		b.Fatal(err)
	}
	convs := make([]*ent.ConversationCreate, 200)
	for i := range convs {
		convs[i] = tx.Conversation.Create().SetWorkspaceID(ws).SetCustomerID(cust.ID).SetChannelID(ch)
	}
	conversations, err := tx.Conversation.CreateBulk(convs...).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().UTC().Add(-time.Duration(n) * time.Second).Truncate(time.Microsecond)
	kinds := []conversationactivity.Kind{conversationactivity.KindOPENED, conversationactivity.KindASSIGNED,
		conversationactivity.KindRESOLVED, conversationactivity.KindREOPENED}
	var middle string
	var msgs []*ent.MessageCreate
	var acts []*ent.ConversationActivityCreate
	flush := func() {
		if err := tx.Message.CreateBulk(msgs...).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		if err := tx.ConversationActivity.CreateBulk(acts...).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		msgs, acts = msgs[:0], acts[:0]
	}
	for i := 0; i < n; i++ {
		at := base.Add(time.Duration(i)*time.Second + time.Duration(i%997)*time.Microsecond)
		conv := conversations[i*len(conversations)/n]
		var id gid.ID
		if i%10 == 0 {
			id = gid.New("ConversationActivity")
			a := tx.ConversationActivity.Create().SetID(id).SetWorkspaceID(ws).SetConversationID(conv.ID).
				SetCustomerID(cust.ID).SetKind(kinds[i/10%4]).SetActorID(agent).SetOccurredAt(at)
			if kinds[i/10%4] == conversationactivity.KindASSIGNED {
				a.SetAgentID(agent).SetReason(conversationactivity.ReasonMANUAL)
			}
			acts = append(acts, a)
		} else {
			id = gid.New("Message")
			m := tx.Message.Create().SetID(id).SetWorkspaceID(ws).SetConversationID(conv.ID).SetChannelID(ch).
				SetCustomerID(cust.ID).SetBody("a message of a long history").SetCreatedAt(at).
				SetDirection(message.DirectionINBOUND).SetSenderKind(message.SenderKindCUSTOMER)
			if i%2 == 0 {
				m.SetDirection(message.DirectionOUTBOUND).SetSenderKind(message.SenderKindAGENT).SetAuthorID(agent)
			}
			msgs = append(msgs, m)
		}
		if i == n/2 {
			middle = benchCursor(b, id, at)
		}
		if len(msgs)+len(acts) == 2000 {
			flush()
		}
	}
	flush()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if s.App.DB.URL != "" {
		// What autovacuum does soon after such a load in production: the
		// planner's statistics and the visibility map (index-only counts).
		for _, t := range []string{"messages", "conversation_activities", "customer_merges", "customers"} {
			if _, err := s.App.DB.SQL.Exec("VACUUM ANALYZE " + t); err != nil {
				b.Fatal(err)
			}
		}
	}
	return string(cust.ID), middle
}

// benchCursor is the cursor the timeline hands out for an entry.
func benchCursor(b *testing.B, id gid.ID, at time.Time) string {
	var buf bytes.Buffer
	entgql.Cursor[gid.ID]{ID: id, Value: at.UTC().Format(time.RFC3339Nano)}.MarshalGQL(&buf)
	return strings.Trim(buf.String(), `"`)
}
