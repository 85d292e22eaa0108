package server_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// BenchmarkDelivery measures commit-to-delivery latency: from the moment
// the message is written in its transaction (its createdAt) until each
// subscriber's websocket client has decoded it, with 1, 100 and 1,000
// subscribers (100 per connection). It reports p50 and p99 over every
// delivery.
func BenchmarkDelivery(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			s := testenv.New(b)
			tok := s.AdminToken(b)
			conv := s.Conversation(b, tok)
			var subs []*testenv.Subscription
			for len(subs) < n {
				ws, err := s.DialWS(b, tok, testenv.DialOptions{})
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < 100 && len(subs) < n; i++ {
					subs = append(subs, ws.Subscribe(`subscription($c: ID) { messageAdded(conversationID: $c) { message { createdAt } } }`, map[string]any{"c": conv}))
				}
			}
			s.WaitSubscribers(b, n)
			var (
				mu        sync.Mutex
				latencies []time.Duration
			)
			b.ResetTimer()
			for b.Loop() {
				s.Send(b, tok, conv, "ping")
				var wg sync.WaitGroup
				for _, sub := range subs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						m := <-sub.C
						got := time.Now()
						var p struct {
							Data struct {
								MessageAdded struct{ Message struct{ CreatedAt time.Time } }
							}
						}
						if err := json.Unmarshal(m.Payload, &p); err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						latencies = append(latencies, got.Sub(p.Data.MessageAdded.Message.CreatedAt))
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkIdleSubscriptions measures the heap held per idle subscription
// with 10,000 open (100 connections of 100). Server and test client run in
// one process, so the figure includes the client's side.
func BenchmarkIdleSubscriptions(b *testing.B) {
	for b.Loop() {
		s := testenv.New(b)
		tok := s.AdminToken(b)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		const conns, per = 100, 100
		for c := 0; c < conns; c++ {
			ws, err := s.DialWS(b, tok, testenv.DialOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < per; i++ {
				ws.Subscribe(messageAdded, nil)
			}
		}
		s.WaitSubscribers(b, conns*per)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(conns*per), "heap-B/sub")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/(conns*per), "stack-B/sub")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/(conns*per), "goroutines/sub")
	}
}
