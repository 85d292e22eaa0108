package inbox

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Deliver stores what one webhook request or one receiver fetch carried
// in ONE transaction: its messages (see Ingest), then its delivery
// receipts (see applyReceipt), then its channel events (see
// recordChannelEvent), then its calls (see recordCall). It returns where each message was stored, in
// order. A transaction that loses a race on a unique index (two deliveries
// of one message, two first messages of one sender) is retried by
// store.InTx and then finds what the winner stored.
//
// Before the transaction every message goes through channels.Sanitize, so
// that what an adapter let through and no column can hold (over-long ids
// and names, NUL characters, invalid UTF-8) is stored changed, with a note
// in Message.metadata, instead of failing the same way on every retry.
func (s *Service) Deliver(ctx context.Context, ch *ent.Channel, d *channels.Delivery) ([]channels.Stored, error) {
	ctx = viewer.NewContext(ctx, viewer.System(ch.WorkspaceID))
	ctx = events.WithCause(ctx, events.Cause{Kind: events.CauseChannel, ID: ch.ID})
	clean := make([]channels.Inbound, len(d.Messages))
	for i, m := range d.Messages {
		channels.Sanitize(&m)
		clean[i] = m
	}
	evs := make([]channels.Event, len(d.Events))
	for i, ev := range d.Events {
		channels.SanitizeEvent(&ev)
		evs[i] = ev
	}
	receipts := make([]channels.Receipt, len(d.Receipts))
	for i, r := range d.Receipts {
		channels.SanitizeReceipt(&r)
		receipts[i] = r
	}
	calls := make([]channels.Call, len(d.Calls))
	for i, cl := range d.Calls {
		channels.SanitizeCall(&cl)
		calls[i] = cl
	}
	// Files carried in full are stored before the transaction, never in
	// it; their rows are written in it.
	staged, err := s.stage(ctx, ch, clean)
	if err != nil {
		return nil, err
	}
	var out []channels.Stored
	err = store.InTx(ctx, s.client, func(ctx context.Context) error {
		out = out[:0] // a retry starts over
		for i, m := range clean {
			st, err := s.ingestOne(ctx, ch, m)
			if err != nil {
				return err
			}
			if !st.Duplicate {
				if err := s.attachStaged(ctx, ch, gid.ID(st.MessageID), staged[i]); err != nil {
					return err
				}
			}
			out = append(out, st)
		}
		for _, r := range receipts {
			if err := s.applyReceipt(ctx, ch, r); err != nil {
				return err
			}
		}
		for _, ev := range evs {
			if err := s.recordChannelEvent(ctx, ch, ev); err != nil {
				return err
			}
		}
		for _, cl := range calls {
			if err := s.recordCall(ctx, ch, cl); err != nil {
				return err
			}
		}
		return nil
	})
	for i, set := range staged {
		if err != nil || out[i].Duplicate {
			set.discard(s.files)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: ingest: %w", err)
	}
	return out, nil
}
