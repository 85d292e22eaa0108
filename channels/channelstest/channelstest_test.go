package channelstest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// toy is a small provider protocol for testing the suite itself: JSON
// webhooks {"id", "from", "text"} or {"receipt", "status"} authenticated
// by an X-Toy-Token header, and sends posted as JSON with a bearer
// token. A flaw makes the adapter break one rule.
type toy struct{ flaw string }

func (a toy) Describe() channels.Description {
	return channels.Description{Kind: "toy", Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Templates: true}}
}
func (toy) Validate(map[string]any, map[string]string) error { return nil }
func (toy) Verify(context.Context, *channels.Config) error   { return nil }
func (toy) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}
func (toy) Templates(context.Context, *channels.Config) ([]channels.Template, error) {
	return []channels.Template{{ID: "order_update", Params: []string{"order"}}}, nil
}

var counter int

func (a toy) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if a.flaw != "no auth" && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Toy-Token")), []byte(c.Secrets["token"])) != 1 {
		return nil, channels.Rejected(401, "bad token")
	}
	var in struct{ ID, From, Text, Receipt, Status string }
	if err := json.Unmarshal(body, &in); err != nil {
		if a.flaw == "panics" {
			panic("cannot parse")
		}
		return nil, channels.Rejected(400, "malformed")
	}
	if in.Receipt != "" {
		return &channels.Delivery{Receipts: []channels.Receipt{{ProviderMessageID: in.Receipt, Status: channels.DeliveryStatus(in.Status)}}}, nil
	}
	if in.From == "" && a.flaw != "lax" {
		return nil, channels.Rejected(400, "no sender")
	}
	id := in.ID
	if a.flaw == "random ids" {
		counter++
		id = fmt.Sprintf("%s-%d", in.ID, counter)
	}
	return &channels.Delivery{Messages: []channels.Inbound{{ProviderMessageID: id, Sender: channels.Sender{ExternalID: in.From}, Text: in.Text}}}, nil
}

func (a toy) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	body, _ := json.Marshal(map[string]any{"to": m.Recipient.ExternalID, "text": m.Text, "replyTo": m.ReplyTo, "thread": m.ThreadKey, "template": m.Template})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.Setting("url"), bytes.NewReader(body))
	if a.flaw != "no outbound auth" {
		req.Header.Set("Authorization", "Bearer "+c.Secrets["token"])
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return "", channels.Transient(err, "unreachable")
	}
	defer res.Body.Close()
	var ack struct{ ID string }
	_ = json.NewDecoder(res.Body).Decode(&ack)
	switch {
	case res.StatusCode == 200:
		return ack.ID, nil
	case a.flaw == "all permanent":
		return "", channels.Permanent("failed: %d", res.StatusCode)
	case res.StatusCode == 429 && a.flaw != "ignores retry-after":
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		return "", channels.RetryLater(time.Duration(secs)*time.Second, "rate limited")
	case res.StatusCode >= 500 || res.StatusCode == 429:
		return "", channels.Transient(nil, "failed: %d", res.StatusCode)
	}
	return "", channels.Permanent("refused: %d", res.StatusCode)
}

// toyProvider is the toy protocol's fake.
type toyProvider struct {
	srv      *httptest.Server
	mu       sync.Mutex
	answer   Answer
	sent     []Sent
	unauthed int
}

const toyToken = "toy-token-0123456789"

func newToyProvider(t *testing.T) *toyProvider {
	p := &toyProvider{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+toyToken {
			p.unauthed++
			w.WriteHeader(401)
			return
		}
		a := p.answer
		p.answer = Answer{}
		switch a.Kind {
		case AnswerPermanent:
			w.WriteHeader(404)
			return
		case AnswerTransient:
			w.WriteHeader(502)
			return
		case AnswerRateLimited:
			w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter.Seconds())))
			w.WriteHeader(429)
			return
		}
		var m struct {
			To, Text, ReplyTo, Thread string
			Template                  *channels.TemplateMessage
		}
		_ = json.NewDecoder(r.Body).Decode(&m)
		p.sent = append(p.sent, Sent{Recipient: m.To, Text: m.Text, ReplyTo: m.ReplyTo, ThreadKey: m.Thread, Template: m.Template})
		_ = json.NewEncoder(w).Encode(map[string]string{"id": a.ProviderID})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *toyProvider) Features() Features {
	return Features{Webhook: true, Receipts: true, Provider: true}
}
func (p *toyProvider) Config() *channels.Config {
	return &channels.Config{Settings: map[string]any{"url": p.srv.URL}, Secrets: map[string]string{"token": toyToken},
		HTTP: p.srv.Client(), State: &channels.MemoryState{}}
}

func toyRequest(body any, token string) *http.Request {
	b, _ := json.Marshal(body)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/toy/key", bytes.NewReader(b))
	if token != "" {
		r.Header.Set("X-Toy-Token", token)
	}
	return r
}

func (p *toyProvider) Inbound(m Message) *http.Request {
	return toyRequest(map[string]string{"id": m.ID, "from": m.Sender, "text": m.Text}, toyToken)
}

func (p *toyProvider) Forged(m Message) []Case {
	body := map[string]string{"id": m.ID, "from": m.Sender, "text": m.Text}
	return []Case{{"no token", toyRequest(body, "")}, {"wrong token", toyRequest(body, "guess")}}
}

func (p *toyProvider) Malformed() []Case {
	truncated := httptest.NewRequest(http.MethodPost, "/webhooks/toy/key", bytes.NewReader([]byte(`{"id": "x", "fr`)))
	truncated.Header.Set("X-Toy-Token", toyToken)
	return []Case{{"no sender", toyRequest(map[string]string{"id": "x", "text": "hi"}, toyToken)}, {"truncated", truncated}}
}

func (p *toyProvider) Receipt(id string, st channels.DeliveryStatus) *http.Request {
	return toyRequest(map[string]string{"receipt": id, "status": string(st)}, toyToken)
}

func (p *toyProvider) Answer(a Answer) { p.mu.Lock(); p.answer = a; p.mu.Unlock() }
func (p *toyProvider) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}
func (p *toyProvider) Unauthenticated() int { p.mu.Lock(); defer p.mu.Unlock(); return p.unauthed }

// recordingTB collects failures instead of failing the test.
type recordingTB struct{ errors []string }

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestSuiteCatchesFlaws: a correct adapter passes every check; each
// broken one fails, so the suite cannot pass an adapter that breaks the
// contract.
func TestSuiteCatchesFlaws(t *testing.T) {
	var good recordingTB
	if skipped := Check(&good, toy{}, newToyProvider(t)); len(good.errors) > 0 || len(skipped) > 0 {
		t.Fatalf("a correct adapter failed %v (skipped %v)", good.errors, skipped)
	}
	for _, flaw := range []string{"no auth", "panics", "lax", "random ids", "no outbound auth", "all permanent", "ignores retry-after"} {
		var rec recordingTB
		Check(&rec, toy{flaw: flaw}, newToyProvider(t))
		if len(rec.errors) == 0 {
			t.Errorf("an adapter with the flaw %q passed the suite", flaw)
		} else {
			t.Logf("%s: %s", flaw, rec.errors[0])
		}
	}
}
