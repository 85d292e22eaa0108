// Package server is Switchboard's HTTP edge: routes, authentication of
// bearer credentials, the GraphQL endpoint, health checks, request ids,
// body limits, timeouts and graceful shutdown.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/viewer"
	"github.com/switchboard/switchboard/internal/visitor"
)

// MaxBodyBytes bounds request bodies (the conventions ask for at least 1 MiB).
const MaxBodyBytes = 2 << 20

// Deps is what the server needs.
type Deps struct {
	// GraphQL serves /graphql (graph.NewServer), behind the origin check
	// and authentication.
	GraphQL  http.Handler
	Auth     *auth.Service
	DB       *sql.DB
	Logger   *slog.Logger
	Client   *ent.Client
	Channels *channelcfg.Service
	Inbox    *inbox.Service
	// AllowedOrigins are the consoles' browser origins, besides the
	// server's own.
	AllowedOrigins []string
	// Origins knows the origins web chat channels allow.
	Origins *visitor.Origins
	// TrustedProxies are the reverse proxies whose X-Forwarded-For tells
	// the client's address (rate limits count per address).
	TrustedProxies []netip.Prefix
	// Files serves attachments by signed links at /files/{id}, and
	// images' thumbnails at /files/{id}/thumbnail.
	Files *files.Service
	// MaxUploadBytes bounds multipart GraphQL requests (file uploads)
	// instead of MaxBodyBytes: the largest file plus 1 MiB.
	MaxUploadBytes int64
}

// Handler returns the server's routes.
func Handler(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", checkOrigin(d.AllowedOrigins, d.Origins, d.Logger, authenticate(d.Auth, d.TrustedProxies, d.GraphQL)))
	for p, h := range consoleHandlers() {
		if p == "/" {
			p = "/{$}"
		}
		mux.Handle("GET "+p, h)
	}
	mux.Handle("GET /widget.js", widgetHandler())
	if d.Files != nil {
		mux.Handle("GET /files/{id}", d.Files)
		mux.HandleFunc("GET /files/{id}/thumbnail", d.Files.ServeThumbnail)
	}
	mux.Handle("/webhooks/{kind}/{key}", &webhooks{client: d.Client, channels: d.Channels, inbox: d.Inbox, log: d.Logger})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.DB.PingContext(ctx); err != nil {
			d.Logger.WarnContext(ctx, "readiness check failed", "err", err)
			writeText(w, http.StatusServiceUnavailable, "database unreachable")
			return
		}
		writeText(w, http.StatusOK, "ready")
	})
	return withRequestID(d.Logger, limitBody(mux, d.MaxUploadBytes))
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(s + "\n"))
}

// authenticate turns the Authorization header into the request's actor. A
// request without credentials goes on without an actor (sign-in and
// introspection need none; everything else refuses it); a request with bad
// credentials is refused with 401 before it reaches GraphQL.
func authenticate(a *auth.Service, proxies []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithClientAddr(r.Context(), clientAddr(r, proxies))
		var actor *viewer.Actor
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, cred, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				writeGraphQLError(w, http.StatusUnauthorized, apperr.Unauthenticated, "use Authorization: Bearer <token>")
				return
			}
			var err error
			actor, _, err = a.Authenticate(ctx, cred)
			if err != nil {
				status, code, msg := http.StatusUnauthorized, apperr.Unauthenticated, "missing, invalid or expired credentials"
				switch apperr.CodeOf(err) {
				case apperr.Forbidden:
					status, code, msg = http.StatusForbidden, apperr.Forbidden, apperr.MessageOf(err)
				case "":
					status, code, msg = http.StatusServiceUnavailable, apperr.Internal, "internal error"
				}
				writeGraphQLError(w, status, code, msg)
				return
			}
		}
		ctx = viewer.NewContext(ctx, actor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func writeGraphQLError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}},
		"data":   nil,
	})
}

// clientAddr is the client's IP address: the TCP peer's, unless the peer
// is a trusted proxy, in which case it is the last address of
// X-Forwarded-For that is not a trusted proxy (the addresses before it are
// the client's to forge).
func clientAddr(r *http.Request, proxies []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	trusted := func(s string) bool {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		ip = ip.Unmap()
		for _, p := range proxies {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	if len(proxies) == 0 || !trusted(host) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break // garbage from the client: the proxy before it is what we know
		}
		if !trusted(hop) {
			return hop
		}
		host = hop
	}
	return host
}

// limitBody refuses bodies over MaxBodyBytes with 413. A body of unknown
// length (chunked) is read first, up to the limit, so that it gets the same
// answer as one whose Content-Length says it is too large.
//
// File uploads (multipart GraphQL requests) may be up to maxUpload
// instead, must say their length (they are streamed to disk, never read
// into memory here), and get ten minutes to arrive.
func limitBody(next http.Handler, maxUpload int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if maxUpload > 0 && isUpload(r) {
			switch {
			case r.ContentLength < 0:
				writeText(w, http.StatusLengthRequired, "file uploads must have a Content-Length")
				return
			case r.ContentLength > maxUpload:
				writeText(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: files may be at most %d MiB", (maxUpload-1<<20)>>20))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(UploadTimeout))
			_ = rc.SetWriteDeadline(time.Now().Add(UploadTimeout + time.Minute))
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > MaxBodyBytes {
			writeText(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		known := r.ContentLength >= 0 || r.Body == nil || r.Body == http.NoBody
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if !known {
			body, err := io.ReadAll(r.Body)
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				writeText(w, http.StatusRequestEntityTooLarge, "request body too large")
				return
			case err != nil:
				writeText(w, http.StatusBadRequest, "could not read the request body")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// UploadTimeout is how long a file upload may take to arrive.
const UploadTimeout = 10 * time.Minute

// isUpload reports whether r is a multipart GraphQL request.
func isUpload(r *http.Request) bool {
	if r.Method != http.MethodPost || r.URL.Path != "/graphql" {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withRequestID gives every request an id (kept from X-Request-ID when the
// caller sends a sane one), echoes it, and logs the request once.
func withRequestID(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, " \t\r\n\"") {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		r = r.WithContext(WithRequestID(r.Context(), id))
		next.ServeHTTP(sw, r)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		log.InfoContext(r.Context(), "http request", "method", r.Method,
			"path", r.URL.Path, "status", status, "duration_ms", time.Since(start).Milliseconds())
	})
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

// Serve serves h on ln until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
