package weibo

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// signed is a request's authenticated query: the values the signature
// covers.
type signed struct {
	signature string // lowercase hex, as checked
	timestamp string // milliseconds since the epoch
	nonce     string
	at        time.Time
}

// checkSignature authenticates a handshake or push by its query:
// signature = hex SHA-1 of {AppSecret, timestamp, nonce} sorted and
// concatenated, compared in constant time; then the timestamp, in
// milliseconds, must be within 5 minutes of now. Anything wrong is a 401.
func checkSignature(c *channels.Config, q url.Values) (*signed, error) {
	secret := c.Secrets["appSecret"]
	if secret == "" {
		return nil, channels.Rejected(401, "the Weibo channel has no appSecret configured")
	}
	s := &signed{signature: strings.ToLower(q.Get("signature")), timestamp: q.Get("timestamp"), nonce: q.Get("nonce")}
	if s.signature == "" || s.timestamp == "" || s.nonce == "" {
		return nil, channels.Rejected(401, "missing signature, timestamp or nonce")
	}
	if len(s.timestamp) > 20 || len(s.nonce) > 128 {
		return nil, channels.Rejected(401, "invalid signature")
	}
	got, err := hex.DecodeString(s.signature)
	want := signature(secret, s.timestamp, s.nonce)
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		return nil, channels.Rejected(401, "invalid signature")
	}
	ms, err := strconv.ParseInt(s.timestamp, 10, 64)
	if err != nil || ms <= 0 {
		return nil, channels.Rejected(401, "invalid timestamp")
	}
	s.at = time.UnixMilli(ms)
	if d := c.Time().Sub(s.at); d > maxSkew || d < -maxSkew {
		return nil, channels.Rejected(401, "timestamp is more than 5 minutes from now: a stale or replayed request")
	}
	return s, nil
}

// signature is SHA-1 of the sorted, concatenated strings.
func signature(parts ...string) []byte {
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return sum[:]
}
