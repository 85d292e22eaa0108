package server_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard/switchboard/internal/testenv"
)

func get(t *testing.T, url, acceptEncoding, etag string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	// The transport would otherwise ask for gzip and decompress by itself.
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// TestStaticAssetsGzipped: the console page loads nothing from another
// host, and it, its libraries and /widget.js are served gzip-compressed to
// clients that accept it, plain to the others, and not at all when the
// client's copy is current.
func TestStaticAssetsGzipped(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	_, page := get(t, s.URL+"/", "", "")
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 4 {
		t.Fatalf("the console page references %d files:\n%s", len(refs), page)
	}
	paths := []string{"/", "/widget.js"}
	for _, r := range refs {
		if !strings.HasPrefix(r[1], "/") {
			t.Errorf("the console loads %s from elsewhere", r[1])
		}
		paths = append(paths, r[1])
	}
	for _, p := range paths {
		zres, zbody := get(t, s.URL+p, "br, gzip;q=0.8", "")
		if zres.StatusCode != http.StatusOK || zres.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s with gzip: %d, Content-Encoding %q", p, zres.StatusCode, zres.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zbody))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		unzipped, _ := io.ReadAll(zr)
		res, body := get(t, s.URL+p, "gzip;q=0", "")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, unzipped) || len(body) == 0 {
			t.Fatalf("%s without gzip: %d, Content-Encoding %q, %d bytes (%d unzipped)", p, res.StatusCode,
				res.Header.Get("Content-Encoding"), len(body), len(unzipped))
		}
		if len(zbody) >= len(body) && len(body) > 1000 {
			t.Errorf("%s: %d bytes compressed, %d plain", p, len(zbody), len(body))
		}
		if res, _ := get(t, s.URL+p, "gzip", res.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", p, res.StatusCode)
		}
	}
}

// TestConsoleOffline: GraphiQL starts in a browser that reaches nothing
// but the server, and runs a query.
func TestConsoleOffline(t *testing.T) {
	findBrowser(t)
	s := testenv.New(t, testenv.NoRouting)
	b := newBrowser(t)
	b.do(t, "open the console", chromedp.Navigate(s.URL+"/"))
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](
		`!!document.querySelector(".graphiql-container .graphiql-execute-button")`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(browserTimeout)))
	if err != nil {
		t.Fatalf("GraphiQL did not start: %v\n%s", err, strings.Join(b.logs, "\n"))
	}
	// A query with no credentials: the schema's own name.
	result, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => {
		const r = await GraphiQL.createFetcher({ url: "/graphql" })({ query: "{ __typename }" });
		if (r && r[Symbol.asyncIterator]) {
			for await (const part of r) return JSON.stringify(part);
		}
		return JSON.stringify(r);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.Contains(result, `"__typename":"Query"`) {
		t.Fatalf("query from the console: %q %v\n%s", result, err, strings.Join(b.logs, "\n"))
	}
}
