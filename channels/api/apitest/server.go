package apitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// callback is what the integrator reads of a message.created callback.
type callback struct {
	Event     string `json:"event"`
	Recipient struct {
		ExternalID string `json:"externalID"`
	} `json:"recipient"`
	Message struct {
		Text      string                    `json:"text"`
		ReplyTo   string                    `json:"replyTo"`
		ThreadKey string                    `json:"threadKey"`
		Template  *channels.TemplateMessage `json:"template"`
	} `json:"message"`
}

// ServeHTTP is the callback endpoint: it refuses unsigned or stale
// requests with 401, answers pings 200, records message.created
// callbacks and answers them as Answer said.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get("X-Switchboard-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	skew := Clock.Sub(time.Unix(sec, 0))
	if err != nil || skew > 5*time.Minute || skew < -5*time.Minute ||
		r.Header.Get("X-Switchboard-Signature") != Signature(Secret, ts, body) {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var cb callback
	if err := json.Unmarshal(body, &cb); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if cb.Event != "message.created" {
		w.WriteHeader(http.StatusOK)
		return
	}
	f.mu.Lock()
	f.sends = append(f.sends, channelstest.Sent{To: cb.Recipient.ExternalID, Text: cb.Message.Text,
		ReplyTo: cb.Message.ReplyTo, ThreadKey: cb.Message.ThreadKey, Template: cb.Message.Template})
	a := channelstest.Answer{Outcome: channelstest.OK}
	if f.next != nil {
		a, f.next = *f.next, nil
	}
	f.n++
	n := f.n
	f.mu.Unlock()

	switch a.Outcome {
	case channelstest.Permanent:
		http.Error(w, `{"error":"unknown recipient"}`, http.StatusUnprocessableEntity)
	case channelstest.Transient:
		http.Error(w, `{"error":"try again"}`, http.StatusInternalServerError)
	case channelstest.RateLimited:
		w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter.Seconds())))
		http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
	default:
		id := a.ID
		if id == "" {
			id = fmt.Sprintf("apitest-%d", n)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"id": id})
	}
}
