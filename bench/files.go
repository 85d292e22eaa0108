package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

const (
	sampleBytes    = 10 << 20        // the throughput file
	filesPerRound  = 5               // uploads, downloads and copies timed per round
	bigUploads     = 20              // concurrent uploads in the memory measurement
	bigUploadBytes = 25<<20 - 64<<10 // just under the default SWITCHBOARD_MAX_FILE_BYTES
	memoryBudget   = 100 << 20       // what the concurrent uploads may add to the server's RSS
	uploadQuery    = `mutation($file: Upload!) { uploadAttachment(file: $file) { id size url } }`
	pdfHeader      = "%PDF-1.7\n" // so the bytes sniff as application/pdf, allowed by default
	rssInterval    = 50 * time.Millisecond
)

// benchFiles measures attachments (issue 17): uploadAttachment and its
// signed link's download, 10 MiB at a time, next to copying the same file
// on the same filesystem; then the server's resident memory while 20
// files of almost 25 MiB arrive at once.
func benchFiles(ctx context.Context, o options, bin string) error {
	dir, err := os.MkdirTemp("", "switchboard-bench-files-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data") // SWITCHBOARD_DATA_DIR; the copies go there too
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	sample, big := filepath.Join(dir, "sample.pdf"), filepath.Join(dir, "big.pdf")
	if err := writePDF(sample, sampleBytes); err != nil {
		return err
	}
	if err := writePDF(big, bigUploadBytes); err != nil {
		return err
	}
	// The limit is set to its documented default explicitly: at 4d883b2
	// an unset SWITCHBOARD_MAX_FILE_BYTES leaves the multipart body limit
	// at 1 MiB (0 + 1 MiB), so every upload over it is refused with 413.
	env := []string{"SWITCHBOARD_DATA_DIR=" + data, fmt.Sprintf("SWITCHBOARD_MAX_FILE_BYTES=%d", 25<<20)}

	fmt.Printf("## Files: %d MiB PDF of random bytes, %d uploads, downloads and copies a round; data dir %s\n\n", sampleBytes>>20, filesPerRound, data)
	if err := filesThroughput(ctx, o, bin, env, sample, data); err != nil {
		return err
	}
	return filesMemory(ctx, o, bin, env, big)
}

// filesThroughput times, per round, filesPerRound sequential uploads of
// sample, as many downloads of its link, and as many copies of it into
// data: io.Copy between two os.Files then fsync (what the server's disk
// store does with an upload), and /bin/cp (no fsync).
func filesThroughput(ctx context.Context, o options, bin string, env []string, sample, data string) error {
	_, s, done, err := serveOn(ctx, o, bin, "files", env...)
	if err != nil {
		return err
	}
	defer done()
	c := &http.Client{Transport: &http.Transport{}}
	link, err := upload(ctx, c, s, sample)
	if err != nil {
		return err
	}
	if err := download(ctx, c, link, sampleBytes); err != nil {
		return err
	}
	var up, down, synced, cp spread
	mibps := func(d time.Duration) float64 { return float64(filesPerRound*sampleBytes) / (1 << 20) / d.Seconds() }
	for range o.repeats {
		d, err := timed(func(int) error { l, err := upload(ctx, c, s, sample); link = l; return err })
		if err != nil {
			return fmt.Errorf("upload: %w", err)
		}
		up = append(up, mibps(d))
		if d, err = timed(func(int) error { return download(ctx, c, link, sampleBytes) }); err != nil {
			return fmt.Errorf("download: %w", err)
		}
		down = append(down, mibps(d))
		if d, err = timed(func(i int) error { return copySynced(sample, filepath.Join(data, fmt.Sprintf("copy-%d", i))) }); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		synced = append(synced, mibps(d))
		if d, err = timed(func(i int) error {
			return exec.CommandContext(ctx, "/bin/cp", sample, filepath.Join(data, fmt.Sprintf("cp-%d", i))).Run()
		}); err != nil {
			return fmt.Errorf("/bin/cp: %w", err)
		}
		cp = append(cp, mibps(d))
	}
	ratio := func(a, b spread) string { return fmt.Sprintf("%.2f×", a.median()/b.median()) }
	fmt.Println("| | MiB/s (min / median / max) | ÷ copy + fsync | ÷ /bin/cp |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| upload: `uploadAttachment`, multipart, one at a time | %s | %s | %s |\n", up, ratio(up, synced), ratio(up, cp))
	fmt.Printf("| download: GET its signed `url` | %s | %s | %s |\n", down, ratio(down, synced), ratio(down, cp))
	fmt.Printf("| reference: io.Copy to a new file + fsync | %s | 1.00× | %s |\n", synced, ratio(synced, cp))
	fmt.Printf("| reference: /bin/cp (no fsync) | %s | %s | 1.00× |\n\n", cp, ratio(cp, synced))
	return nil
}

