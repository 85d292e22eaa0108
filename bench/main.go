// Command bench measures Switchboard's throughput side by side with
// reference rates on the same PostgreSQL cluster (issue 15): signed
// webhooks stored per second against pgbench's single-row INSERT rate,
// the agent console's inbox page against PostGraphile 4.14.1 on the same
// data, and the server memory an idle subscription holds with the delivery
// latency to 1,000 subscribers; attachments' upload and download MiB/s
// against copying the file on the same disk, and the server's resident
// memory during 20 concurrent 25 MiB uploads. Each measurement runs -repeats times,
// Switchboard and its reference interleaved; it prints min / median / max
// and the ratio of the medians. Not run by CI: see bench/README.md.
//
//	go run ./bench [-pg URL] [-only ingest,inbox,subs,files] [-duration 10s] [-repeats 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

type options struct {
	pg       string
	only     map[string]bool
	duration time.Duration
	repeats  int
	cache    string
}

func main() {
	var o options
	var only string
	flag.StringVar(&o.pg, "pg", "postgres://root@127.0.0.1:5432/postgres?sslmode=disable", "a PostgreSQL server (superuser) to create the benchmark's databases on")
	flag.StringVar(&only, "only", "ingest,inbox,subs,files", "which parts to run")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each timed run")
	flag.IntVar(&o.repeats, "repeats", 3, "runs of each measurement (Switchboard and its reference interleaved)")
	flag.StringVar(&o.cache, "cache", cacheDir(), "where PostGraphile is installed (npm)")
	flag.StringVar(&heapProfile, "heapprofile", "", "save the server's heap profile with the 10,000 idle subscriptions open to this file")
	flag.Parse()
	o.only = map[string]bool{}
	for _, p := range strings.Split(only, ",") {
		o.only[strings.TrimSpace(p)] = true
	}
	log.SetFlags(log.Ltime)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

func cacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return d + "/switchboard-bench"
	}
	return os.TempDir() + "/switchboard-bench"
}

func run(ctx context.Context, o options) error {
	bin, cleanup, err := buildServer(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	host, _ := os.Hostname()
	cpus, _ := os.ReadFile("/proc/cpuinfo")
	fmt.Printf("# bench on %s (%d CPUs), %s per run, %d repeats, %s\n\n", host, strings.Count(string(cpus), "processor\t:"), o.duration, o.repeats, time.Now().UTC().Format(time.RFC3339))
	if o.only["ingest"] {
		if err := benchIngest(ctx, o, bin); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	if o.only["inbox"] {
		if err := benchInbox(ctx, o, bin); err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
	}
	if o.only["files"] {
		if err := benchFiles(ctx, o, bin); err != nil {
			return fmt.Errorf("files: %w", err)
		}
	}
	if o.only["subs"] {
		if err := benchSubscriptions(ctx, o, bin); err != nil {
			return fmt.Errorf("subscriptions: %w", err)
		}
	}
	return nil
}

// spread is min / median / max of a few runs.
type spread []float64

func (s spread) stats() (lo, med, hi float64) {
	v := slices.Clone(s)
	slices.Sort(v)
	if len(v) == 0 {
		return 0, 0, 0
	}
	return v[0], v[len(v)/2], v[len(v)-1]
}

func (s spread) String() string {
	lo, med, hi := s.stats()
	f := "%.0f / %.0f / %.0f"
	if med < 100 {
		f = "%.1f / %.1f / %.1f"
	}
	return fmt.Sprintf(f, lo, med, hi)
}

func (s spread) median() float64 { _, m, _ := s.stats(); return m }
