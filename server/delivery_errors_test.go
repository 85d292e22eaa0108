package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestDeliveryErrorWhileRetrying: while a reply is retried its message
// stays QUEUED with the last failure's reason in deliveryError, each failed
// attempt is logged (channel, message, attempt, reason, no secret), and
// success clears the reason.
func TestDeliveryErrorWhileRetrying(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Delivery = inbox.DeliveryOptions{Backoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 1000, Poll: 20 * time.Millisecond}
	}})
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	conv := replyTo(t, s, ch, "user-retry")

	in.failFirst.Store(1 << 30)
	id := s.Send(t, tok, conv, "are you there?")
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct{ DeliveryStatus, DeliveryError string }
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
		if out.Node.DeliveryStatus != "QUEUED" {
			t.Fatalf("while retrying the message is %s", out.Node.DeliveryStatus)
		}
		if !strings.Contains(out.Node.DeliveryError, "500") || !strings.Contains(s.Logs.String(), "attempt=2") {
			return fmt.Errorf("deliveryError while retrying = %q (and a second attempt logged)", out.Node.DeliveryError)
		}
		return nil
	})
	var line string
	for _, l := range strings.Split(s.Logs.String(), "\n") {
		if strings.Contains(l, "message_id="+id) && strings.Contains(l, "attempt=1") {
			line = l
		}
	}
	for _, want := range []string{"channel_id=" + ch.ID, "reason=", "500"} {
		if !strings.Contains(line, want) {
			t.Fatalf("the failed attempt's log line %q lacks %q", line, want)
		}
	}
	if strings.Contains(s.Logs.String(), apiSecret) {
		t.Fatal("the channel secret reached the logs")
	}

	in.failFirst.Store(0)
	if _, reason := waitStatus(t, s, tok, id, "SENT"); reason != "" {
		t.Fatalf("after success deliveryError = %q, want it cleared", reason)
	}
}
