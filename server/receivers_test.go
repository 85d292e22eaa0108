package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/receivers"
	"github.com/switchboard/switchboard/internal/testenv"
)

// mailbox is a fake pull provider (what an IMAP mailbox is to the email
// channel): numbered messages a receiver fetches after its checkpoint,
// kept in the channel's shared state and advanced only after the fetch
// is stored. It records how many receivers run at once and how often
// each message was fetched.
type mailbox struct {
	mu        sync.Mutex
	msgs      []string
	fetched   map[int]int
	active    int
	maxActive int
	failWith  error // Receive fails at once with it while set
}

func (m *mailbox) Describe() channels.Description {
	return channels.Description{Kind: "mailbox", DisplayName: "Mailbox (test provider)",
		Capabilities: channels.Capabilities{Inbound: true}}
}
func (m *mailbox) Validate(map[string]any, map[string]string) error { return nil }
func (m *mailbox) Verify(context.Context, *channels.Config) error   { return nil }
func (m *mailbox) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}
func (m *mailbox) Receive(context.Context, *channels.Config, *http.Request, []byte) (*channels.Delivery, error) {
	return nil, channels.Rejected(http.StatusNotFound, "the mailbox has no webhook")
}
func (m *mailbox) Send(context.Context, *channels.Config, *channels.Outbound) (string, error) {
	return "", channels.Permanent("the mailbox only receives")
}

func (m *mailbox) add(texts ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, texts...)
}

func (m *mailbox) stats() (active, maxActive int, fetched map[int]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := make(map[int]int, len(m.fetched))
	for k, v := range m.fetched {
		f[k] = v
	}
	return m.active, m.maxActive, f
}

func (m *mailbox) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failWith = err
}

