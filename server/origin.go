package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/visitor"
	"github.com/switchboard/switchboard/internal/webchat"
)

// checkOrigin applies the origin rules of the API conventions to browser
// requests (CORS and websocket upgrades). A request without an Origin
// header comes from a non-browser client and is allowed. A browser request
// is allowed from the server's own origin (GraphiQL), from the consoles
// (SWITCHBOARD_ALLOWED_ORIGINS), and from the allowed origins of enabled
// web chat channels; from anywhere else it is refused with 403. A browser
// on an origin that only web chat channels allow may use the visitor API
// and nothing else, and a visitor's token is checked against its own
// channel's list (auth.Origin). Allowed cross-origin requests get CORS
// headers, and preflights are answered here.
func checkOrigin(consoles []string, chats *visitor.Origins, log *slog.Logger, next http.Handler) http.Handler {
	set := make(map[string]bool, len(consoles))
	for _, o := range consoles {
		set[webchat.NormalizeOrigin(o)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		console := sameOrigin(origin, r) || set[webchat.NormalizeOrigin(origin)]
		if !console {
			listed := false
			if chats != nil {
				var err error
				if listed, err = chats.Listed(r.Context(), origin); err != nil {
					log.ErrorContext(r.Context(), "checking web chat origins", "err", err)
					writeText(w, http.StatusServiceUnavailable, "could not check the origin; try again")
					return
				}
			}
			if !listed {
				writeText(w, http.StatusForbidden, "origin not allowed")
				return
			}
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
		next.ServeHTTP(w, r.WithContext(auth.WithOrigin(r.Context(), origin, console)))
	})
}

// sameOrigin reports whether origin is the host the request was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}
