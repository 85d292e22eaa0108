package graph

import (
	"sync"
	"sync/atomic"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Sockets is this instance's registry of live websocket connections, by
// workspace and by the ids their credential rests on (auth.CredentialIDs:
// the agent, the API token, a visitor's channel). A credentials signal
// finds its connections by lookup, without a scan of every socket, and
// asks each to re-authenticate at once. The zero value is ready; a nil
// *Sockets registers nothing (connections then rely on the periodic
// re-check).
type Sockets struct {
	mu    sync.Mutex
	by    map[gid.ID]map[gid.ID]map[*connection]struct{} // workspace -> credential id -> connections
	n     int
	heard atomic.Uint64 // credentials signals handled so far
}

// NewSockets returns an empty registry.
func NewSockets() *Sockets { return &Sockets{} }

// Len returns the number of registered connections.
func (s *Sockets) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// CredentialsChanged asks the connections whose credential rests on an id
// the signal names (auth.CredentialsChanged) to re-authenticate. It does
// not block: each connection's watcher does the checking. Wire it with
// events.Log.OnSignal(events.SignalCredentials, ...).
func (s *Sockets) CredentialsChanged(sig *events.Signal) {
	c, ok := auth.DecodeCredentialsChanged(sig)
	if !ok {
		return
	}
	s.heard.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	byID := s.by[sig.WorkspaceID]
	for _, id := range c.IDs() {
		for conn := range byID[id] {
			conn.recheckNow()
		}
	}
}

// heardSoFar counts the credentials signals handled; a connection compares
// it across its authentication to learn whether one may have passed it by.
func (s *Sockets) heardSoFar() uint64 {
	return s.heard.Load()
}

// add registers a connection of actor; remove unregisters it (once).
func (s *Sockets) add(a *viewer.Actor, conn *connection) (remove func()) {
	ids := auth.CredentialIDs(a)
	if len(ids) == 0 {
		return func() {}
	}
	s.mu.Lock()
	if s.by == nil {
		s.by = map[gid.ID]map[gid.ID]map[*connection]struct{}{}
	}
	byID := s.by[a.WorkspaceID]
	if byID == nil {
		byID = map[gid.ID]map[*connection]struct{}{}
		s.by[a.WorkspaceID] = byID
	}
	for _, id := range ids {
		if byID[id] == nil {
			byID[id] = map[*connection]struct{}{}
		}
		byID[id][conn] = struct{}{}
	}
	s.n++
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			byID := s.by[a.WorkspaceID]
			for _, id := range ids {
				delete(byID[id], conn)
				if len(byID[id]) == 0 {
					delete(byID, id)
				}
			}
			if len(byID) == 0 {
				delete(s.by, a.WorkspaceID)
			}
			s.n--
		})
	}
}
