package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/testenv"
)

// replyTo starts a conversation with an inbound message and returns its id.
func replyTo(t *testing.T, s *testenv.Server, ch apiChannel, sender string) string {
	t.Helper()
	status, ids := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload("in-"+sender, sender, "hello"))
	if status != 200 {
		t.Fatalf("inbound: %d", status)
	}
	return ids["conversationID"]
}

// waitStatus waits for a message's delivery status.
func waitStatus(t *testing.T, s *testenv.Server, tok, id, want string) (status, deliveryError string) {
	t.Helper()
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct{ DeliveryStatus, DeliveryError string }
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
		status, deliveryError = out.Node.DeliveryStatus, out.Node.DeliveryError
		if status != want {
			return fmt.Errorf("message %s is %s (%s), want %s", id, status, deliveryError, want)
		}
		return nil
	})
	return status, deliveryError
}

// TestOutboundDelivery: an agent's reply reaches the integrator signed,
// with the recipient and a delivery id, becomes SENT, and the change
// reaches messageUpdated. Notes are never sent.
func TestOutboundDelivery(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	conv := replyTo(t, s, ch, "user-1")
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	updates := ws.Subscribe(`subscription { messageUpdated { message { id deliveryStatus } } }`, nil)
	s.WaitSubscribers(t, 1)
	s.MustDo(t, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "internal only", private: true}) { id } }`, map[string]any{"c": conv}, &struct{}{})
	id := s.Send(t, tok, conv, "Your order ships today")
	var ev struct {
		MessageUpdated struct {
			Message struct{ ID, DeliveryStatus string }
		}
	}
	updates.Next(t, &ev)
	if ev.MessageUpdated.Message.ID != id || ev.MessageUpdated.Message.DeliveryStatus != "SENT" {
		t.Fatalf("messageUpdated = %+v", ev)
	}
	deliveries, bodies := in.received()
	if len(bodies) != 1 || in.badSigs.Load() != 0 {
		t.Fatalf("integrator got %d messages (%d badly signed), want exactly the reply", len(bodies), in.badSigs.Load())
	}
	b := bodies[0]
	msg, _ := b["message"].(map[string]any)
	rcpt, _ := b["recipient"].(map[string]any)
	if b["event"] != "message.created" || msg["text"] != "Your order ships today" || msg["id"] != id ||
		rcpt["externalID"] != "user-1" || b["conversationID"] != conv || deliveries[b["deliveryID"].(string)] != 1 {
		t.Fatalf("integrator got %v", b)
	}
}

// TestOutboundRetries: failures are retried with the same delivery id
// until they succeed, FAILED after the limit, and a permanent error fails
// at once.
func TestOutboundRetries(t *testing.T) {
	s := testenv.New(t) // 4 attempts, fast backoff
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	conv := replyTo(t, s, ch, "user-2")

	in.failFirst.Store(2)
	id := s.Send(t, tok, conv, "third time lucky")
	waitStatus(t, s, tok, id, "SENT")
	deliveries, _ := in.received()
	if len(deliveries) != 1 {
		t.Fatalf("deliveries = %v, want one delivery id", deliveries)
	}

	in.failFirst.Store(1000)
	id = s.Send(t, tok, conv, "never arrives")
	_, reason := waitStatus(t, s, tok, id, "FAILED")
	if !strings.Contains(reason, "500") {
		t.Fatalf("failure reason %q should say what the integrator answered", reason)
	}
	in.failFirst.Store(0)

	noCallback := createAPIChannel(t, s, tok, "")
	conv2 := replyTo(t, s, noCallback, "user-3")
	start := time.Now()
	id = s.Send(t, tok, conv2, "nowhere to go")
	_, reason = waitStatus(t, s, tok, id, "FAILED")
	if reason == "" || time.Since(start) > 10*time.Second {
		t.Fatalf("permanent failure: reason %q", reason)
	}
}

// TestOutboxTwoInstances: outbox workers on two instances never send one
// message twice.
func TestOutboxTwoInstances(t *testing.T) {
	a, b := twoInstances(t)
	tok := a.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, a, tok, in.URL)
	conv := replyTo(t, a, ch, "user-4")
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		ids[i] = srv.Send(t, tok, conv, fmt.Sprint("reply ", i))
	}
	for _, id := range ids {
		waitStatus(t, a, tok, id, "SENT")
	}
	deliveries, bodies := in.received()
	if len(bodies) != n {
		t.Fatalf("integrator got %d messages, want %d", len(bodies), n)
	}
	for d, times := range deliveries {
		if times != 1 {
			t.Fatalf("delivery %s sent %d times", d, times)
		}
	}
}

// TestSecretsStaySecret: a channel's secret never appears in a query result
// or a log line, whatever happens to the channel.
func TestSecretsStaySecret(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	conv := replyTo(t, s, ch, "user-5")
	waitStatus(t, s, tok, s.Send(t, tok, conv, "hi"), "SENT")
	post(t, ch.WebhookURL, "forged-secret-value-123", time.Now(), inboundPayload("x", "y", "z"))
	var v struct {
		VerifyChannel struct{ VerificationState string }
	}
	s.MustDo(t, tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState } }`, map[string]any{"id": ch.ID}, &v)
	if v.VerifyChannel.VerificationState != "VERIFIED" {
		t.Fatalf("verify against a live integrator: %s", v.VerifyChannel.VerificationState)
	}
	r := s.Do(t, tok, `{ channels { edges { node { id kind name settings secretFieldsSet webhookURL verificationError } } } channelKinds { kind secretFields { name } } }`, nil)
	if strings.Contains(string(r.Data), apiSecret) || strings.Contains(s.Logs.String(), apiSecret) {
		t.Fatal("the channel secret leaked into a query result or the logs")
	}
	if !strings.Contains(string(r.Data), `"secretFieldsSet":["secret"]`) {
		t.Fatalf("secretFieldsSet missing: %s", r.Data)
	}
}

