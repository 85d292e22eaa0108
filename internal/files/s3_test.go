package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 starts an in-process S3 with one bucket and returns its URL.
func fakeS3(t *testing.T, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestS3: the S3 store against an in-process S3: a missing bucket is
// refused at start; Put sends the bytes (path-style, one PUT of known
// length) and reports their hash; Open reads from an offset; Walk lists
// by prefix; Delete is idempotent; a presigned link serves the bytes.
func TestS3(t *testing.T) {
	ctx := context.Background()
	endpoint := fakeS3(t, "attachments")
	if _, err := NewS3(ctx, S3Options{Endpoint: endpoint, Bucket: "missing", Region: "us-east-1", AccessKeyID: "k", SecretAccessKey: "s"}); err == nil {
		t.Fatal("a missing bucket was accepted")
	}
	if _, err := NewS3(ctx, S3Options{Endpoint: "s3.example.com", Bucket: "b"}); err == nil {
		t.Fatal("an endpoint without a scheme was accepted")
	}
	s, err := NewS3(ctx, S3Options{Endpoint: endpoint, Bucket: "attachments", Region: "us-east-1", AccessKeyID: "k", SecretAccessKey: "s", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("object storage "), 50_000)
	st, err := s.Put(ctx, "wsp_1/2026/11/fil_1", bytes.NewReader(data))
	sum := sha256.Sum256(data)
	if err != nil || st.Size != int64(len(data)) || st.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("Put = %+v, %v", st, err)
	}
	obj, err := s.Open(ctx, "wsp_1/2026/11/fil_1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Seek(700_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(obj)
	obj.Close()
	if obj.Size() != int64(len(data)) || !bytes.Equal(tail, data[700_000:]) {
		t.Fatalf("read from an offset: %d of %d bytes", len(tail), obj.Size())
	}
	if _, err := s.Open(ctx, "wsp_1/2026/11/none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing object: %v", err)
	}
	_, _ = s.Put(ctx, "wsp_2/2026/11/fil_2", strings.NewReader("other"))
	var keys []string
	if err := s.Walk(ctx, "wsp_1/", func(k string, _ time.Time) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "wsp_1/2026/11/fil_1" {
		t.Fatalf("Walk = %v", keys)
	}
	link, err := s.Presign(ctx, "wsp_1/2026/11/fil_1", "text/plain", "attachment; filename=a.txt", time.Minute)
	if err != nil || !strings.Contains(link, "X-Amz-Signature=") || !strings.Contains(link, "/attachments/wsp_1/") {
		t.Fatalf("Presign = %s, %v", link, err)
	}
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("presigned GET: %d, %d bytes", res.StatusCode, len(got))
	}
	for range 2 {
		if err := s.Delete(ctx, "wsp_1/2026/11/fil_1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Open(ctx, "wsp_1/2026/11/fil_1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
	if _, err := s.Put(ctx, "../escape", strings.NewReader("x")); err == nil {
		t.Fatal("a bad key was accepted")
	}
}
