package channelstest_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/api"
	"github.com/switchboard/switchboard/channels/api/apitest"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// broken is the api adapter with one behaviour broken.
type broken struct {
	*api.Adapter
	receive func(d *channels.Delivery, err error, body []byte) (*channels.Delivery, error)
	send    func(c *channels.Config, m *channels.Outbound) (*channels.Config, *channels.Outbound)
	sent    func(id string, err error) (string, error)
}

func (b broken) Receive(ctx context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	d, err := b.Adapter.Receive(ctx, c, r, body)
	if b.receive != nil {
		return b.receive(d, err, body)
	}
	return d, err
}

func (b broken) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	if b.send != nil {
		cc, mm := *c, *m
		c, m = b.send(&cc, &mm)
	}
	id, err := b.Adapter.Send(ctx, c, m)
	if b.sent != nil {
		return b.sent(id, err)
	}
	return id, err
}

func status(err error) int {
	if e, ok := err.(*channels.Error); ok {
		return e.Status
	}
	return 0
}

// laxFake is the api fake claiming it refused nothing.
type laxFake struct{ *apitest.Fake }

func (f laxFake) Provider() (channelstest.Provider, string) { return f, "" }
func (laxFake) Refused() int                                { return 0 }

// noWebhook is the api fake without its webhook and receipts.
type noWebhook struct{ *apitest.Fake }

func (noWebhook) Webhook() (channelstest.Webhook, string)   { return nil, "tested elsewhere" }
func (noWebhook) Receipts() (channelstest.Receipts, string) { return nil, "none here" }