// TestSecretKeyRotation: after a key rotation old ciphertexts still open
// with the previous key, and what is written anew uses the new key.
func TestSecretKeyRotation(t *testing.T) {
	db := testenv.OpenDB(t)
	oldSrv := testenv.NewOn(t, db)
	tok := oldSrv.AdminToken(t)
	ch := createAPIChannel(t, oldSrv, tok, "")
	oldKey := oldSrv.Config.SecretKey
	newKey := make([]byte, 32)
	copy(newKey, []byte("a brand new 32-byte secret key!!"))
	rotated := testenv.NewOn(t, testenv.Reopen(t, db), testenv.SameSecrets(oldSrv), func(c *config.Config) {
		c.SecretKey, c.PreviousSecretKeys = newKey, [][]byte{oldKey}
	})
	url := rotated.URL + strings.TrimPrefix(ch.WebhookURL, oldSrv.URL)
	if status, _ := post(t, url, apiSecret, time.Now(), inboundPayload("r-1", "u", "old ciphertext")); status != http.StatusOK {
		t.Fatalf("with the previous key: %d", status)
	}
	// Rewrite the secret under the new key; an instance that only knows the
	// new key reads it.
	const next = "the-rotated-integrator-secret"
	rotated.MustDo(t, tok, `mutation($id: ID!) { updateChannel(id: $id, input: {secrets: {secret: "`+next+`"}}) { id } }`, map[string]any{"id": ch.ID}, &struct{}{})
	newOnly := testenv.NewOn(t, testenv.Reopen(t, db), testenv.SameSecrets(oldSrv), func(c *config.Config) {
		c.SecretKey, c.PreviousSecretKeys = newKey, nil
	})
	url = newOnly.URL + strings.TrimPrefix(ch.WebhookURL, oldSrv.URL)
	if status, _ := post(t, url, next, time.Now(), inboundPayload("r-2", "u", "new ciphertext")); status != http.StatusOK {
		t.Fatalf("with only the new key: %d", status)
	}
}
