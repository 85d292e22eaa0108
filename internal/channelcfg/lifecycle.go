package channelcfg

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// Verify checks a channel's credentials with its provider and records the
// outcome. It must run outside any transaction: the provider call may take
// seconds, and on SQLite a transaction holds the write lock.
func (s *Service) Verify(ctx context.Context, id gid.ID) (*ent.Channel, error) {
	c := s.db(ctx)
	if ent.TxFromContext(ctx) != nil {
		return nil, fmt.Errorf("channelcfg: verify must not run in a transaction")
	}
	ch, err := c.Channel.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := s.Adapter(ch)
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config(ch)
	if err != nil {
		return nil, err
	}
	vctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	verr := a.Verify(vctx, cfg)
	cancel()
	upd := c.Channel.UpdateOneID(id)
	if verr != nil {
		upd.SetVerificationState(channel.VerificationStateFAILED).SetVerificationError(truncate(verr.Error(), 1000)).ClearVerifiedAt()
	} else {
		upd.SetVerificationState(channel.VerificationStateVERIFIED).ClearVerificationError().SetVerifiedAt(s.now())
	}
	return upd.Save(ctx)
}

// SetEnabled turns a channel on or off. A kind that needs credentials can
// be enabled only once they are verified.
func (s *Service) SetEnabled(ctx context.Context, id gid.ID, enabled bool) (*ent.Channel, error) {
	c := s.db(ctx)
	ch, err := c.Channel.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if enabled {
		a, err := s.Adapter(ch)
		if err != nil {
			return nil, err
		}
		if a.Describe().NeedsCredentials && ch.VerificationState != channel.VerificationStateVERIFIED {
			return nil, apperr.New(apperr.Conflict, "verify the channel's credentials before enabling it")
		}
	}
	return c.Channel.UpdateOne(ch).SetEnabled(enabled).Save(ctx)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
