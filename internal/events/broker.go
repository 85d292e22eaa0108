package events

import (
	"errors"
	"sync"

	"github.com/switchboard/switchboard/internal/gid"
)

// ErrSlow closes a subscription whose buffer filled up: its client fell
// behind. The client reconnects and resumes from its last cursor.
var ErrSlow = errors.New("events: subscriber fell behind; resume from your last cursor")

// Broker fans committed events out to this instance's subscribers. Publish
// never blocks: each subscriber has a bounded buffer, and a subscriber
// whose buffer is full is dropped (its channel closed, Err set to ErrSlow).
type Broker struct {
	mu     sync.RWMutex
	subs   map[gid.ID]map[*Subscription]struct{}
	buffer int
	count  int
	// notify, if set, is called after each change in the subscriber count
	// (tests wait on it instead of sleeping).
	notify func(n int)
}

// NewBroker returns a broker whose subscribers buffer up to buffer events.
func NewBroker(buffer int) *Broker {
	if buffer <= 0 {
		buffer = 256
	}
	return &Broker{subs: map[gid.ID]map[*Subscription]struct{}{}, buffer: buffer}
}

// Subscription receives the events of one workspace.
type Subscription struct {
	C         <-chan *Event
	c         chan *Event
	workspace gid.ID
	broker    *Broker
	once      sync.Once
	mu        sync.Mutex
	err       error
}

// Err says why the subscription ended (ErrSlow), or nil.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Subscribe registers a subscriber to a workspace's events.
func (b *Broker) Subscribe(workspace gid.ID) *Subscription {
	c := make(chan *Event, b.buffer)
	s := &Subscription{C: c, c: c, workspace: workspace, broker: b}
	b.mu.Lock()
	m := b.subs[workspace]
	if m == nil {
		m = map[*Subscription]struct{}{}
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
func (s *Subscription) Close() { s.close(nil) }

func (s *Subscription) close(reason error) {
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

// Publish hands events to the subscribers of their workspace without
// blocking. Events must be of one workspace and in cursor order.
func (b *Broker) Publish(evs []*Event) {
	if len(evs) == 0 {
		return
	}
	var slow []*Subscription
	b.mu.RLock()
	for s := range b.subs[evs[0].WorkspaceID] {
		for _, ev := range evs {
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
func (s *Subscription) offer(ev *Event) bool {
	select {
	case s.c <- ev:
		return true
	default:
		return false
	}
}

// Subscribers returns the number of live subscriptions.
func (b *Broker) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.count
}

// OnSubscribersChange sets a function called with the subscriber count
// after every change. For tests.
func (b *Broker) OnSubscribersChange(f func(n int)) {
	b.mu.Lock()
	b.notify = f
	b.mu.Unlock()
}
