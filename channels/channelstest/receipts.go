package channelstest

import (
	"fmt"

	"github.com/switchboard/switchboard/channels"
)

// receipts is f's receipts, or skips the check naming why there are none.
func receipts(t TB, a channels.Adapter, f Fake) Receipts {
	t.Helper()
	r, why := f.Receipts()
	if r == nil {
		t.Skipf("no delivery receipts: %s", why)
	}
	return r
}

// sentID is the provider id of a message sent for the check: the one Send
// returns when there is a provider, else a made-up one.
func sentID(t TB, a channels.Adapter, f Fake, c *channels.Config, n int) string {
	t.Helper()
	p, _ := f.Provider()
	if p == nil || !sends(a) {
		return fmt.Sprintf("conf-provider-id-%d", n)
	}
	p.Answer(Answer{Outcome: OK, ID: fmt.Sprintf("conf-provider-id-%d", n)})
	id, err := send(t, a, c, p, outbound(p, n))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return id
}

// apply receives a genuine receipt, checks it names id and st, and
// applies it.
func apply(t TB, a channels.Adapter, c *channels.Config, rec *Recorder, rs Receipts, id string, st channels.DeliveryStatus) {
	t.Helper()
	d, err := receive(t, a, c, rs.Receipt(t, id, st))
	if err != nil || d == nil {
		t.Fatalf("Receive of a genuine %s receipt = %v, %v; want a delivery", st, d, err)
	}
	if len(d.Receipts) != 1 || len(d.Messages) != 0 {
		t.Fatalf("Receive of a %s receipt = %d receipts and %d messages, want 1 receipt", st, len(d.Receipts), len(d.Messages))
	}
	got := d.Receipts[0]
	if got.ProviderMessageID != id || got.Status != st {
		t.Errorf("receipt = {%q, %s}, want {%q, %s}", got.ProviderMessageID, got.Status, id, st)
	}
	if st == channels.StatusFailed && got.Reason == "" {
		t.Errorf("a FAILED receipt has no Reason")
	}
	store(t, rec, d)
}

func wantStatus(t TB, rec *Recorder, id string, want channels.DeliveryStatus, after string) {
	t.Helper()
	if got, _ := rec.Status(id); got != want {
		t.Errorf("after %s: status %s, want %s", after, got, want)
	}
}

func checkReceiptsInOrder(t TB, a channels.Adapter, f Fake) {
	rs := receipts(t, a, f)
	c := f.Config(t)
	var rec Recorder
	id := sentID(t, a, f, c, 1)
	rec.Sent(id)
	apply(t, a, c, &rec, rs, id, channels.StatusDelivered)
	wantStatus(t, &rec, id, channels.StatusDelivered, "DELIVERED")
	if why := noRead(rs); why != "" {
		t.Logf("no READ receipts: %s", why)
		return
	}
	apply(t, a, c, &rec, rs, id, channels.StatusRead)
	wantStatus(t, &rec, id, channels.StatusRead, "DELIVERED, READ")
}

func checkReceiptsOutOfOrder(t TB, a channels.Adapter, f Fake) {
	rs := receipts(t, a, f)
	c := f.Config(t)
	var rec Recorder
	id := sentID(t, a, f, c, 2)
	rec.Sent(id)
	if why := noRead(rs); why != "" {
		t.Logf("no READ receipts: %s", why)
		apply(t, a, c, &rec, rs, id, channels.StatusDelivered)
		apply(t, a, c, &rec, rs, id, channels.StatusFailed)
		wantStatus(t, &rec, id, channels.StatusDelivered, "DELIVERED, FAILED")
		return
	}
	apply(t, a, c, &rec, rs, id, channels.StatusRead)
	apply(t, a, c, &rec, rs, id, channels.StatusDelivered)
	wantStatus(t, &rec, id, channels.StatusRead, "READ, DELIVERED")
	apply(t, a, c, &rec, rs, id, channels.StatusFailed)
	wantStatus(t, &rec, id, channels.StatusRead, "READ, DELIVERED, FAILED")
}

// noRead is why rs cannot report READ, or "".
func noRead(rs Receipts) string {
	if n, ok := rs.(NoRead); ok {
		return n.NoRead()
	}
	return ""
}

func checkReceiptsFailed(t TB, a channels.Adapter, f Fake) {
	rs := receipts(t, a, f)
	c := f.Config(t)
	var rec Recorder
	id := sentID(t, a, f, c, 3)
	rec.Sent(id)
	apply(t, a, c, &rec, rs, id, channels.StatusFailed)
	wantStatus(t, &rec, id, channels.StatusFailed, "FAILED")
	if _, reason := rec.Status(id); reason == "" {
		t.Errorf("FAILED without a reason")
	}
	apply(t, a, c, &rec, rs, id, channels.StatusDelivered)
	wantStatus(t, &rec, id, channels.StatusFailed, "FAILED, DELIVERED")
}