// RunReceiver implements channels.Receiver as a real one should: fetch after
// the checkpoint, deliver, and only then advance the checkpoint; a batch
// under way is finished even when asked to stop.
func (m *mailbox) RunReceiver(ctx context.Context, c *channels.Config, sink channels.Sink) error {
	m.mu.Lock()
	if m.failWith != nil {
		err := m.failWith
		m.mu.Unlock()
		return err
	}
	m.active++
	m.maxActive = max(m.maxActive, m.active)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.active--
		m.mu.Unlock()
	}()
	for {
		batch := context.WithoutCancel(ctx)
		raw, version, err := c.State.Get(batch, "last")
		if err != nil {
			return err
		}
		last, _ := strconv.Atoi(string(raw))
		m.mu.Lock()
		var d channels.Delivery
		for n := last + 1; n <= len(m.msgs); n++ {
			d.Messages = append(d.Messages, channels.Inbound{ProviderMessageID: fmt.Sprintf("mail-%d", n),
				Sender: channels.Sender{ExternalID: "sender@example.com", Name: "Sender"}, Text: m.msgs[n-1]})
			if m.fetched == nil {
				m.fetched = map[int]int{}
			}
			m.fetched[n]++
		}
		m.mu.Unlock()
		if len(d.Messages) > 0 {
			if _, err := sink.Deliver(batch, &d); err != nil {
				return err
			}
			next := []byte(strconv.Itoa(last + len(d.Messages)))
			if _, err := c.State.CompareAndSet(batch, "last", next, version); err != nil {
				return err
			}
		}
		sink.Healthy()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

var (
	_ channels.Adapter  = (*mailbox)(nil)
	_ channels.Receiver = (*mailbox)(nil)
)

func receiverTuning(box channels.Adapter) testenv.Tuning {
	return func(o *app.Options) {
		o.Adapters = []channels.Adapter{box}
		o.Receivers = receivers.Options{Lease: 300 * time.Millisecond, Scan: 30 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	}
}

func mailboxMessages(t *testing.T, s *testenv.Server, tok string) int {
	t.Helper()
	_, _, n := countMessages(t, s, tok)
	return n
}

type receiverStatus struct {
	State         string
	LastError     *string
	LastSuccessAt *time.Time
}

func receiverStatusOf(t *testing.T, s *testenv.Server, tok, id string) *receiverStatus {
	t.Helper()
	var out struct {
		Node struct{ ReceiverStatus *receiverStatus }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Channel { receiverStatus { state lastError lastSuccessAt } } } }`, map[string]any{"id": id}, &out)
	return out.Node.ReceiverStatus
}

// TestReceiverLease: two instances on one database run a pull channel's
// receiver one at a time; stopping the one that runs it hands it to the
// other, which goes on from the shared checkpoint: every message is
// fetched once and stored once. Disabling the channel stops it; a failing
// receiver shows FAILING with its error and recovers.
func TestReceiverLease(t *testing.T) {
	box := &mailbox{}
	db := testenv.OpenDB(t)
	a := testenv.NewTuned(t, db, []testenv.Tuning{receiverTuning(box)})
	b := testenv.NewTuned(t, testenv.Reopen(t, db), []testenv.Tuning{receiverTuning(box)}, testenv.SameSecrets(a))
	tok := a.AdminToken(t)
	var ch struct{ CreateChannel struct{ ID string } }
	a.MustDo(t, tok, `mutation { createChannel(input: {kind: "mailbox", name: "Support mailbox"}) { id } }`, nil, &ch)
	id := ch.CreateChannel.ID

	box.add("one", "two", "three")
	testenv.Eventually(t, func() bool { return mailboxMessages(t, a, tok) == 3 }, "the first mails to be stored")
	var st *receiverStatus
	testenv.Eventually(t, func() bool {
		st = receiverStatusOf(t, b, tok, id)
		return st != nil && st.State == "RUNNING" && st.LastSuccessAt != nil
	}, "receiverStatus RUNNING")

	// Stop the instance that runs it: the other takes over.
	holder, other := a, b
	if b.App.Receivers.Running(gid.ID(id)) {
		holder, other = b, a
	}
	if !holder.App.Receivers.Running(gid.ID(id)) || other.App.Receivers.Running(gid.ID(id)) {
		t.Fatal("exactly one instance should run the receiver")
	}
	holder.StopWorkers()
	testenv.Eventually(t, func() bool { return other.App.Receivers.Running(gid.ID(id)) }, "the other instance to take the receiver over")
	box.add("four", "five")
	testenv.Eventually(t, func() bool { return mailboxMessages(t, other, tok) == 5 }, "the later mails to be stored")
	_, maxActive, fetched := box.stats()
	if maxActive != 1 {
		t.Fatalf("%d receivers ran at once", maxActive)
	}
	for n := 1; n <= 5; n++ {
		if fetched[n] != 1 {
			t.Fatalf("mail %d fetched %d times: %v", n, fetched[n], fetched)
		}
	}

	// Disabled: it stops, and says so.
	other.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { id } }`, map[string]any{"id": id}, nil)
	testenv.Eventually(t, func() bool { active, _, _ := box.stats(); return active == 0 }, "the receiver to stop")
	if st := receiverStatusOf(t, other, tok, id); st == nil || st.State != "STOPPED" {
		t.Fatalf("disabled: %+v", st)
	}

	// Failing: shown with the error, retried, and RUNNING again once it works.
	box.setFail(errors.New("authentication failed: invalid password"))
	other.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": id}, nil)
	testenv.Eventually(t, func() bool {
		st = receiverStatusOf(t, other, tok, id)
		return st != nil && st.State == "FAILING" && st.LastError != nil && *st.LastError == "authentication failed: invalid password"
	}, "receiverStatus FAILING")
	box.setFail(nil)
	box.add("six")
	testenv.Eventually(t, func() bool { return mailboxMessages(t, other, tok) == 6 }, "the receiver to recover")
	testenv.Eventually(t, func() bool {
		st = receiverStatusOf(t, other, tok, id)
		return st != nil && st.State == "RUNNING" && st.LastError == nil
	}, "receiverStatus RUNNING again")

	// A webhook-only kind has no receiver status.
	api := createAPIChannel(t, other, tok, "")
	if st := receiverStatusOf(t, other, tok, api.ID); st != nil {
		t.Fatalf("api channel receiverStatus %+v, want null", st)
	}
}
