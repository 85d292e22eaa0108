package channelstest

import (
	"encoding/json"
	"math/rand/v2"
	"sort"

	"github.com/switchboard/switchboard/channels"
)

var (
	spec1 = Spec{ID: "conf-msg-1", Sender: "conf-user-1", Text: "hello from the conformance suite"}
	spec2 = Spec{ID: "conf-msg-2", Sender: "conf-user-1", Text: "and a second message"}
)

// webhook is f's webhook, or skips the check naming why there is none.
func webhook(t TB, f Fake) Webhook {
	t.Helper()
	w, why := f.Webhook()
	if w == nil {
		t.Skipf("no webhook: %s", why)
	}
	return w
}

// ingest receives a genuine request, checks it carries want and stores
// it in rec; it returns where it was stored.
func ingest(t TB, a channels.Adapter, f Fake, rec *Recorder, w Webhook, m Spec) channels.Stored {
	t.Helper()
	r, want := w.Inbound(t, m)
	d, err := receive(t, a, f.Config(t), r)
	if err != nil || d == nil {
		t.Fatalf("Receive of a genuine request = %v, %v; want a delivery", d, err)
	}
	if len(d.Messages) != 1 {
		t.Fatalf("Receive returned %d messages, want 1", len(d.Messages))
	}
	got := d.Messages[0]
	if got.ProviderMessageID != want.ID || got.Sender.ExternalID != want.Sender || got.Text != want.Text {
		t.Errorf("Receive = {id %q, sender %q, text %q}, want {%q, %q, %q}",
			got.ProviderMessageID, got.Sender.ExternalID, got.Text, want.ID, want.Sender, want.Text)
	}
	return store(t, rec, d)[0]
}

// store delivers d to rec and checks the answer to the provider.
func store(t TB, rec *Recorder, d *channels.Delivery) []channels.Stored {
	t.Helper()
	stored, err := rec.Deliver(ctx(t), d)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if d.Respond != nil {
		if resp := d.Respond(stored); resp.Status != 0 && resp.Status/100 != 2 {
			t.Errorf("Respond answers %d to a stored delivery, want 2xx", resp.Status)
		}
	}
	return stored
}

func checkGenuine(t TB, a channels.Adapter, f Fake) {
	w := webhook(t, f)
	var rec Recorder
	ingest(t, a, f, &rec, w, spec1)
	if n := len(rec.Messages()); n != 1 {
		t.Errorf("stored %d messages, want 1", n)
	}
}

// checkReplayed: the provider retries a webhook it thinks failed; the
// retry names the same message, so it is stored once.
func checkReplayed(t TB, a channels.Adapter, f Fake) {
	w := webhook(t, f)
	c := f.Config(t)
	var rec Recorder
	r, _ := w.Inbound(t, spec1)
	var ids []string
	for i := range 2 {
		d, err := receive(t, a, c, r)
		if err != nil || d == nil || len(d.Messages) != 1 {
			t.Fatalf("Receive #%d of the same genuine request = %v, %v; want one message", i+1, d, err)
		}
		ids = append(ids, d.Messages[0].ProviderMessageID)
		if st := store(t, &rec, d); st[0].Duplicate != (i == 1) {
			t.Errorf("delivery #%d: Duplicate = %v", i+1, st[0].Duplicate)
		}
	}
	if ids[0] != ids[1] || ids[0] == "" {
		t.Errorf("the same request gave ProviderMessageIDs %q and %q, want one non-empty id", ids[0], ids[1])
	}
	if n := len(rec.Messages()); n != 1 {
		t.Errorf("stored %d messages after a replay, want 1", n)
	}
	ingest(t, a, f, &rec, w, spec2)
	if n := len(rec.Messages()); n != 2 {
		t.Errorf("stored %d messages after a second message, want 2", n)
	}
}

func checkForged(t TB, a channels.Adapter, f Fake) {
	w := webhook(t, f)
	c := f.Config(t)
	forged := w.Forge(t, spec1)
	if len(forged) == 0 {
		t.Fatalf("the fake lists no forged requests: a webhook must refuse something")
	}
	for _, name := range sorted(forged) {
		d, err := receive(t, a, c, forged[name])
		if st := status(err); (st != 401 && st != 403) || d != nil {
			t.Errorf("forged (%s): Receive = %v, %v; want a *channels.Error with status 401 or 403 and no delivery", name, d, err)
		}
	}
}

func checkMalformed(t TB, a channels.Adapter, f Fake) {
	w := webhook(t, f)
	c := f.Config(t)
	bodies := map[string][]byte{"empty": {}}
	r, _ := w.Inbound(t, spec1)
	if b := body(t, r); json.Valid(b) {
		bodies["truncated JSON"] = b[:len(b)/2]
	}
	for name, b := range w.Malformed() {
		bodies[name] = b
	}
	for _, name := range sorted(bodies) {
		d, err := receive(t, a, c, w.Sign(t, bodies[name]))
		if st := status(err); st < 400 || st > 499 || d != nil {
			t.Errorf("malformed (%s): Receive = %v, %v; want a *channels.Error with a 4xx status and no delivery", name, d, err)
		}
	}
}

// checkGarbage: the server reads at most 1 MiB; an adapter must refuse
// that much garbage without panicking.
func checkGarbage(t TB, a channels.Adapter, f Fake) {
	w := webhook(t, f)
	b := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	d, err := receive(t, a, f.Config(t), w.Sign(t, b))
	if st := status(err); st < 400 || st > 499 || d != nil {
		t.Errorf("1 MiB of garbage: Receive = %v, %v; want a *channels.Error with a 4xx status", d, err)
	}
}

func sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
