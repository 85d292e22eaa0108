package server

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
)

// widgetJS is the website chat widget: plain JavaScript that embedding
// sites load with <script src=".../widget.js" data-channel-key="...">.
//
//go:embed widget/widget.js
var widgetJS []byte

// widgetHandler serves the widget with a short cache lifetime and an ETag,
// so a new release reaches sites within minutes and costs them nothing when
// it has not changed.
func widgetHandler() http.Handler {
	sum := sha256.Sum256(widgetJS)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("ETag", etag)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(widgetJS)
	})
}
