package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
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

// BenchmarkInboundWebhookConcurrent is BenchmarkInboundWebhook with 1, 8
// and 32 concurrent senders (each a returning customer of 200), reporting
// messages per second and the 99th percentile latency; bench/ compares
// the same with the database's own insert rate.
func BenchmarkInboundWebhookConcurrent(b *testing.B) {
	for _, senders := range []int{1, 8, 32} {
		b.Run(fmt.Sprint("senders=", senders), func(b *testing.B) {
			s := testenv.New(b)
			tok := s.AdminToken(b)
			var out struct{ CreateChannel struct{ WebhookURL string } }
			s.MustDo(b, tok, `mutation { createChannel(input: {kind: "api", name: "App", secrets: {secret: "`+apiSecret+`"}}) { webhookURL } }`, nil, &out)
			url := s.URL + out.CreateChannel.WebhookURL[len(s.Config.PublicURL):]
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			post := func(id, sender string) (time.Duration, error) {
				body, _ := json.Marshal(inboundPayload(id, sender, "hello"))
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("X-Switchboard-Timestamp", ts)
				req.Header.Set("X-Switchboard-Signature", "sha256="+sign(apiSecret, ts, body))
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					return 0, err
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					return 0, fmt.Errorf("status %d", res.StatusCode)
				}
				return time.Since(start), nil
			}
			for i := range 200 { // the senders are returning customers
				if _, err := post(fmt.Sprint("warm-", i), fmt.Sprint("sender-", i)); err != nil {
					b.Fatal(err)
				}
			}
			var mu sync.Mutex
			var lat []time.Duration
			var n atomic.Int64
			start := time.Now()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []time.Duration
					for i := n.Add(1); i <= int64(b.N); i = n.Add(1) {
						d, err := post(fmt.Sprint("bench-", i), fmt.Sprint("sender-", i%200))
						if err != nil {
							b.Error(err)
							return
						}
						mine = append(mine, d)
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			b.StopTimer()
			elapsed := time.Since(start)
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "msgs/s")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
