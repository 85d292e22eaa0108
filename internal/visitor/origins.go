package visitor

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/webchat"
)

func privacyAllow(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// Origins knows which browser origins any enabled web channel allows, for
// the HTTP edge's first check (the visitor's own channel is checked after
// authentication). The list is read from the database at most once a
// second when an origin is not in it, and every ten seconds otherwise, so
// a channel added on another instance is seen at once and a removed origin
// within seconds.
type Origins struct {
	client *ent.Client
	now    func() time.Time

	mu     sync.Mutex
	set    map[string]bool
	loaded time.Time
}

const (
	originsMaxAge   = 10 * time.Second
	originsMinDelay = time.Second
)

func newOrigins(client *ent.Client, now func() time.Time) *Origins {
	return &Origins{client: client, now: now}
}

// Listed reports whether some enabled web channel allows origin.
func (o *Origins) Listed(ctx context.Context, origin string) (bool, error) {
	key := webchat.NormalizeOrigin(origin)
	o.mu.Lock()
	defer o.mu.Unlock()
	age := o.now().Sub(o.loaded)
	if o.set != nil && age < originsMaxAge && (o.set[key] || age < originsMinDelay) {
		return o.set[key], nil
	}
	chs, err := o.client.Channel.Query().
		Where(channel.Kind(webchat.Kind), channel.Enabled(true)).
		Select(channel.FieldSettings).
		All(privacyAllow(ctx))
	if err != nil {
		return false, err
	}
	set := map[string]bool{}
	for _, ch := range chs {
		for _, s := range webchat.AllowedOrigins(ch.Settings) {
			set[s] = true
		}
	}
	o.set, o.loaded = set, o.now()
	return set[key], nil
}

// Forget drops the cached list, so the next check reads it again (after
// this instance changes a web channel).
func (o *Origins) Forget() {
	o.mu.Lock()
	o.set = nil
	o.mu.Unlock()
}
