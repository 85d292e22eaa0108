package smstencent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// The TC3-HMAC-SHA256 signature of a Tencent Cloud API request, exactly
// the spec's steps for a POST to "/" with no query string, signing the
// content-type and host headers.
const (
	algorithm     = "TC3-HMAC-SHA256"
	service       = "sms"
	contentType   = "application/json" // sent exactly so: it is signed
	signedHeaders = "content-type;host"
)

// authorization returns the Authorization header value for body sent to
// host at ts by secretID/secretKey.
func authorization(secretID, secretKey, host string, ts time.Time, body []byte) string {
	date := ts.UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	canonical := "POST\n/\n\n" +
		"content-type:" + contentType + "\nhost:" + host + "\n" + "\n" +
		signedHeaders + "\n" + sha256Hex(body)
	toSign := algorithm + "\n" + strconv.FormatInt(ts.Unix(), 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	kDate := hmacSHA256([]byte("TC3"+secretKey), date)
	kService := hmacSHA256(kDate, service)
	kSigning := hmacSHA256(kService, "tc3_request")
	sig := hex.EncodeToString(hmacSHA256(kSigning, toSign))
	return algorithm + " Credential=" + secretID + "/" + scope + ", SignedHeaders=" + signedHeaders + ", Signature=" + sig
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
