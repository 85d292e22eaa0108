package channelcfg

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/channels"
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
// be enabled only once they are verified. For kinds that register with
// their provider (channels.Enabler), Enable runs before the channel is
// marked enabled, and its failure refuses the change; Disable runs after
// it is marked disabled, and its failure is returned with the channel
// left disabled. Either way the provider call runs outside any
// transaction, which SetEnabled must not be called in for such kinds.
func (s *Service) SetEnabled(ctx context.Context, id gid.ID, enabled bool) (*ent.Channel, error) {
	c := s.db(ctx)
	ch, err := c.Channel.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := s.Adapter(ch)
	if err != nil {
		return nil, err
	}
	if enabled && a.Describe().NeedsCredentials && ch.VerificationState != channel.VerificationStateVERIFIED {
		return nil, apperr.New(apperr.Conflict, "verify the channel's credentials before enabling it")
	}
	hook, hooked := a.(channels.Enabler)
	if !hooked || ch.Enabled == enabled {
		return c.Channel.UpdateOne(ch).SetEnabled(enabled).Save(ctx)
	}
	if ent.TxFromContext(ctx) != nil {
		return nil, fmt.Errorf("channelcfg: enabling a %s channel must not run in a transaction", ch.Kind)
	}
	cfg, err := s.Config(ch)
	if err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if enabled {
		if err := hook.Enable(hctx, cfg); err != nil {
			return nil, apperr.New(apperr.Conflict, "the provider refused to enable the channel: %s", truncate(err.Error(), 500))
		}
		return c.Channel.UpdateOne(ch).SetEnabled(true).Save(ctx)
	}
	ch, err = c.Channel.UpdateOne(ch).SetEnabled(false).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := hook.Disable(hctx, cfg); err != nil {
		return ch, apperr.New(apperr.Conflict, "the channel is disabled, but the provider could not be told: %s", truncate(err.Error(), 500))
	}
	return ch, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Templates lists a channel's approved templates: none for kinds that
// send no templates. It may run inside a transaction: adapters answer
// from settings or from what they cached in the channel's state.
func (s *Service) Templates(ctx context.Context, ch *ent.Channel) ([]channels.Template, error) {
	a, err := s.Adapter(ch)
	if err != nil {
		return nil, err
	}
	t, ok := a.(channels.Templater)
	if !ok {
		return nil, nil
	}
	cfg, err := s.Config(ch)
	if err != nil {
		return nil, err
	}
	return t.Templates(ctx, cfg)
}
