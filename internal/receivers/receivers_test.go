package receivers_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/receiverlease"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/receivers"
	"github.com/switchboard/switchboard/internal/secrets"
	"github.com/switchboard/switchboard/internal/testenv"
)

// idle is a receiver kind whose receiver waits until stopped.
type idle struct{}

func (idle) Describe() channels.Description {
	return channels.Description{Kind: "idle", Capabilities: channels.Capabilities{Inbound: true}}
}
func (idle) Validate(map[string]any, map[string]string) error { return nil }
func (idle) Verify(context.Context, *channels.Config) error   { return nil }
func (idle) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}
func (idle) Receive(context.Context, *channels.Config, *http.Request, []byte) (*channels.Delivery, error) {
	return nil, channels.Rejected(404, "no webhook")
}
func (idle) Send(context.Context, *channels.Config, *channels.Outbound) (string, error) {
	return "", channels.Permanent("receives only")
}
func (idle) RunReceiver(ctx context.Context, _ *channels.Config, sink channels.Sink) error {
	sink.Healthy()
	<-ctx.Done()
	return ctx.Err()
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestLapsedLeaseTakeover: a lease whose holder died without releasing
// it (an instance crashed) keeps others off until it lapses, then the
// next scan takes the receiver over; Status says no instance runs it
// meanwhile.
func TestLapsedLeaseTakeover(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	box, err := secrets.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	chans := channelcfg.New(c, channels.NewRegistry(idle{}), box, "http://sb.test", nil, clk.now)
	ch, err := chans.Create(ctx, channelcfg.Input{Kind: "idle", Name: new("Mailbox")})
	if err != nil {
		t.Fatal(err)
	}
	// The dead instance's lease, 30 s long, taken just now.
	c.ReceiverLease.Create().SetID(ch.ID).SetWorkspaceID(ch.WorkspaceID).SetHolder("dead-instance").
		SetExpiresAt(clk.now().Add(30 * time.Second)).SetState(receiverlease.StateRUNNING).ExecX(ctx)
	r := receivers.New(c, chans, func(context.Context, *ent.Channel, *channels.Delivery) ([]channels.Stored, error) { return nil, nil },
		receivers.Options{Lease: 30 * time.Second, Now: clk.now})
	defer r.Stop()
	if err := r.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Running(ch.ID) {
		t.Fatal("took a lease another instance holds")
	}
	clk.add(31 * time.Second)
	st, err := r.Status(ctx, []gid.ID{ch.ID})
	if err != nil || st[ch.ID].State != receiverlease.StateSTOPPED || st[ch.ID].LastError != receivers.NoInstance {
		t.Fatalf("status of a lapsed lease: %+v %v", st[ch.ID], err)
	}
	if err := r.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.Running(ch.ID) {
		t.Fatal("did not take over a lapsed lease")
	}
	lease := c.ReceiverLease.GetX(ctx, ch.ID)
	if lease.Holder != r.Holder() || lease.State != receiverlease.StateRUNNING {
		t.Fatalf("lease after takeover: %+v", lease)
	}
}
