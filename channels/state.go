package channels

import (
	"context"
	"errors"
	"sync"
)

// State is a channel's small key-value store, shared by every instance:
// an access token one instance refreshes and all use, a receiver's
// checkpoint (IMAP UIDVALIDITY and last UID), a cursor. Values are kept
// encrypted like the channel's secrets. Updates are compare-and-set on a
// version, so two instances cannot both refresh a token unnoticed.
type State interface {
	// Get returns the value under key and its version; version 0 and a
	// nil value when the key is not set.
	Get(ctx context.Context, key string) (value []byte, version int64, err error)
	// CompareAndSet stores value under key if its version is still
	// version (0: not set yet) and returns the new version; ErrStale when
	// another writer got there first. A nil value deletes the key.
	CompareAndSet(ctx context.Context, key string, value []byte, version int64) (int64, error)
}

// ErrStale is CompareAndSet's answer when the value changed since it was
// read: read it again.
var ErrStale = errors.New("channels: state changed since it was read")

// Limits of State: a key is at most MaxStateKey bytes, a value at most
// MaxStateValue bytes.
const (
	MaxStateKey   = 128
	MaxStateValue = 64 << 10
)

// MemoryState is a State kept in memory, for tests and tools.
type MemoryState struct {
	mu sync.Mutex
	m  map[string]memoryValue
}

type memoryValue struct {
	v   []byte
	ver int64
}

// Get implements State.
func (s *MemoryState) Get(_ context.Context, key string) ([]byte, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.m[key]
	return v.v, v.ver, nil
}

// CompareAndSet implements State.
func (s *MemoryState) CompareAndSet(_ context.Context, key string, value []byte, version int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]memoryValue{}
	}
	if s.m[key].ver != version {
		return 0, ErrStale
	}
	if value == nil {
		delete(s.m, key)
		return 0, nil
	}
	s.m[key] = memoryValue{v: append([]byte(nil), value...), ver: version + 1}
	return version + 1, nil
}
