package inbox_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/gid"
)

// ingest stores one inbound message from the sender "u1" on the fixture's
// channel.
func (f *fixture) ingest(t *testing.T, id, text string) channels.Stored {
	t.Helper()
	out, err := f.inbox.Ingest(f.ctx, f.ch, []channels.Inbound{{
		ProviderMessageID: id, Text: text, Sender: channels.Sender{ExternalID: "u1", Name: "U"},
	}})
	if err != nil {
		t.Fatalf("ingest %s: %v", id, err)
	}
	return out[0]
}

// TestIngestDedupesOnProviderID: a provider's retry of a message (same
// provider message id on the channel) is acknowledged as a duplicate of
// the stored one and stored once.
func TestIngestDedupesOnProviderID(t *testing.T) {
	f := newFixture(t)
	first := f.ingest(t, "m1", "hello")
	again := f.ingest(t, "m1", "hello")
	if first.Duplicate || !again.Duplicate || again.MessageID != first.MessageID || again.ConversationID != first.ConversationID {
		t.Fatalf("first %+v, retry %+v: want the retry marked duplicate with the same ids", first, again)
	}
	if n := f.client.Message.Query().Where(message.DirectionEQ(message.DirectionINBOUND)).CountX(f.ctx); n != 1 {
		t.Fatalf("%d inbound messages stored, want 1", n)
	}
}

// TestIngestReopenWindow: a customer's next message goes to their open
// conversation; after it is resolved, a message within the reopen window
// (7 days by default) reopens it, and one after the window starts a new
// conversation.
func TestIngestReopenWindow(t *testing.T) {
	f := newFixture(t)
	conv := gid.ID(f.ingest(t, "m1", "hello").ConversationID)
	if got := gid.ID(f.ingest(t, "m2", "still there?").ConversationID); got != conv {
		t.Fatalf("second message went to %s, want the open conversation %s", got, conv)
	}
	resolve := func(ago time.Duration) {
		f.client.Conversation.UpdateOneID(conv).SetStatus(conversation.StatusRESOLVED).
			SetResolvedAt(time.Now().UTC().Add(-ago)).ExecX(f.ctx)
	}
	resolve(time.Hour)
	if got := gid.ID(f.ingest(t, "m3", "one more thing").ConversationID); got != conv {
		t.Fatalf("a message an hour after resolving went to %s, want %s reopened", got, conv)
	}
	if st := f.client.Conversation.GetX(f.ctx, conv).Status; st != conversation.StatusOPEN {
		t.Fatalf("reopened conversation is %s, want OPEN", st)
	}
	resolve(8 * 24 * time.Hour)
	next := gid.ID(f.ingest(t, "m4", "hi again").ConversationID)
	if next == conv {
		t.Fatal("a message eight days after resolving reopened the old conversation; want a new one")
	}
	if st := f.client.Conversation.GetX(f.ctx, conv).Status; st != conversation.StatusRESOLVED {
		t.Fatalf("the old conversation is %s, want it left RESOLVED", st)
	}
}
