package server_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/viewer"
)

// TestFileLinks: a stored file is served by its signed link over real
// HTTP: the bytes, Range and ETag; an image inline with its dimensions,
// HTML and SVG only as downloads and never sniffed; a tampered or
// expired link 403; a file over the limit refused with nothing kept.
func TestFileLinks(t *testing.T) {
	clk := &clock{at: time.Now().UTC()}
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Now = clk.Now
		o.Adapters = []channels.Adapter{}
	}})
	tok := s.AdminToken(t)
	var v struct {
		Viewer struct{ Workspace struct{ ID string } }
	}
	s.MustDo(t, tok, `{ viewer { workspace { id } } }`, nil, &v)
	ctx := viewer.NewContext(privacy.DecisionContext(context.Background(), privacy.Allow), viewer.System(gid.ID(v.Viewer.Workspace.ID)))
	get := func(link string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+strings.TrimPrefix(link, s.Config.PublicURL), nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	save := func(name, declared string, body []byte) string {
		t.Helper()
		f, err := s.App.Files.Save(ctx, files.New{Name: name, DeclaredType: declared, Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		return s.App.Files.URL(f)
	}

	text := bytes.Repeat([]byte("0123456789"), 1000)
	link := save("../../etc/notes.txt", "text/plain", text)
	res := get(link)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !bytes.Equal(body, text) || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		res.Header.Get("Content-Disposition") != `attachment; filename=notes.txt` {
		t.Fatalf("GET = %d %q %v", res.StatusCode, body[:min(20, len(body))], res.Header)
	}
	if r := get(link, "Range", "bytes=10-19"); r.StatusCode != http.StatusPartialContent {
		t.Fatalf("Range: %d", r.StatusCode)
	} else if b, _ := io.ReadAll(r.Body); string(b) != "0123456789" {
		t.Fatalf("Range body %q", b)
	}
	if r := get(link, "If-None-Match", res.Header.Get("ETag")); r.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", r.StatusCode)
	}
	for name, bad := range map[string]string{
		"tampered signature": strings.Replace(link, "sig=", "sig=00", 1),
		"another file":       strings.Replace(link, "/files/fil_", "/files/fil_0", 1),
		"moved expiry":       strings.Replace(link, "exp=", "exp=9", 1),
	} {
		if r := get(bad); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, r.StatusCode)
		}
	}

	html := save("page.html", "image/png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	if r := get(html); r.Header.Get("Content-Type") != "text/html" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("HTML declared as PNG: %v", r.Header)
	}
	svg := save("logo.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	if r := get(svg); !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("SVG served inline: %v", r.Header)
	}
	var img bytes.Buffer
	pic := image.NewRGBA(image.Rect(0, 0, 3, 2))
	pic.Set(0, 0, color.Black)
	_ = png.Encode(&img, pic)
	f, err := s.App.Files.Save(ctx, files.New{Name: "照片.png", Body: bytes.NewReader(img.Bytes())})
	if err != nil || f.ContentType != "image/png" || f.Width == nil || *f.Width != 3 || *f.Height != 2 {
		t.Fatalf("PNG saved as %+v, %v", f, err)
	}
	if r := get(s.App.Files.URL(f)); !strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline") || !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=utf-8''%E7%85%A7") {
		t.Fatalf("PNG: %v", r.Header)
	}

	// Expired: the link lives an hour.
	clk.Advance(61 * time.Minute)
	if r := get(link); r.StatusCode != http.StatusForbidden {
		t.Fatalf("an expired link: %d", r.StatusCode)
	}

	// Over the limit: refused, and no bytes or row kept.
	_, err = s.App.Files.Save(ctx, files.New{Name: "big.bin", Body: io.LimitReader(zeros{}, files.DefaultMaxBytes+1)})
	if err == nil || !strings.Contains(err.Error(), "25 MiB") {
		t.Fatalf("an oversized file: %v", err)
	}
	if n := s.App.Client.File.Query().CountX(ctx); n != 4 {
		t.Fatalf("%d file rows, want 4", n)
	}
	var stored int
	_ = filepath.WalkDir(filepath.Join(s.Config.DataDir, "files"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, ".thumb.") && !strings.Contains(p, "/.tmp/") {
			stored++ // images' thumbnails are made in the background
		}
		return nil
	})
	if stored != 4 {
		t.Fatalf("%d stored objects, want 4", stored)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestFileLinksS3: with S3-compatible storage configured, a file's bytes
// go to the bucket, and its signed link redirects to a short-lived
// presigned one that serves them.
func TestFileLinksS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("switchboard-files"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(fake.Close)
	s := testenv.New(t, func(c *config.Config) {
		c.S3 = config.S3{Endpoint: fake.URL, Bucket: "switchboard-files", Region: "us-east-1", AccessKeyID: "key", SecretAccessKey: "secret"}
	})
	tok := s.AdminToken(t)
	var v struct {
		Viewer struct{ Workspace struct{ ID string } }
	}
	s.MustDo(t, tok, `{ viewer { workspace { id } } }`, nil, &v)
	ctx := viewer.NewContext(privacy.DecisionContext(context.Background(), privacy.Allow), viewer.System(gid.ID(v.Viewer.Workspace.ID)))
	data := bytes.Repeat([]byte("invoice "), 10_000)
	f, err := s.App.Files.Save(ctx, files.New{Name: "invoice.txt", DeclaredType: "text/plain", Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.StorageKey, v.Viewer.Workspace.ID+"/") {
		t.Fatalf("storage key %q does not start with the workspace", f.StorageKey)
	}
	link := s.URL + strings.TrimPrefix(s.App.Files.URL(f), s.Config.PublicURL)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	to := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(to, fake.URL+"/switchboard-files/") || !strings.Contains(to, "response-content-disposition=attachment") {
		t.Fatalf("signed link: %d to %s", res.StatusCode, to)
	}
	res, err = http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("following the link: %d, %d bytes", res.StatusCode, len(got))
	}
	if r, _ := noFollow.Get(strings.Replace(link, "sig=", "sig=00", 1)); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a tampered link: %d", r.StatusCode)
	}
}
