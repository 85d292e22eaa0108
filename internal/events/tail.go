package events

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/gid"
)

// A tail follows one workspace's log for this instance's streams. Each
// commit it hears of (from this instance, or another's through the
// fan-out) makes it read the settled events after its head once, for all
// the workspace's streams, and append them to a ring of recent events that
// every stream reads at its own pace. A stream that falls behind the ring
// reads the log itself (see Stream.Next): a slow reader costs no memory and
// never holds anyone back.
type tail struct {
	log  *Log
	ws   gid.ID
	poke chan struct{} // buffered, 1: read the log
	stop context.CancelFunc

	mu      sync.Mutex
	ring    []*Event // settled events after floor, in position order
	floor   int64    // the ring holds every event after floor up to head
	head    int64    // the last position read
	waiters []func() // called once when the ring grows (WhenMore)
	streams int
}

const (
	// ringSize is how many recent events a tail keeps for its streams.
	ringSize = 1024
	// tailBackstop is how often an idle tail reads the log anyway, in case
	// a notification from another instance was lost.
	tailBackstop = 5 * time.Second
	// tailPending is the longest a tail waits before looking again for
	// committed events that were not settled yet.
	tailPending = 50 * time.Millisecond
)

// openTail returns the workspace's tail, started with its ring empty at
// head (a settled position the caller just read) when it did not exist,
// and counts a stream on it.
func (l *Log) openTail(ws gid.ID, head int64) *tail {
	l.tailsMu.Lock()
	t := l.tails[ws]
	if t == nil {
		ctx, cancel := context.WithCancel(context.Background())
		t = &tail{log: l, ws: ws, poke: make(chan struct{}, 1), stop: cancel, floor: head, head: head}
		l.tails[ws] = t
		go t.run(ctx)
	}
	l.countStream(t, 1)
	return t
}

// closeTail counts a stream off; the last one stops the tail.
func (l *Log) closeTail(t *tail) {
	l.tailsMu.Lock()
	l.countStream(t, -1)
}

// countStream adds d to t's streams and the instance's, stops a tail left
// without any, releases tailsMu (which the caller holds) and then tells
// OnStreamsChange's function.
func (l *Log) countStream(t *tail, d int) {
	t.streams += d
	l.streams += d
	if t.streams == 0 && l.tails[t.ws] == t {
		delete(l.tails, t.ws)
		t.stop()
	}
	n, notify := l.streams, l.notify
	l.tailsMu.Unlock()
	if notify != nil {
		notify(n)
	}
}

// pokeTail makes the workspace's tail, if this instance has one, read
// the log.
func (l *Log) pokeTail(ws gid.ID) {
	l.tailsMu.Lock()
	t := l.tails[ws]
	l.tailsMu.Unlock()
	if t != nil {
		t.wake()
	}
}

// pokeTails makes every tail read the log (the fan-out lost contact with
// the other instances for a while).
func (l *Log) pokeTails() {
	l.tailsMu.Lock()
	defer l.tailsMu.Unlock()
	for _, t := range l.tails {
		t.wake()
	}
}

// Streams returns the number of open streams on this instance.
func (l *Log) Streams() int {
	l.tailsMu.Lock()
	defer l.tailsMu.Unlock()
	return l.streams
}

// OnStreamsChange sets a function called with the stream count after
// every change. For tests.
func (l *Log) OnStreamsChange(f func(n int)) {
	l.tailsMu.Lock()
	l.notify = f
	l.tailsMu.Unlock()
}

func (t *tail) wake() {
	select {
	case t.poke <- struct{}{}:
	default:
	}
}

func (t *tail) run(ctx context.Context) {
	backstop := time.NewTicker(tailBackstop)
	defer backstop.Stop()
	var again <-chan time.Time // set while committed events wait to settle
	wait := time.Millisecond
	t.wake()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.poke:
		case <-backstop.C:
		case <-again:
		}
		again = nil
		evs, more, err := t.log.read(ctx, t.ws, t.head, replayPage)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.log.log.WarnContext(ctx, "events: reading the log for streams", "workspace_id", t.ws, "err", err)
			again = time.After(tailPending)
			continue
		}
		t.append(evs)
		switch {
		case len(evs) == replayPage:
			t.wake()
		case more:
			again = time.After(wait)
			wait = min(2*wait, tailPending)
		default:
			wait = time.Millisecond
		}
	}
}

// append adds newly settled events to the ring and wakes the streams
// waiting for them (outside the lock: a wake may take locks of its own).
func (t *tail) append(evs []*Event) {
	if len(evs) == 0 {
		return
	}
	t.mu.Lock()
	t.ring = append(t.ring, evs...)
	t.head = evs[len(evs)-1].Seq
	if over := len(t.ring) - ringSize; over >= ringSize/4 {
		// Drop the oldest into a new array: streams may still be reading
		// slices of the old one, which stays as it is.
		t.floor = t.ring[over-1].Seq
		t.ring = append(make([]*Event, 0, ringSize+ringSize/2), t.ring[over:]...)
	}
	waiters := t.waiters
	t.waiters = nil
	t.mu.Unlock()
	for _, wake := range waiters {
		wake()
	}
}

// after returns the ring's events after pos (a slice nobody changes);
// behind is true when pos is older than the ring, whose floor it returns.
func (t *tail) after(pos int64) (evs []*Event, behind bool, floor int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if pos < t.floor {
		return nil, true, t.floor
	}
	i := sort.Search(len(t.ring), func(i int) bool { return t.ring[i].Seq > pos })
	return t.ring[i:len(t.ring):len(t.ring)], false, t.floor
}

// whenAfter registers wake for the ring's next growth and returns true,
// unless the ring has events after pos (or pos is older than the ring).
func (t *tail) whenAfter(pos int64, wake func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if pos < t.floor || (len(t.ring) > 0 && t.ring[len(t.ring)-1].Seq > pos) {
		return false
	}
	t.waiters = append(t.waiters, wake)
	return true
}

// floorNow returns the ring's floor.
func (t *tail) floorNow() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.floor
}
