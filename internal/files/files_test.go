package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDisk: Put streams, hashes and places an object whole; Open reads
// it from any offset; a failed or canceled Put leaves nothing; keys that
// would escape the directory are refused; Walk lists by prefix without
// temporary files; Delete is idempotent.
func TestDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("switchboard "), 100_000) // 1.2 MB
	st, err := d.Put(ctx, "wsp_1/2026/11/fil_1", bytes.NewReader(data))
	sum := sha256.Sum256(data)
	if err != nil || st.Size != int64(len(data)) || st.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("Put = %+v, %v", st, err)
	}
	obj, err := d.Open(ctx, "wsp_1/2026/11/fil_1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Seek(1_000_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(obj)
	obj.Close()
	if obj.Size() != int64(len(data)) || !bytes.Equal(tail, data[1_000_000:]) {
		t.Fatalf("read from an offset: %d bytes", len(tail))
	}

	// A reader that fails half-way, and a canceled context: nothing left.
	failing := io.MultiReader(bytes.NewReader(data[:1000]), errReader{})
	if _, err := d.Put(ctx, "wsp_1/2026/11/fil_2", failing); err == nil {
		t.Fatal("a failing reader was stored")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Put(canceled, "wsp_1/2026/11/fil_3", bytes.NewReader(data)); err == nil {
		t.Fatal("a canceled Put succeeded")
	}
	for _, k := range []string{"wsp_1/2026/11/fil_2", "wsp_1/2026/11/fil_3"} {
		if _, err := d.Open(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s after a failed Put: %v", k, err)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, ".tmp")); len(left) != 0 {
		t.Fatalf("%d temporary files left", len(left))
	}

	for _, bad := range []string{"", "/etc/passwd", "../x", "wsp_1/../../x", "a//b", ".tmp/x", `a\b`} {
		if _, err := d.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}

	_, _ = d.Put(ctx, "wsp_2/2026/11/fil_9", strings.NewReader("other workspace"))
	var keys []string
	if err := d.Walk(ctx, "wsp_1/", func(k string, _ time.Time) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "wsp_1/2026/11/fil_1" {
		t.Fatalf("Walk = %v", keys)
	}
	for range 2 {
		if err := d.Delete(ctx, "wsp_1/2026/11/fil_1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Open(ctx, "wsp_1/2026/11/fil_1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestSigner: a link is good until it expires; another id, another
// expiry, a changed signature or another server's key are refused.
func TestSigner(t *testing.T) {
	s := NewSigner([]byte("server secret key"))
	now := time.Unix(1_800_000_000, 0)
	link, err := url.Parse(s.URL("https://sb.example.com", "fil_1", now.Add(time.Hour)))
	if err != nil || link.Path != "/files/fil_1" {
		t.Fatalf("URL = %v %v", link, err)
	}
	q := link.Query()
	if !s.Check("fil_1", q, now) || !s.Check("fil_1", q, now.Add(time.Hour)) {
		t.Fatal("a good link refused")
	}
	if s.Check("fil_1", q, now.Add(time.Hour+time.Second)) {
		t.Fatal("an expired link accepted")
	}
	if s.Check("fil_2", q, now) {
		t.Fatal("a link accepted for another file")
	}
	later := url.Values{"exp": {"1900000000"}, "sig": q["sig"]}
	if s.Check("fil_1", later, now) {
		t.Fatal("a link with a moved expiry accepted")
	}
	tampered := url.Values{"exp": q["exp"], "sig": {strings.Repeat("0", 64)}}
	if s.Check("fil_1", tampered, now) || s.Check("fil_1", url.Values{}, now) {
		t.Fatal("a tampered or empty signature accepted")
	}
	if NewSigner([]byte("another server")).Check("fil_1", q, now) {
		t.Fatal("another server's key accepted the link")
	}
}
