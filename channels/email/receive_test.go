package email_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/email"
	"github.com/switchboard/switchboard/channels/email/emailtest"
)

// flakySink records deliveries and fails the ones it is told to, as a
// database that goes away mid-batch does.
type flakySink struct {
	mu       sync.Mutex
	calls    int
	failCall int // 1-based; 0: never
	stored   []string
}

func (s *flakySink) Deliver(_ context.Context, d *channels.Delivery) ([]channels.Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls == s.failCall {
		return nil, errors.New("database unavailable")
	}
	out := make([]channels.Stored, len(d.Messages))
	for i, m := range d.Messages {
		s.stored = append(s.stored, m.ProviderMessageID)
		out[i] = channels.Stored{MessageID: m.ProviderMessageID}
	}
	return out, nil
}

func (s *flakySink) Healthy() {}

func (s *flakySink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stored...)
}

func mailNumbered(i int) []byte {
	return fmt.Appendf(nil, "From: Ann <ann@customer.test>\r\nTo: %s\r\nSubject: mail %d\r\nMessage-ID: <m%d@customer.test>\r\n\r\nhello %d\r\n", emailtest.User, i, i, i)
}

// TestReceiverResumesAfterAFailedBatch: when storing a batch fails, the
// receiver stops without moving its checkpoint; started again it fetches
// from the last committed batch, so every mail is stored and none twice
// (beyond the batch that failed, which the inbox's dedupe absorbs).
func TestReceiverResumesAfterAFailedBatch(t *testing.T) {
	p := emailtest.Start(t)
	for i := 1; i <= 5; i++ {
		p.Deliver(t, mailNumbered(i))
	}
	// Neither a mail without a sender nor garbage stops the mailbox.
	p.Deliver(t, []byte("Subject: who?\r\nMessage-ID: <anon@customer.test>\r\n\r\n"))
	p.Deliver(t, []byte("\x00\x01 not a mail at all"))
	a := &email.Adapter{TLSConfig: p.TLSConfig, Batch: 2}
	settings := p.Settings()
	settings["pollInterval"] = 3600.0 // only IDLE can bring the mail that arrives while it waits
	cfg := &channels.Config{Settings: settings, Secrets: p.Secrets(), State: &channels.MemoryState{}}
	sink := &flakySink{failCall: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.RunReceiver(ctx, cfg, sink); err == nil || ctx.Err() != nil {
		t.Fatalf("the receiver went on after a failed batch: %v", err)
	}
	if got := sink.ids(); len(got) != 2 || got[0] != "m1@customer.test" || got[1] != "m2@customer.test" {
		t.Fatalf("first run stored %v, want the first batch", got)
	}
	// Started again (the runner does, with backoff), and a new mail
	// arrives while it waits.
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.RunReceiver(run, cfg, sink) }()
	time.Sleep(300 * time.Millisecond)
	p.Deliver(t, mailNumbered(6))
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.ids()) < 8 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("stopped with %v", err)
	}
	want := []string{"m1@customer.test", "m2@customer.test", "m3@customer.test", "m4@customer.test", "m5@customer.test",
		"anon@customer.test", "sha256:…", "m6@customer.test"}
	got := sink.ids()
	if len(got) == len(want) && strings.HasPrefix(got[6], "sha256:") {
		got[6] = "sha256:…" // the garbage is kept under its digest
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stored %v, want each mail once, in order: %v", got, want)
	}
}