func TestSuiteCatchesBrokenAdapters(t *testing.T) {
	cases := []struct {
		name    string
		adapter channels.Adapter
		fake    func(*apitest.Fake) channelstest.Fake
		fail    []string // checks that must fail
	}{
		{name: "accepts forgeries", adapter: broken{Adapter: api.New(), receive: func(d *channels.Delivery, err error, _ []byte) (*channels.Delivery, error) {
			if status(err) == 401 {
				return &channels.Delivery{}, nil
			}
			return d, err
		}}, fail: []string{"webhook/forged"}},
		{name: "refuses forgeries with 400", adapter: broken{Adapter: api.New(), receive: func(d *channels.Delivery, err error, _ []byte) (*channels.Delivery, error) {
			if status(err) == 401 {
				return nil, channels.Rejected(400, "no")
			}
			return d, err
		}}, fail: []string{"webhook/forged"}},
		{name: "accepts malformed bodies", adapter: broken{Adapter: api.New(), receive: func(d *channels.Delivery, err error, _ []byte) (*channels.Delivery, error) {
			if status(err) == 400 {
				return &channels.Delivery{}, nil
			}
			return d, err
		}}, fail: []string{"webhook/malformed", "webhook/garbage"}},
		{name: "panics on garbage", adapter: broken{Adapter: api.New(), receive: func(d *channels.Delivery, err error, body []byte) (*channels.Delivery, error) {
			if len(body) > 1<<19 {
				panic("too big")
			}
			return d, err
		}}, fail: []string{"webhook/garbage"}},
		{name: "new id on each delivery", adapter: func() channels.Adapter {
			n := 0
			return broken{Adapter: api.New(), receive: func(d *channels.Delivery, err error, _ []byte) (*channels.Delivery, error) {
				if d != nil && len(d.Messages) == 1 {
					n++
					d.Messages[0].ProviderMessageID += strings.Repeat("'", n)
				}
				return d, err
			}}
		}(), fail: []string{"webhook/replayed", "webhook/genuine"}},
		{name: "reports READ as DELIVERED", adapter: broken{Adapter: api.New(), receive: func(d *channels.Delivery, err error, _ []byte) (*channels.Delivery, error) {
			if d != nil {
				for i := range d.Receipts {
					if d.Receipts[i].Status == channels.StatusRead {
						d.Receipts[i].Status = channels.StatusDelivered
					}
				}
			}
			return d, err
		}}, fail: []string{"receipts/in order", "receipts/out of order"}},
		{name: "permanent failures retried", adapter: broken{Adapter: api.New(), sent: func(id string, err error) (string, error) {
			if channels.IsPermanent(err) {
				return "", channels.Transient(err, "retry")
			}
			return id, err
		}}, fail: []string{"send/permanent"}},
		{name: "transient failures dropped", adapter: broken{Adapter: api.New(), sent: func(id string, err error) (string, error) {
			if err != nil {
				return "", channels.Permanent("give up")
			}
			return id, err
		}}, fail: []string{"send/transient", "send/rate limited"}},
		{name: "Retry-After ignored", adapter: broken{Adapter: api.New(), sent: func(id string, err error) (string, error) {
			if channels.RetryAfterOf(err) > 0 {
				return "", channels.Transient(nil, "later")
			}
			return id, err
		}}, fail: []string{"send/rate limited"}},
		{name: "own id instead of the provider's", adapter: broken{Adapter: api.New(), sent: func(id string, err error) (string, error) {
			return "mine", err
		}}, fail: []string{"send/ok"}},
		{name: "thread key and reply-to dropped", adapter: broken{Adapter: api.New(), send: func(c *channels.Config, m *channels.Outbound) (*channels.Config, *channels.Outbound) {
			m.ThreadKey, m.ReplyTo = "", ""
			return c, m
		}}, fail: []string{"send/reply fields"}},
		{name: "template dropped", adapter: broken{Adapter: api.New(), send: func(c *channels.Config, m *channels.Outbound) (*channels.Config, *channels.Outbound) {
			m.Template = nil
			return c, m
		}}, fail: []string{"send/template"}},
		{name: "sends unauthenticated", adapter: broken{Adapter: api.New(), send: func(c *channels.Config, m *channels.Outbound) (*channels.Config, *channels.Outbound) {
			c.Secrets = map[string]string{"secret": "not-the-secret-0123456789"}
			return c, m
		}}, fail: []string{"send/ok", "send/reply fields"}},
		{name: "fake that checks nothing", adapter: api.New(),
			fake: func(f *apitest.Fake) channelstest.Fake { return laxFake{f} }, fail: []string{"send/wrong credentials"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f channelstest.Fake = apitest.NewFake(t)
			if tc.fake != nil {
				f = tc.fake(apitest.NewFake(t))
			}
			results := channelstest.RunRecorded(tc.adapter, f)
			for _, name := range tc.fail {
				if r := results[name]; r == nil || !r.Failed {
					t.Errorf("check %q passed a broken adapter: %+v", name, r)
				}
			}
			for name, r := range results {
				if r.Failed && !slices.Contains(tc.fail, name) {
					t.Logf("also failed: %s: %v", name, r.Log)
				}
			}
		})
	}
}

// TestSuitePassesGoodAdapter: the recording runner itself lets a correct
// adapter through, and a missing side is skipped naming why.
func TestSuitePassesGoodAdapter(t *testing.T) {
	for name, r := range channelstest.RunRecorded(api.New(), apitest.NewFake(t)) {
		if r.Failed || r.Skipped {
			t.Errorf("%s: failed=%v skipped=%v: %v", name, r.Failed, r.Skipped, r.Log)
		}
	}
	for name, r := range channelstest.RunRecorded(api.New(), noWebhook{apitest.NewFake(t)}) {
		webhook := strings.HasPrefix(name, "webhook/")
		if r.Failed || (webhook || strings.HasPrefix(name, "receipts/")) != r.Skipped {
			t.Errorf("%s: failed=%v skipped=%v: %v", name, r.Failed, r.Skipped, r.Log)
		}
		if webhook && !strings.Contains(strings.Join(r.Log, " "), "tested elsewhere") {
			t.Errorf("%s: skipped without the fake's reason: %v", name, r.Log)
		}
	}
}
