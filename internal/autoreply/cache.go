package autoreply

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/gid"
)

// configTTL bounds how long the consumer keeps a workspace's
// configurations: a change saved on this instance applies at once (Set
// forgets them when it commits), one saved on another instance within
// this long.
const configTTL = 5 * time.Second

// configCache keeps each workspace's active configurations, by channel,
// so that a batch of a workspace without auto-replies costs nothing.
type configCache struct {
	mu sync.Mutex
	m  map[gid.ID]cachedConfigs
}

type cachedConfigs struct {
	byChannel map[gid.ID]*config
	until     time.Time
}

// configs returns the workspace's channels' active configurations, read
// at most every configTTL.
func (s *Service) configs(ctx context.Context, ws gid.ID) (map[gid.ID]*config, error) {
	s.cache.mu.Lock()
	c, ok := s.cache.m[ws]
	s.cache.mu.Unlock()
	if ok && time.Now().Before(c.until) {
		return c.byChannel, nil
	}
	cfgs, err := s.client.AutoReplyConfig.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("autoreply: configurations: %w", err)
	}
	out := map[gid.ID]*config{}
	for _, c := range cfgs {
		if c.Welcome.Enabled || c.OutOfHours.Enabled || c.AllAgentsBusy.Enabled || len(c.Keywords) > 0 {
			out[c.ChannelID] = &config{AutoReplyConfig: c, keywords: compileKeywords(c.Keywords)}
		}
	}
	s.cache.mu.Lock()
	if s.cache.m == nil {
		s.cache.m = map[gid.ID]cachedConfigs{}
	}
	s.cache.m[ws] = cachedConfigs{byChannel: out, until: time.Now().Add(configTTL)}
	s.cache.mu.Unlock()
	return out, nil
}

// forget drops a workspace's cached configurations.
func (s *Service) forget(ws gid.ID) {
	s.cache.mu.Lock()
	delete(s.cache.m, ws)
	s.cache.mu.Unlock()
}
