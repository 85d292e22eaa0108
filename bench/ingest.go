package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const apiSecret = "bench-api-channel-secret"

// webhooks signs and posts API-channel webhooks.
type webhooks struct {
	url    string
	client *http.Client
	seq    atomic.Int64
}

func newWebhooks(ctx context.Context, s *server) (*webhooks, error) {
	var out struct{ CreateChannel struct{ WebhookURL string } }
	err := s.graphql(ctx, s.token, `mutation($s: String!) { createChannel(input: {kind: "api", name: "Bench", secrets: {secret: $s}}) { webhookURL } }`,
		map[string]any{"s": apiSecret}, &out)
	if err != nil {
		return nil, err
	}
	return &webhooks{url: out.CreateChannel.WebhookURL, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}, nil
}

// post sends one message from sender and returns how long the answer took.
func (w *webhooks) post(ctx context.Context, sender, text string) (time.Duration, error) {
	id := w.seq.Add(1)
	body, _ := json.Marshal(map[string]any{"messageID": "bench-" + strconv.FormatInt(id, 10),
		"sender": map[string]any{"externalID": sender, "name": "Customer " + sender}, "text": text})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(apiSecret))
	mac.Write([]byte(ts + "." + string(body)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Switchboard-Timestamp", ts)
	req.Header.Set("X-Switchboard-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	start := time.Now()
	res, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("webhook: status %d", res.StatusCode)
	}
	return time.Since(start), nil
}

const senderPool = 200

// load posts from n concurrent senders for d; it returns messages per
// second and the 99th percentile latency.
func (w *webhooks) load(ctx context.Context, n int, d time.Duration) (rate float64, p99 time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for k := 0; ctx.Err() == nil; k++ {
				took, err := w.post(ctx, fmt.Sprint("s", (i*7919+k)%senderPool), "hello")
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
					break
				}
				mine = append(mine, took)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, 0, firstErr
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0, 0, fmt.Errorf("no webhook answered")
	}
	return float64(len(lat)) / time.Since(start).Seconds(), lat[len(lat)*99/100], nil
}

func benchIngest(ctx context.Context, o options, bin string) error {
	db, s, done, err := serveOn(ctx, o, bin, "ingest")
	if err != nil {
		return err
	}
	defer done()
	w, err := newWebhooks(ctx, s)
	if err != nil {
		return err
	}
	for i := range senderPool { // returning customers from here on
		if _, err := w.post(ctx, fmt.Sprint("s", i), "first"); err != nil {
			return err
		}
	}
	if _, err := db.admin.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, workspace text, body text, created_at timestamptz DEFAULT now())`); err != nil {
		return err
	}
	defer db.admin.Exec(`DROP TABLE IF EXISTS bench_insert`)
	script, err := os.CreateTemp("", "bench-insert-*.sql")
	if err != nil {
		return err
	}
	defer os.Remove(script.Name())
	fmt.Fprintln(script, `INSERT INTO bench_insert (workspace, body) VALUES ('w', 'hello');`)
	script.Close()

	fmt.Println("## Ingest: signed webhooks stored per second vs pgbench single-row INSERT (one transaction each)")
	fmt.Println()
	fmt.Println("| senders | Switchboard msgs/s (min / median / max) | p99 ms (median) | pgbench tps (min / median / max) | ratio of medians |")
	fmt.Println("|---|---|---|---|---|")
	for _, n := range []int{1, 8, 32} {
		var ours, ref, p99s spread
		for range o.repeats {
			rate, p99, err := w.load(ctx, n, o.duration)
			if err != nil {
				return err
			}
			ours, p99s = append(ours, rate), append(p99s, float64(p99.Microseconds())/1000)
			tps, err := pgbench(ctx, o.pg, script.Name(), n, o.duration)
			if err != nil {
				return err
			}
			ref = append(ref, tps)
		}
		fmt.Printf("| %d | %s | %.1f | %s | %.0f%% |\n", n, ours, p99s.median(), ref, 100*ours.median()/ref.median())
	}
	fmt.Println()
	return nil
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbench runs script with n clients for d on the cluster of base.
func pgbench(ctx context.Context, base, script string, n int, d time.Duration) (float64, error) {
	u, err := url.Parse(base)
	if err != nil {
		return 0, err
	}
	args := []string{"-n", "-f", script, "-c", strconv.Itoa(n), "-j", strconv.Itoa(min(n, 2)), "-T", strconv.Itoa(int(d.Seconds())),
		"-h", u.Hostname(), "-p", cmp(u.Port(), "5432"), "-U", u.User.Username(), strings.TrimPrefix(u.Path, "/")}
	out, err := exec.CommandContext(ctx, "pgbench", args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
