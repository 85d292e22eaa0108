package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// maxRetryAfter bounds how long a callback may ask Switchboard to wait.
const maxRetryAfter = 24 * time.Hour

// answerError maps a callback's answer to a send error; nil for a 2xx.
func answerError(c *channels.Config, res *answer) error {
	st := res.status
	switch {
	case st/100 == 2:
		return nil
	case st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable:
		if d, ok := retryAfter(c, res.header.Get("Retry-After")); ok {
			return channels.RetryLater(d, "callback answered %d, retry after %v", st, d)
		}
		return channels.Transient(nil, "callback answered %d", st)
	case st == http.StatusRequestTimeout || st/100 == 5:
		return channels.Transient(nil, "callback answered %d", st)
	case st/100 == 4:
		return channels.Permanent("callback refused the message: %d", st)
	}
	return channels.Transient(nil, "callback answered %d", st)
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date,
// at most maxRetryAfter; ok=false when absent, unreadable or past.
func retryAfter(c *channels.Config, v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(c.Time())
	} else {
		return 0, false
	}
	if d <= 0 {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}
