package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// socket is one graphql-transport-ws connection.
type socket struct {
	c    *websocket.Conn
	mu   sync.Mutex
	next int
}

func dial(ctx context.Context, s *server) (*socket, error) {
	c, _, err := websocket.Dial(ctx, strings.Replace(s.url, "http", "ws", 1)+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	ws := &socket{c: c}
	if err := ws.send(ctx, map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + s.token}}); err != nil {
		return nil, err
	}
	var ack struct{ Type string }
	_, raw, err := c.Read(ctx)
	if err != nil {
		return nil, err
	}
	if json.Unmarshal(raw, &ack); ack.Type != "connection_ack" {
		return nil, fmt.Errorf("connection_init answered %s", raw)
	}
	return ws, nil
}

func (ws *socket) send(ctx context.Context, v any) error {
	raw, _ := json.Marshal(v)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.c.Write(ctx, websocket.MessageText, raw)
}

func (ws *socket) subscribe(ctx context.Context, query string) error {
	ws.next++
	return ws.send(ctx, map[string]any{"id": strconv.Itoa(ws.next), "type": "subscribe", "payload": map[string]any{"query": query}})
}

const messageAdded = `subscription { messageAdded { cursor message { body } } }`

func benchSubscriptions(ctx context.Context, o options, bin string) error {
	db, err := createDatabase(ctx, o.pg, fmt.Sprintf("switchboard_bench_subs_%d", os.Getpid()))
	if err != nil {
		return err
	}
	defer db.drop()
	fmt.Println("## Subscriptions")
	fmt.Println()
	var perSub spread
	var goroutines float64
	for range o.repeats {
		b, g, err := idleMemory(ctx, bin, db, 100, 100)
		if err != nil {
			return err
		}
		perSub, goroutines = append(perSub, b), g
	}
	fmt.Printf("10,000 idle `messageAdded` subscriptions (100 connections of 100): server heap in use + goroutine stacks after a GC, per subscription, bytes (min / median / max): %s; %.2f goroutines each.\n\n", perSub, goroutines)

	s, err := startServer(ctx, bin, db.url)
	if err != nil {
		return err
	}
	defer s.stop()
	var p50s, p99s spread
	for range o.repeats {
		p50, p99, err := deliveryLatency(ctx, s, 10, 100, o.duration)
		if err != nil {
			return err
		}
		p50s, p99s = append(p50s, p50), append(p99s, p99)
	}
	fmt.Printf("Inbound webhook → 1,000 subscribers (10 connections of 100), 5 messages/s, latency from the POST to each subscriber reading the message, ms (min / median / max of the runs): p50 %s, p99 %s.\n\n",
		p50s, p99s)
	return nil
}

// idleMemory opens conns×per idle subscriptions on a fresh server and
// returns the server's heap and stacks they hold, per subscription.
func idleMemory(ctx context.Context, bin string, db *database, conns, per int) (float64, float64, error) {
	s, err := startServer(ctx, bin, db.url)
	if err != nil {
		return 0, 0, err
	}
	defer s.stop()
	// One subscription first, so that what every subscription shares (the
	// parsed document, the workspace's tail) is not counted per
	// subscription.
	warm, err := dial(ctx, s)
	if err != nil {
		return 0, 0, err
	}
	defer warm.c.CloseNow()
	if err := warm.subscribe(ctx, messageAdded); err != nil {
		return 0, 0, err
	}
	time.Sleep(500 * time.Millisecond)
	h0, s0, g0, err := s.memstats()
	if err != nil {
		return 0, 0, err
	}
	var sockets []*socket
	defer func() {
		for _, ws := range sockets {
			ws.c.CloseNow()
		}
	}()
	for range conns {
		ws, err := dial(ctx, s)
		if err != nil {
			return 0, 0, err
		}
		sockets = append(sockets, ws)
		for range per {
			if err := ws.subscribe(ctx, messageAdded); err != nil {
				return 0, 0, err
			}
		}
	}
	// Wait until the subscriptions are set up (the goroutine count settles).
	var h1, s1, g1 uint64
	for prev := uint64(0); ; prev = g1 {
		time.Sleep(time.Second)
		if h1, s1, g1, err = s.memstats(); err != nil {
			return 0, 0, err
		}
		if g1 == prev {
			break
		}
	}
	if heapProfile != "" {
		if err := saveHeapProfile(s); err != nil {
			return 0, 0, err
		}
	}
	n := float64(conns * per)
	return (float64(h1+s1) - float64(h0+s0)) / n, (float64(g1) - float64(g0)) / n, nil
}

// deliveryLatency posts webhooks at 5 a second for d while conns×per
// subscribers listen, and returns the p50 and p99 of the time from each
// POST to each subscriber having read the message, in ms.
func deliveryLatency(ctx context.Context, s *server, conns, per int, d time.Duration) (float64, float64, error) {
	w, err := newWebhooks(ctx, s)
	if err != nil {
		return 0, 0, err
	}
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for range conns {
		ws, err := dial(ctx, s)
		if err != nil {
			return 0, 0, err
		}
		defer ws.c.CloseNow()
		for range per {
			if err := ws.subscribe(ctx, messageAdded); err != nil {
				return 0, 0, err
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, raw, err := ws.c.Read(rctx)
				if err != nil {
					return
				}
				now := time.Now()
				var m struct {
					Type    string
					Payload struct {
						Data struct {
							MessageAdded struct{ Message struct{ Body string } }
						}
					}
				}
				if json.Unmarshal(raw, &m) != nil || m.Type != "next" {
					continue
				}
				body := m.Payload.Data.MessageAdded.Message.Body
				mu.Lock()
				if t, ok := sent[body]; ok {
					lat = append(lat, now.Sub(t))
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second) // the subscriptions are live
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		body := "latency-" + strconv.Itoa(i) + "-" + randomHex(4)
		mu.Lock()
		sent[body] = time.Now()
		mu.Unlock()
		go func() { _, _ = w.post(ctx, "latency-sender", body) }()
	}
	time.Sleep(2 * time.Second) // the last deliveries
	stop()
	wg.Wait()
	if len(lat) == 0 {
		return 0, 0, fmt.Errorf("no message reached a subscriber")
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), nil
}

// heapProfile, if set (-heapprofile), receives the server's heap profile
// while the idle subscriptions are open.
var heapProfile string

func saveHeapProfile(s *server) error {
	res, err := http.Get(s.debug + "/debug/pprof/heap")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(heapProfile)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}
