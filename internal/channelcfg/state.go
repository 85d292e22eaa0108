package channelcfg

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channelstate"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// state is a channel's channels.State: rows of channel_states, values
// sealed with the secret box (bound to the channel and key), versions
// compared and set by conditional updates, so it is the same store on
// every instance. It never joins the caller's transaction: a receiver's
// checkpoint or a refreshed token stands on its own.
type state struct {
	s         *Service
	channel   gid.ID
	workspace gid.ID
}

// State returns the channel's shared state store.
func (s *Service) State(ch *ent.Channel) channels.State {
	return &state{s: s, channel: ch.ID, workspace: ch.WorkspaceID}
}

func (st *state) ctx(ctx context.Context) context.Context {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	return viewer.NewContext(ctx, viewer.System(st.workspace))
}

func (st *state) aad(key string) []byte { return []byte(string(st.channel) + "\x00" + key) }

func checkStateKey(key string) error {
	if key == "" || len(key) > channels.MaxStateKey {
		return fmt.Errorf("channelcfg: state key must be 1 to %d bytes", channels.MaxStateKey)
	}
	return nil
}

// Get implements channels.State.
func (st *state) Get(ctx context.Context, key string) ([]byte, int64, error) {
	if err := checkStateKey(key); err != nil {
		return nil, 0, err
	}
	row, err := st.s.client.ChannelState.Query().
		Where(channelstate.ChannelID(st.channel), channelstate.Key(key)).Only(st.ctx(ctx))
	if ent.IsNotFound(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("channelcfg: state %s: %w", key, err)
	}
	v, err := st.s.box.Open(row.Value, st.aad(key))
	if err != nil {
		return nil, 0, fmt.Errorf("channelcfg: state %s: %w", key, err)
	}
	return v, row.Version, nil
}

// CompareAndSet implements channels.State.
func (st *state) CompareAndSet(ctx context.Context, key string, value []byte, version int64) (int64, error) {
	if err := checkStateKey(key); err != nil {
		return 0, err
	}
	if len(value) > channels.MaxStateValue {
		return 0, fmt.Errorf("channelcfg: state %s: value longer than %d bytes", key, channels.MaxStateValue)
	}
	ctx = st.ctx(ctx)
	c := st.s.client
	current := channelstate.And(channelstate.ChannelID(st.channel), channelstate.Key(key), channelstate.Version(version))
	if value == nil {
		if version == 0 {
			return 0, nil // nothing to delete
		}
		n, err := c.ChannelState.Delete().Where(current).Exec(ctx)
		if err != nil {
			return 0, fmt.Errorf("channelcfg: state %s: %w", key, err)
		}
		if n == 0 {
			return 0, channels.ErrStale
		}
		return 0, nil
	}
	sealed, err := st.s.box.Seal(value, st.aad(key))
	if err != nil {
		return 0, err
	}
	if version == 0 {
		err := c.ChannelState.Create().SetChannelID(st.channel).SetKey(key).SetValue(sealed).SetVersion(1).Exec(ctx)
		if ent.IsConstraintError(err) {
			return 0, channels.ErrStale // another writer created it first
		}
		if err != nil {
			return 0, fmt.Errorf("channelcfg: state %s: %w", key, err)
		}
		return 1, nil
	}
	n, err := c.ChannelState.Update().Where(current).SetValue(sealed).SetVersion(version + 1).Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("channelcfg: state %s: %w", key, err)
	}
	if n == 0 {
		return 0, channels.ErrStale
	}
	return version + 1, nil
}

var _ channels.State = (*state)(nil)
