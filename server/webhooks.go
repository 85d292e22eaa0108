package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/store"
)

// MaxWebhookBytes bounds a provider's request body.
const MaxWebhookBytes = 1 << 20

// webhooks receives providers' requests at /webhooks/{kind}/{key}: the
// channel's adapter authenticates and parses the raw request, the inbox
// stores it in one transaction, and only then is the provider answered.
// Forged, malformed, stale or oversized requests store nothing and get a
// 4xx. Values no column can hold are the adapter's to refuse or ingest's to
// sanitize, so a failure to store is either transient (the database
// unreachable or busy, the request canceled: 503, the provider retries) or
// final (422: retrying would fail the same way forever).
type webhooks struct {
	client   *ent.Client
	channels *channelcfg.Service
	inbox    *inbox.Service
	log      *slog.Logger
}

func (h *webhooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := privacy.DecisionContext(r.Context(), privacy.Allow)
	kind, key := r.PathValue("kind"), r.PathValue("key")
	ch, err := h.client.Channel.Query().Where(channel.Key(key), channel.Kind(kind)).Only(ctx)
	if ent.IsNotFound(err) {
		writeJSONError(w, http.StatusNotFound, "no such channel")
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if !ch.Enabled {
		writeJSONError(w, http.StatusForbidden, "the channel is disabled")
		return
	}
	a, err := h.channels.Adapter(ch)
	if err != nil {
		writeJSONError(w, http.StatusNotFound, "no such channel")
		return
	}
	cfg, err := h.channels.Config(ch)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		resp, ok, err := a.Handshake(ctx, cfg, r)
		if err != nil {
			h.rejected(w, r, ch, err)
			return
		}
		if !ok {
			writeJSONError(w, http.StatusMethodNotAllowed, "this channel takes POST only")
			return
		}
		writeResponse(w, resp)
	case http.MethodPost:
		h.receive(ctx, w, r, ch, a, cfg)
	default:
		writeJSONError(w, http.StatusMethodNotAllowed, "use GET or POST")
	}
}

func (h *webhooks) receive(ctx context.Context, w http.ResponseWriter, r *http.Request, ch *ent.Channel, a channels.Adapter, cfg *channels.Config) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	d, err := a.Receive(ctx, cfg, r, body)
	if err != nil {
		h.rejected(w, r, ch, err)
		return
	}
	stored, err := h.inbox.Deliver(r.Context(), ch, d)
	if err != nil && store.Transient(err) {
		h.unavailable(w, r, err)
		return
	}
	if err != nil {
		// The cause is logged, never the body: it is the customer's.
		h.log.ErrorContext(r.Context(), "webhook message cannot be stored", "channel_id", ch.ID, "err", err)
		writeJSONError(w, http.StatusUnprocessableEntity, "the message cannot be stored; retrying will not help")
		return
	}
	if d.Respond == nil {
		writeResponse(w, channels.Response{Status: http.StatusOK})
		return
	}
	writeResponse(w, d.Respond(stored))
}

// rejected answers an adapter's refusal. The reason is the adapter's own
// words, which never contain secrets.
func (h *webhooks) rejected(w http.ResponseWriter, r *http.Request, ch *ent.Channel, err error) {
	var ce *channels.Error
	if errors.As(err, &ce) && ce.Status >= 400 && ce.Status < 500 {
		h.log.InfoContext(r.Context(), "webhook refused", "channel_id", ch.ID, "status", ce.Status, "reason", ce.Reason)
		writeJSONError(w, ce.Status, ce.Reason)
		return
	}
	h.unavailable(w, r, err)
}

func (h *webhooks) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "webhook failed", "path", r.URL.Path, "err", err)
	writeJSONError(w, http.StatusServiceUnavailable, "temporarily unavailable; retry")
}

func writeResponse(w http.ResponseWriter, resp channels.Response) {
	if resp.ContentType != "" {
		w.Header().Set("Content-Type", resp.ContentType)
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
