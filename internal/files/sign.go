package files

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"time"
)

// Signer makes and checks the signed links Switchboard serves files by:
// /files/{id}?exp=<unix seconds>&sig=<hex HMAC-SHA256(key, id "." exp)>,
// and /files/{id}/thumbnail signed over "{id}/thumbnail" the same way.
// A link is good until exp; changing the path or exp breaks the signature.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer with its own key derived from secret (the
// server's secret key), so a file link's key is good for nothing else.
func NewSigner(secret []byte) *Signer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("switchboard file links v1"))
	return &Signer{key: m.Sum(nil)}
}

func (s *Signer) mac(id string, exp int64) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id + "." + strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// URL is the signed link of file id under base (the public URL), good
// until expires.
func (s *Signer) URL(base, id string, expires time.Time) string {
	return s.link(base, id, "", expires)
}

// ThumbnailURL is the signed link of file id's thumbnail.
func (s *Signer) ThumbnailURL(base, id string, expires time.Time) string {
	return s.link(base, id, ThumbnailPath, expires)
}

// ThumbnailPath follows a file's id in its thumbnail's link.
const ThumbnailPath = "/thumbnail"

func (s *Signer) link(base, id, suffix string, expires time.Time) string {
	exp := expires.Unix()
	q := url.Values{"exp": {strconv.FormatInt(exp, 10)}, "sig": {hex.EncodeToString(s.mac(id+suffix, exp))}}
	return base + "/files/" + url.PathEscape(id) + suffix + "?" + q.Encode()
}

// Check reports whether q signs id (or id+ThumbnailPath) and has not
// expired at now.
func (s *Signer) Check(id string, q url.Values, now time.Time) bool {
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil {
		return false
	}
	sig, err := hex.DecodeString(q.Get("sig"))
	if err != nil || !hmac.Equal(sig, s.mac(id, exp)) {
		return false
	}
	return now.Unix() <= exp
}
