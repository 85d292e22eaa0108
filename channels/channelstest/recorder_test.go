package channelstest_test

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

func TestAdvances(t *testing.T) {
	const (
		s = channels.StatusSent
		d = channels.StatusDelivered
		r = channels.StatusRead
		f = channels.StatusFailed
	)
	cases := []struct {
		from, to channels.DeliveryStatus
		want     bool
	}{
		{s, d, true}, {s, r, true}, {d, r, true}, {s, f, true},
		{d, s, false}, {r, d, false}, {r, s, false}, {d, f, false}, {r, f, false},
		{f, s, false}, {f, d, false}, {f, r, false}, {s, s, false},
	}
	for _, c := range cases {
		if got := channelstest.Advances(c.from, c.to); got != c.want {
			t.Errorf("Advances(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

func TestRecorder(t *testing.T) {
	var rec channelstest.Recorder
	ctx := context.Background()
	msg := channels.Inbound{ProviderMessageID: "m1", Sender: channels.Sender{ExternalID: "u1"}, Text: "hi"}
	early := channels.Receipt{ProviderMessageID: "p1", Status: channels.StatusRead}
	st, err := rec.Deliver(ctx, &channels.Delivery{Messages: []channels.Inbound{msg, msg}, Receipts: []channels.Receipt{early}})
	if err != nil || len(st) != 2 || st[0].Duplicate || !st[1].Duplicate || st[0].MessageID != st[1].MessageID {
		t.Fatalf("Deliver = %+v, %v", st, err)
	}
	if n := len(rec.Messages()); n != 1 {
		t.Errorf("stored %d messages, want 1", n)
	}
	if got, _ := rec.Status("p1"); got != "" {
		t.Errorf("status before the send = %s, want none", got)
	}
	rec.Sent("p1")
	if got, _ := rec.Status("p1"); got != channels.StatusRead {
		t.Errorf("status after the send = %s, want the early READ", got)
	}
	if _, err := rec.Deliver(ctx, &channels.Delivery{Messages: []channels.Inbound{{}}}); err == nil {
		t.Errorf("a message without an id was stored")
	}
}
