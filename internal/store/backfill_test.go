package store_test

import (
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestBackfillMessageCustomers: messages stored without a customer_id get
// their conversation's customer when the schema is migrated.
func TestBackfillMessageCustomers(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	cust := c.Customer.Create().SetName("C").SaveX(ctx)
	ch := c.Channel.Create().SetKind("api").SetName("A").SetKey("k").SaveX(ctx)
	conv := c.Conversation.Create().SetCustomerID(cust.ID).SetChannelID(ch.ID).SaveX(ctx)
	create := func() *ent.MessageCreate {
		return c.Message.Create().SetConversationID(conv.ID).SetChannelID(ch.ID).
			SetDirection(message.DirectionINBOUND).SetSenderKind(message.SenderKindCUSTOMER).SetBody("x")
	}
	old := create().SaveX(ctx)                     // as stored before messages had a customer
	empty := create().SetCustomerID("").SaveX(ctx) // or with an empty one
	if got := c.Message.GetX(ctx, old.ID).CustomerID; got != "" {
		t.Fatalf("message stored with customer %q", got)
	}
	if err := store.Migrate(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*ent.Message{old, empty} {
		if got := c.Message.GetX(ctx, m.ID).CustomerID; got != cust.ID {
			t.Errorf("message %s has customer %q after migrating, want %s", m.ID, got, cust.ID)
		}
	}
}

// TestBackfillAgentLoads: agents stored before agents had a load get the
// count of their OPEN and PENDING conversations when the schema is
// migrated; agents with a load keep it.
func TestBackfillAgentLoads(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	cust := c.Customer.Create().SetName("C").SaveX(ctx)
	ch := c.Channel.Create().SetKind("api").SetName("A").SetKey("k").SaveX(ctx)
	ag := c.Agent.Create().SetName("A").SetEmail("a@example.com").SetPasswordHash("x").SaveX(ctx)
	for _, st := range []conversation.Status{conversation.StatusOPEN, conversation.StatusPENDING, conversation.StatusRESOLVED, conversation.StatusSNOOZED} {
		c.Conversation.Create().SetCustomerID(cust.ID).SetChannelID(ch.ID).SetAssigneeID(ag.ID).SetStatus(st).SaveX(ctx)
	}
	if err := store.Migrate(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := c.Agent.GetX(ctx, ag.ID).Load; got != 2 {
		t.Fatalf("load %d after migrating, want 2 (one OPEN, one PENDING)", got)
	}
}
