package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// BenchmarkInboundWebhook measures the hot path: a signed API-channel
// webhook request authenticated, deduplicated, resolved to its customer
// and conversation, stored with its events in one transaction, and
// acknowledged, over HTTP. Each iteration is a new message of one of 50
// returning senders.
func BenchmarkInboundWebhook(b *testing.B) {
	s := testenv.New(b)
	tok := s.AdminToken(b)
	var out struct{ CreateChannel struct{ WebhookURL string } }
	s.MustDo(b, tok, `mutation { createChannel(input: {kind: "api", name: "App", secrets: {secret: "`+apiSecret+`"}}) { webhookURL } }`, nil, &out)
	url := s.URL + out.CreateChannel.WebhookURL[len(s.Config.PublicURL):]
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		body, _ := json.Marshal(inboundPayload(fmt.Sprint("bench-", i), fmt.Sprint("sender-", i%50), "hello"))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("X-Switchboard-Timestamp", ts)
		req.Header.Set("X-Switchboard-Signature", "sha256="+sign(apiSecret, ts, body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
