package files_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

func newService(t *testing.T) (*files.Service, context.Context) {
	t.Helper()
	ctx, c, _ := testenv.Workspace(t)
	store, err := files.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return files.NewService(c, store, files.NewSigner([]byte("k")), "http://sb.test", files.Options{MaxBytes: 1 << 20}), ctx
}

// TestFetch: media is fetched into a stored file, named from the URL and
// typed from the bytes; by default only https to public addresses is
// fetched (an internal address is refused at connect time); failures and
// oversized answers store nothing.
func TestFetch(t *testing.T) {
	svc, ctx := newService(t)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/media/receipt.pdf":
			if r.Header.Get("Authorization") != "Bearer provider-token" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write([]byte("%PDF-1.7\n% a receipt\n"))
		case "/huge":
			w.Header().Set("Content-Length", "2097152")
			w.WriteHeader(200)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(provider.Close)
	open := files.FetchOptions{AllowPrivate: true, Header: http.Header{"Authorization": {"Bearer provider-token"}}}
	f, err := svc.Fetch(ctx, files.FetchClient(open), provider.URL+"/media/receipt.pdf", "", open, files.New{})
	if err != nil || f.Name != "receipt.pdf" || f.ContentType != "application/pdf" || f.Size != 21 {
		t.Fatalf("Fetch = %+v, %v", f, err)
	}
	for path, want := range map[string]string{"/missing": "404", "/huge": "limit"} {
		if _, err := svc.Fetch(ctx, files.FetchClient(open), provider.URL+path, "", open, files.New{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %s", path, err, want)
		}
	}

	// The defaults: plain http refused; https to a loopback address refused
	// when connecting.
	strict := files.FetchOptions{}
	if _, err := svc.Fetch(ctx, files.FetchClient(strict), provider.URL+"/media/receipt.pdf", "", strict, files.New{}); err == nil || !strings.Contains(err.Error(), "only https") {
		t.Fatalf("plain http: %v", err)
	}
	tlsProvider := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsProvider.Close)
	if _, err := svc.Fetch(ctx, files.FetchClient(strict), tlsProvider.URL+"/x", "", strict, files.New{}); !errors.Is(err, files.ErrForbiddenAddress) {
		t.Fatalf("a loopback address: %v, want ErrForbiddenAddress", err)
	}
	for _, bad := range []string{"file:///etc/passwd", "https://user:pw@example.com/x", "gopher://example.com/"} {
		if _, err := svc.Fetch(ctx, files.FetchClient(strict), bad, "", strict, files.New{}); err == nil {
			t.Errorf("%s fetched", bad)
		}
	}
}

// TestSweep: an upload nobody attached is deleted after a day, with its
// bytes; attached files, fetched media and calls' recordings stay; bytes without a row are
// deleted once they are an hour old, not before.
func TestSweep(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	dir := t.TempDir()
	store, err := files.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	svc := files.NewService(c, store, files.NewSigner([]byte("k")), "http://sb.test", files.Options{Now: clock})
	agent := gid.ID("agt_1")
	upload, err := svc.Save(ctx, files.New{Name: "draft.txt", Body: strings.NewReader("never sent"), UploaderAgentID: &agent})
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := svc.Save(ctx, files.New{Name: "sent.txt", Body: strings.NewReader("sent"), UploaderAgentID: &agent})
	c.File.UpdateOneID(sent.ID).SetMessageID("msg_1").ExecX(ctx)
	fetched, _ := svc.Save(ctx, files.New{Name: "media.jpg", Body: strings.NewReader("provider media")})
	c.File.UpdateOneID(fetched.ID).SetMessageID("msg_2").ExecX(ctx) // a channel's media comes with its message
	// A call's recording has no message; the call keeps it.
	recording, _ := svc.Save(ctx, files.New{Name: "call.mp3", Body: strings.NewReader("a recording")})
	cust := c.Customer.Create().SetName("Caller").SaveX(ctx)
	c.Call.Create().SetCustomerID(cust.ID).SetStatus("ENDED").SetFrom("+14155550100").SetTo("100").
		SetStartedAt(now).SetRecordingID(recording.ID).ExecX(ctx)
	if _, err := store.Put(ctx, "wsp_x/2026/11/fil_orphan", strings.NewReader("crashed before its row")); err != nil {
		t.Fatal(err)
	}

	if up, orph, err := svc.Sweep(ctx); err != nil || up != 0 || orph != 0 {
		t.Fatalf("a fresh sweep removed %d uploads, %d orphans (%v)", up, orph, err)
	}
	now = now.Add(25 * time.Hour)
	if up, orph, err := svc.Sweep(ctx); err != nil || up != 1 || orph != 1 {
		t.Fatalf("a day later: %d uploads, %d orphans, %v; want 1 and 1", up, orph, err)
	}
	if _, err := c.File.Get(ctx, upload.ID); err == nil {
		t.Fatal("the unattached upload's row is still there")
	}
	for _, f := range []string{upload.StorageKey, "wsp_x/2026/11/fil_orphan"} {
		if _, err := store.Open(ctx, f); !errors.Is(err, files.ErrNotFound) {
			t.Errorf("%s still stored: %v", f, err)
		}
	}
	for _, f := range []*ent.File{sent, fetched, recording} {
		if obj, err := store.Open(ctx, f.StorageKey); err != nil {
			t.Errorf("%s lost its bytes: %v", f.Name, err)
		} else {
			obj.Close()
		}
	}
}