// timed runs fn filesPerRound times and returns how long that took.
func timed(fn func(i int) error) (time.Duration, error) {
	start := time.Now()
	for i := range filesPerRound {
		if err := fn(i); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// filesMemory starts a server per repeat, warms it with one small upload,
// reads its idle RSS, then sends bigUploads uploads of big at once and
// reports its peak RSS meanwhile minus the idle one. The peak is the
// kernel's VmHWM after resetting it (clear_refs), checked against VmRSS
// sampled every rssInterval.
func filesMemory(ctx context.Context, o options, bin string, env []string, big string) error {
	var grew, sampledGrew, idles, took spread
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	for range o.repeats {
		m, err := concurrentUploads(ctx, o, bin, env, big)
		if err != nil {
			return err
		}
		grew, sampledGrew = append(grew, mib(max(m.hwm, m.sampled)-m.idle)), append(sampledGrew, mib(m.sampled-m.idle))
		idles = append(idles, mib(m.idle))
		took = append(took, mib(bigUploads*bigUploadBytes)/m.took.Seconds())
	}
	verdict := "PASS"
	if grew.median() >= memoryBudget>>20 {
		verdict = "FAIL"
	}
	fmt.Printf("%d concurrent uploads of %.2f MiB (25 MiB − 64 KiB), a fresh server each run:\n\n", bigUploads, float64(bigUploadBytes)/(1<<20))
	fmt.Println("| | min / median / max |")
	fmt.Println("|---|---|")
	fmt.Printf("| server RSS idle, MiB | %s |\n", idles)
	fmt.Printf("| server peak RSS during the uploads − idle, MiB (VmHWM reset before them) | %s |\n", grew)
	fmt.Printf("| the same from VmRSS sampled every %s, MiB | %s |\n", rssInterval, sampledGrew)
	fmt.Printf("| the %d uploads together, MiB/s | %s |\n\n", bigUploads, took)
	fmt.Printf("%s: peak − idle %.1f MiB (median) against %d MiB.\n\n", verdict, grew.median(), memoryBudget>>20)
	return nil
}

// rssDuring is the server's resident memory around the concurrent uploads,
// in bytes: idle before them, and at its highest while they ran, by the
// kernel (VmHWM, reset just before; 0 if the reset was refused) and by
// sampling VmRSS.
type rssDuring struct {
	idle, hwm, sampled int64
	took               time.Duration
}

func concurrentUploads(ctx context.Context, o options, bin string, env []string, big string) (rssDuring, error) {
	var m rssDuring
	_, s, done, err := serveOn(ctx, o, bin, "files_memory", env...)
	if err != nil {
		return m, err
	}
	defer done()
	pid := s.cmd.Process.Pid
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bigUploads}}
	small := big + ".small"
	if err := writePDF(small, 64<<10); err != nil {
		return m, err
	}
	defer os.Remove(small)
	if _, err := upload(ctx, c, s, small); err != nil {
		return m, err
	}
	time.Sleep(time.Second)
	if m.idle, _, err = memory(pid); err != nil {
		return m, err
	}
	hwm := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil // VmHWM := VmRSS
	stop := make(chan struct{})
	sampled := make(chan int64)
	go func() {
		var top int64
		t := time.NewTicker(rssInterval)
		defer t.Stop()
		for {
			if rss, _, err := memory(pid); err == nil {
				top = max(top, rss)
			}
			select {
			case <-stop:
				sampled <- top
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	errs := make(chan error, bigUploads)
	for range bigUploads {
		go func() { _, err := upload(ctx, c, s, big); errs <- err }()
	}
	var failed []error
	for range bigUploads {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	m.took = time.Since(start)
	close(stop)
	m.sampled = <-sampled
	if _, high, err := memory(pid); err == nil && hwm {
		m.hwm = high
	}
	if len(failed) > 0 {
		return m, fmt.Errorf("%d of %d concurrent uploads failed: %w", len(failed), bigUploads, errors.Join(failed...))
	}
	return m, nil
}

// memory reads a process's resident set now (VmRSS) and at its highest
// (VmHWM), in bytes.
func memory(pid int) (rss, hwm int64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var kb int64
		if n, _ := fmt.Sscanf(string(line), "VmRSS: %d kB", &kb); n == 1 {
			rss = kb << 10
		} else if n, _ := fmt.Sscanf(string(line), "VmHWM: %d kB", &kb); n == 1 {
			hwm = kb << 10
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, hwm, nil
}

// upload sends the file at path as a multipart GraphQL request
// (graphql-multipart-request-spec) declared application/pdf, streamed from
// disk with its Content-Length, and returns the attachment's link.
func upload(ctx context.Context, c *http.Client, s *server, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return "", err
	}
	// The framing before and after the file's bytes is small and built in
	// memory; the file itself is read as the request is sent.
	var framing bytes.Buffer
	mw := multipart.NewWriter(&framing)
	_ = mw.WriteField("operations", `{"query":`+quote(uploadQuery)+`,"variables":{"file":null}}`)
	_ = mw.WriteField("map", `{"0":["variables.file"]}`)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="0"; filename="`+filepath.Base(path)+`"`)
	h.Set("Content-Type", "application/pdf")
	if _, err := mw.CreatePart(h); err != nil {
		f.Close()
		return "", err
	}
	head := framing.Len()
	_ = mw.Close()
	body := struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(framing.Bytes()[:head]), f, bytes.NewReader(framing.Bytes()[head:])), f}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/graphql", body)
	if err != nil {
		f.Close()
		return "", err
	}
	req.ContentLength = int64(framing.Len()) + st.Size()
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	var out struct {
		UploadAttachment struct {
			ID   string
			Size int64
			URL  string
		}
	}
	if err := readGraphQL(res, "uploadAttachment", &out); err != nil {
		return "", err
	}
	if a := out.UploadAttachment; a.Size != st.Size() || a.URL == "" {
		return "", fmt.Errorf("uploadAttachment stored %d bytes of %d, url %q", a.Size, st.Size(), a.URL)
	}
	return out.UploadAttachment.URL, nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// download reads link's body, which must be size bytes.
func download(ctx context.Context, c *http.Client, link string, size int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || n != size {
		return fmt.Errorf("GET %s: %s, %d bytes of %d", link, res.Status, n, size)
	}
	return nil
}

// copySynced copies src to a new file dst and syncs it to disk.
func copySynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writePDF writes size bytes that start like a PDF and go on at random.
func writePDF(path string, size int) error {
	b := make([]byte, size)
	_, _ = rand.Read(b)
	copy(b, pdfHeader)
	return os.WriteFile(path, b, 0o600)
}
