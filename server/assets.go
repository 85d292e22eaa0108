package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// asset is a static file served from memory with an ETag, a cache
// lifetime, and gzip to clients that accept it (the others get it
// decompressed, once, on first demand).
type asset struct {
	contentType string
	cache       string // Cache-Control
	cors        bool   // any site may load it (the widget)
	gz          []byte
	etag        string
	raw         func() []byte
}

// newAsset serves raw, compressing it once at start.
func newAsset(contentType, cache string, raw []byte) *asset {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return newGzipAsset(contentType, cache, b.Bytes(), func() []byte { return raw })
}

// newGzipAsset serves gz, a file kept compressed (the console's libraries).
func newGzipAsset(contentType, cache string, gz []byte, raw func() []byte) *asset {
	if raw == nil {
		raw = sync.OnceValue(func() []byte {
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				panic("server: embedded asset is not gzip: " + err.Error())
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				panic("server: embedded asset is not gzip: " + err.Error())
			}
			return b
		})
	}
	sum := sha256.Sum256(gz)
	return &asset{contentType: contentType, cache: cache, gz: gz, raw: raw, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", a.cache)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if a.cors {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.gz
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
	} else {
		body = a.raw()
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) with a quality
// above zero.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				q, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		}
		return q > 0
	}
	return false
}
