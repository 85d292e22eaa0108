package server

import (
	"net/http"
	"net/url"
	"strings"
)

// checkOrigin applies the origin rules of the API conventions to browser
// requests (CORS and websocket upgrades). A request without an Origin
// header comes from a non-browser client and is allowed; a browser request
// is allowed from the server's own origin (GraphiQL) and from the
// configured consoles (SWITCHBOARD_ALLOWED_ORIGINS), and refused with 403
// from anywhere else. Allowed cross-origin requests get CORS headers, and
// preflights are answered here.
func checkOrigin(allowed []string, next http.Handler) http.Handler {
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		set[strings.ToLower(o)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		if !sameOrigin(origin, r) && !set[strings.ToLower(strings.TrimRight(origin, "/"))] {
			writeText(w, http.StatusForbidden, "origin not allowed")
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Expose-Headers", "X-Request-ID")
		h.Set("Access-Control-Max-Age", "600")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether origin is the host the request was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}
