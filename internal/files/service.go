package files

import (
	"bufio"
	"context"
	"fmt"
	"image"
	_ "image/gif"  // image.DecodeConfig reads GIF dimensions
	_ "image/jpeg" // and JPEG
	_ "image/png"  // and PNG
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Service stores files and serves them by signed links.
type Service struct {
	client    *ent.Client
	store     Store
	signer    *Signer
	publicURL string
	o         Options
}

// Options tune the Service.
type Options struct {
	MaxBytes int64         // largest file; default 25 MiB
	LinkTTL  time.Duration // how long a signed link is good; default 1 h
	Now      func() time.Time
	Log      *slog.Logger
}

// DefaultMaxBytes is the default largest file.
const DefaultMaxBytes = 25 << 20

// NewService returns a Service storing bytes in store and signing links
// with signer under publicURL.
func NewService(client *ent.Client, store Store, signer *Signer, publicURL string, o Options) *Service {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{client: client, store: store, signer: signer, publicURL: publicURL, o: o}
}

// New is a file to store.
type New struct {
	Name         string
	DeclaredType string // what the uploader or provider said; checked against the bytes
	Body         io.Reader
	// Who it came from; at most one is set.
	UploaderAgentID, UploaderCustomerID, ChannelID *gid.ID
}

// Save streams a file's bytes into the store, then records its row (READY)
// in the workspace of the actor ctx carries. Bytes over the limit are
// refused with INVALID_INPUT naming it, and nothing is kept; if the row
// cannot be written the bytes are removed again.
func (s *Service) Save(ctx context.Context, in New) (*ent.File, error) {
	a := viewer.FromContext(ctx)
	if a == nil || a.WorkspaceID == "" {
		return nil, fmt.Errorf("files: save without a workspace")
	}
	id := gid.New("File")
	now := s.o.Now().UTC()
	key := fmt.Sprintf("%s/%s/%s", a.WorkspaceID, now.Format("2006/01"), id)
	br := bufio.NewReaderSize(in.Body, 4096)
	head, _ := br.Peek(512)
	contentType := checkedType(http.DetectContentType(head), in.DeclaredType)
	stored, err := s.store.Put(ctx, key, io.LimitReader(br, s.o.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("files: storing %s: %w", id, err)
	}
	if stored.Size > s.o.MaxBytes {
		s.remove(key)
		return nil, apperr.Invalid("file", "is larger than %d MiB, the most this server takes", s.o.MaxBytes>>20)
	}
	create := s.client.File.Create().SetID(id).SetName(cleanName(in.Name)).SetContentType(contentType).
		SetSize(stored.Size).SetSha256(stored.SHA256).SetStorageKey(key).SetStatus(file.StatusREADY).
		SetNillableUploaderAgentID(in.UploaderAgentID).SetNillableUploaderCustomerID(in.UploaderCustomerID).
		SetNillableChannelID(in.ChannelID).SetCreatedAt(now)
	if w, h, ok := s.dimensions(ctx, key, contentType); ok {
		create.SetWidth(w).SetHeight(h)
	}
	f, err := create.Save(ctx)
	if err != nil {
		s.remove(key)
		return nil, err
	}
	return f, nil
}

// remove deletes bytes no row will point to (the sweeper would, later).
func (s *Service) remove(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.store.Delete(ctx, key); err != nil {
		s.o.Log.Warn("files: removing unrecorded bytes", "key", key, "err", err)
	}
}

// dimensions reads an image's width and height from its header.
func (s *Service) dimensions(ctx context.Context, key, contentType string) (int, int, bool) {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif":
	default:
		return 0, 0, false
	}
	obj, err := s.store.Open(ctx, key)
	if err != nil {
		return 0, 0, false
	}
	defer obj.Close()
	cfg, _, err := image.DecodeConfig(obj)
	if err != nil {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}

// checkedType is the content type a file is kept as: what its bytes are,
// unless they only look generic (plain text, unknown binary, a zip) and
// the declared type is a more precise kind of the same (text/csv, a Word
// document); a declaration the bytes contradict is ignored.
func checkedType(sniffed, declared string) string {
	sniffed, _, _ = mime.ParseMediaType(sniffed)
	declared, _, err := mime.ParseMediaType(declared)
	if err != nil || declared == "" {
		return sniffed
	}
	switch {
	case sniffed == declared:
		return sniffed
	case sniffed == "application/octet-stream" && !inlineSafe(declared) && declared != "text/html":
		return declared
	case sniffed == "text/plain" && strings.HasPrefix(declared, "text/") && declared != "text/html":
		return declared
	case sniffed == "application/zip" && (strings.HasPrefix(declared, "application/vnd.openxmlformats") ||
		strings.HasPrefix(declared, "application/vnd.oasis.opendocument") || declared == "application/epub+zip"):
		return declared
	}
	return sniffed
}

// inlineSafe reports whether a browser may show the type in place: images
// (but not SVG, which runs scripts), audio and video. Everything else is
// downloaded.
func inlineSafe(contentType string) bool {
	if contentType == "image/svg+xml" {
		return false
	}
	return strings.HasPrefix(contentType, "image/") || strings.HasPrefix(contentType, "audio/") || strings.HasPrefix(contentType, "video/")
}

// cleanName keeps a file name safe to show and to put in a header: the
// last path element, no control characters, at most 255 bytes.
func cleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return strings.TrimSpace(name)
}

// URL is a signed link to f, good for the link lifetime from now.
func (s *Service) URL(f *ent.File) string {
	return s.signer.URL(s.publicURL, string(f.ID), s.o.Now().Add(s.o.LinkTTL))
}

// ServeHTTP serves GET /files/{id}?exp=&sig=: a valid, unexpired link
// gets the bytes (with Range and ETag, from http.ServeContent), downloaded
// as an attachment unless they are an image, audio or video, never
// sniffed by the browser; anything else is 403, and a file without bytes
// (deleted, still fetching, failed) 404.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.signer.Check(id, r.URL.Query(), s.o.Now()) {
		http.Error(w, "this link is invalid or has expired", http.StatusForbidden)
		return
	}
	// The signature is the permission: it was made for someone who could
	// see the file.
	ctx := privacy.DecisionContext(r.Context(), privacy.Allow)
	f, err := s.client.File.Get(ctx, gid.ID(id))
	if ent.IsNotFound(err) {
		http.Error(w, "no such file", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	if f.Status != file.StatusREADY || f.DeletedAt != nil || f.StorageKey == "" {
		http.Error(w, "the file is not available", http.StatusNotFound)
		return
	}
	disposition := "attachment"
	if inlineSafe(f.ContentType) {
		disposition = "inline"
	}
	name := f.Name
	if name == "" {
		name = string(f.ID)
	}
	disposition = mime.FormatMediaType(disposition, map[string]string{"filename": name})
	if p, ok := s.store.(Presigner); ok {
		// The bytes are in object storage: a short-lived direct link,
		// answered with the same type and disposition.
		link, err := p.Presign(ctx, f.StorageKey, f.ContentType, disposition, 5*time.Minute)
		if err != nil {
			s.o.Log.ErrorContext(ctx, "files: presigning", "file_id", f.ID, "err", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, link, http.StatusFound)
		return
	}
	obj, err := s.store.Open(ctx, f.StorageKey)
	if err != nil {
		s.o.Log.ErrorContext(ctx, "files: opening stored bytes", "file_id", f.ID, "err", err)
		http.Error(w, "the file is not available", http.StatusNotFound)
		return
	}
	defer obj.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("ETag", `"`+f.Sha256+`"`)
	h.Set("Content-Disposition", disposition)
	http.ServeContent(w, r, "", f.CreatedAt, obj)
}
