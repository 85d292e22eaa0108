package events

import (
	"errors"
	"sync"

	"github.com/switchboard/switchboard/internal/gid"
)

// ErrSlow closes a subscription whose buffer filled up: its client fell
// behind. The client reconnects and resumes from its last cursor.
var ErrSlow = errors.New("events: subscriber fell behind; resume from your last cursor")

// Broker fans ephemeral signals out to this
// instance's subscribers, by workspace. Publish never blocks: each
// subscriber has a bounded buffer, and a subscriber whose buffer is full is
// dropped (its channel closed, Err set to ErrSlow).
type Broker[T any] struct {
	mu     sync.RWMutex
	subs   map[gid.ID]map[*Subscription[T]]struct{}
	buffer int
	count  int
	// notify, if set, is called after each change in the subscriber count
	// (tests wait on it instead of sleeping).
	notify func(n int)
}

// NewBroker returns a broker whose subscribers buffer up to buffer items.
func NewBroker[T any](buffer int) *Broker[T] {
	if buffer <= 0 {
		buffer = 256
	}
	return &Broker[T]{subs: map[gid.ID]map[*Subscription[T]]struct{}{}, buffer: buffer}
}

// Subscription receives the items of one workspace.
type Subscription[T any] struct {
	C         <-chan T
	c         chan T
	workspace gid.ID
	broker    *Broker[T]
	once      sync.Once
	mu        sync.Mutex
	err       error
}

// Err says why the subscription ended (ErrSlow), or nil.
func (s *Subscription[T]) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Subscribe registers a subscriber to a workspace's events.
func (b *Broker[T]) Subscribe(workspace gid.ID) *Subscription[T] {
	c := make(chan T, b.buffer)
	s := &Subscription[T]{C: c, c: c, workspace: workspace, broker: b}
	b.mu.Lock()
	m := b.subs[workspace]
	if m == nil {
		m = map[*Subscription[T]]struct{}{}
		b.subs[workspace] = m
	}
	m[s] = struct{}{}
	b.count++
	n, notify := b.count, b.notify
	b.mu.Unlock()
	if notify != nil {
		notify(n)
	}
	return s
}

// Close unsubscribes; it is safe to call more than once.
func (s *Subscription[T]) Close() { s.close(nil) }

func (s *Subscription[T]) close(reason error) {
	s.once.Do(func() {
		b := s.broker
		b.mu.Lock()
		if m := b.subs[s.workspace]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(b.subs, s.workspace)
			}
		}
		b.count--
		n, notify := b.count, b.notify
		b.mu.Unlock()
		s.mu.Lock()
		s.err = reason
		s.mu.Unlock()
		close(s.c)
		if notify != nil {
			notify(n)
		}
	})
}

// Publish hands items to the subscribers of a workspace without blocking.
func (b *Broker[T]) Publish(workspace gid.ID, items ...T) {
	if len(items) == 0 {
		return
	}
	var slow []*Subscription[T]
	b.mu.RLock()
	for s := range b.subs[workspace] {
		for _, ev := range items {
			if !s.offer(ev) {
				slow = append(slow, s)
				break
			}
		}
	}
	b.mu.RUnlock()
	for _, s := range slow {
		s.close(ErrSlow)
	}
}

// offer sends without blocking; false when the buffer is full. Sending on
// a closed channel cannot happen: close takes the write lock, which
// Publish's read lock excludes.
func (s *Subscription[T]) offer(ev T) bool {
	select {
	case s.c <- ev:
		return true
	default:
		return false
	}
}

// Subscribers returns the number of live subscriptions.
func (b *Broker[T]) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.count
}

// OnSubscribersChange sets a function called with the subscriber count
// after every change. For tests.
func (b *Broker[T]) OnSubscribersChange(f func(n int)) {
	b.mu.Lock()
	b.notify = f
	b.mu.Unlock()
}

// Workspaces lists the workspaces that have subscribers.
func (b *Broker[T]) Workspaces() []gid.ID {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]gid.ID, 0, len(b.subs))
	for ws := range b.subs {
		out = append(out, ws)
	}
	return out
}

// HasSubscribers reports whether a workspace has subscribers here.
func (b *Broker[T]) HasSubscribers(workspace gid.ID) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs[workspace]) > 0
}

// IsSlow reports whether err ended a subscription because its reader fell
// behind.
func IsSlow(err error) bool { return errors.Is(err, ErrSlow) }
