package files

import (
	"bufio"
	"context"
	"fmt"
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
	"github.com/switchboard/switchboard/internal/store"
)

// Service stores files and serves them by signed links.
type Service struct {
	client    *ent.Client
	store     Store
	signer    *Signer
	publicURL string
	o         Options
	kick      chan struct{} // wakes the worker
}

// Options tune the Service.
type Options struct {
	MaxBytes int64         // largest file; default 25 MiB
	LinkTTL  time.Duration // how long a signed link is good; default 1 h
	// FetchBackoff is the wait before the first retry of a failed fetch,
	// doubled for each next one (at most an hour); default 30 s.
	FetchBackoff time.Duration
	Now          func() time.Time
	Log          *slog.Logger
	// Changed is called in the transaction that changed an attached
	// file's state (fetched, failed, deleted), to tell its message's
	// watchers; the transaction rolls back if it fails.
	Changed func(ctx context.Context, f *ent.File) error
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
	if o.FetchBackoff <= 0 {
		o.FetchBackoff = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{client: client, store: store, signer: signer, publicURL: publicURL, o: o, kick: make(chan struct{}, 1)}
}

// New is a file to store.
type New struct {
	Name         string
	DeclaredType string // what the uploader or provider said; checked against the bytes
	Body         io.Reader
	// Who it came from; at most one is set.
	UploaderAgentID, UploaderCustomerID, ChannelID *gid.ID

	restricted bool // an upload: only the workspace's allowed types (Upload)
}

// stored is what put learnt of the bytes it stored.
type stored struct {
	key, contentType string
	Stored
	width, height *int
}

// put streams a file's bytes into the store under a new key of the
// workspace and file id; refused with INVALID_INPUT when over the limit
// or, restricted, of a type not on allowed, with nothing kept.
func (s *Service) put(ctx context.Context, ws, id gid.ID, in New, allowed []string) (stored, error) {
	key := fmt.Sprintf("%s/%s/%s", ws, s.o.Now().UTC().Format("2006/01"), id)
	br := bufio.NewReaderSize(in.Body, 4096)
	head, _ := br.Peek(512)
	contentType := checkedType(http.DetectContentType(head), in.DeclaredType)
	if allowed != nil && !allowedType(contentType, allowed) {
		return stored{}, apperr.Invalid("file", "%s files are not accepted here (the workspace's allowedFileTypes)", contentType)
	}
	st, err := s.store.Put(ctx, key, io.LimitReader(br, s.o.MaxBytes+1))
	if err != nil {
		return stored{}, fmt.Errorf("files: storing %s: %w", id, err)
	}
	if st.Size > s.o.MaxBytes {
		s.remove(key)
		return stored{}, apperr.Invalid("file", "is larger than %d MiB, the most this server takes (SWITCHBOARD_MAX_FILE_BYTES)", s.o.MaxBytes>>20)
	}
	out := stored{key: key, contentType: contentType, Stored: st}
	if w, h, ok := s.dimensions(ctx, key, contentType); ok {
		out.width, out.height = &w, &h
	}
	return out, nil
}

// Save streams a file's bytes into the store, then records its row (READY)
// in the workspace of the actor ctx carries. Bytes over the limit are
// refused with INVALID_INPUT naming it, and nothing is kept; if the row
// cannot be written the bytes are removed again.
func (s *Service) Save(ctx context.Context, in New) (*ent.File, error) {
	ws, err := workspaceOf(ctx)
	if err != nil {
		return nil, err
	}
	var allowed []string
	if in.restricted {
		if allowed, err = s.allowedTypes(ctx, ws); err != nil {
			return nil, err
		}
	}
	id := gid.New("File")
	st, err := s.put(ctx, ws, id, in, allowed)
	if err != nil {
		return nil, err
	}
	f, err := s.client.File.Create().SetID(id).SetName(CleanName(in.Name)).SetContentType(st.contentType).
		SetSize(st.Size).SetSha256(st.SHA256).SetStorageKey(st.key).SetStatus(file.StatusREADY).
		SetNillableWidth(st.width).SetNillableHeight(st.height).
		SetNillableUploaderAgentID(in.UploaderAgentID).SetNillableUploaderCustomerID(in.UploaderCustomerID).
		SetNillableChannelID(in.ChannelID).SetCreatedAt(s.o.Now().UTC()).Save(ctx)
	if err != nil {
		s.remove(st.key)
		return nil, err
	}
	return f, nil
}

// changed runs fn, and the Changed hook for the file it returns, in one
// transaction.
func (s *Service) changed(ctx context.Context, fn func(ctx context.Context, c *ent.Client) (*ent.File, error)) (*ent.File, error) {
	var out *ent.File
	err := store.InTx(ctx, s.client, func(ctx context.Context) error {
		f, err := fn(ctx, store.Client(ctx, s.client))
		if err != nil || f == nil {
			return err
		}
		out = f
		if s.o.Changed != nil && f.MessageID != nil {
			return s.o.Changed(ctx, f)
		}
		return nil
	})
	return out, err
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
	if !thumbnailable(contentType) {
		return 0, 0, false
	}
	obj, err := s.store.Open(ctx, key)
	if err != nil {
		return 0, 0, false
	}
	defer obj.Close()
	return ImageSize(obj)
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
	case sniffed == "text/plain" && (strings.HasPrefix(declared, "text/") && declared != "text/html" || declared == "message/rfc822"):
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

// CleanName keeps a file name safe to show and to put in a header: the
// last path element, no control characters, at most 255 bytes.
func CleanName(name string) string {
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

// URL is a signed link to f, good for the link lifetime from now; ""
// when f has no bytes to serve.
func (s *Service) URL(f *ent.File) string {
	return s.URLFor(f, s.o.LinkTTL)
}

// URLFor is a signed link to f good for ttl from now, or "".
func (s *Service) URLFor(f *ent.File, ttl time.Duration) string {
	if !Servable(f) {
		return ""
	}
	return s.signer.URL(s.publicURL, string(f.ID), s.o.Now().Add(ttl))
}

// Servable reports whether f has bytes to serve: READY and not deleted.
func Servable(f *ent.File) bool {
	return f.Status == file.StatusREADY && f.DeletedAt == nil && f.StorageKey != ""
}

// Open reads f's bytes; ErrNotFound when it has none.
func (s *Service) Open(ctx context.Context, f *ent.File) (Object, error) {
	if !Servable(f) {
		return nil, ErrNotFound
	}
	return s.store.Open(ctx, f.StorageKey)
}

// ServeHTTP serves GET /files/{id}?exp=&sig=: a valid, unexpired link
// gets the bytes (with Range and ETag, from http.ServeContent), downloaded
// as an attachment unless they are an image, audio or video, never
// sniffed by the browser; anything else is 403, and a file without bytes
// (deleted, still fetching, failed) 404.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, false)
}

// ServeThumbnail serves GET /files/{id}/thumbnail?exp=&sig=, an image's
// preview, as ServeHTTP serves the file.
func (s *Service) ServeThumbnail(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, true)
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request, thumbnail bool) {
	id := r.PathValue("id")
	signed := id
	if thumbnail {
		signed += ThumbnailPath
	}
	if !s.signer.Check(signed, r.URL.Query(), s.o.Now()) {
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
	key, contentType, etag, name := f.StorageKey, f.ContentType, f.Sha256, f.Name
	if name == "" {
		name = string(f.ID)
	}
	if thumbnail {
		if f.ThumbnailKey == nil || *f.ThumbnailKey == "" {
			key = ""
		} else {
			key, contentType, etag, name = *f.ThumbnailKey, thumbnailType(*f.ThumbnailKey), f.Sha256+"-thumbnail", "thumbnail-"+name
		}
	}
	if !Servable(f) || key == "" {
		http.Error(w, "the file is not available", http.StatusNotFound)
		return
	}
	disposition := "attachment"
	if inlineSafe(contentType) {
		disposition = "inline"
	}
	disposition = mime.FormatMediaType(disposition, map[string]string{"filename": name})
	if p, ok := s.store.(Presigner); ok {
		// The bytes are in object storage: a short-lived direct link,
		// answered with the same type and disposition.
		link, err := p.Presign(ctx, key, contentType, disposition, 5*time.Minute)
		if err != nil {
			s.o.Log.ErrorContext(ctx, "files: presigning", "file_id", f.ID, "err", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, link, http.StatusFound)
		return
	}
	obj, err := s.store.Open(ctx, key)
	if err != nil {
		s.o.Log.ErrorContext(ctx, "files: opening stored bytes", "file_id", f.ID, "err", err)
		http.Error(w, "the file is not available", http.StatusNotFound)
		return
	}
	defer obj.Close()
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("ETag", `"`+etag+`"`)
	h.Set("Content-Disposition", disposition)
	http.ServeContent(w, r, "", f.CreatedAt, obj)
}
