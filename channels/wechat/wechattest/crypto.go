package wechattest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
)

// The fake's own implementation of WeChat's message crypto, written from
// the spec (channels.md, "Safe mode"), independent of the adapter's.

// Sign is SHA-1 hex of the strings sorted and concatenated.
func Sign(parts ...string) string {
	s := slices.Clone(parts)
	slices.Sort(s)
	var b bytes.Buffer
	for _, p := range s {
		b.WriteString(p)
	}
	return fmt.Sprintf("%x", sha1.Sum(b.Bytes()))
}

// Key is the AES key an EncodingAESKey names.
func Key(encodingAESKey string) []byte {
	k, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(k) != 32 {
		panic("wechattest: bad EncodingAESKey")
	}
	return k
}

// Seal encrypts msg for appID with the given 16 random bytes.
func Seal(encodingAESKey, appID string, random [16]byte, msg []byte) string {
	key := Key(encodingAESKey)
	var p []byte
	p = append(p, random[:]...)
	n := len(msg)
	p = append(p, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	p = append(p, msg...)
	p = append(p, []byte(appID)...)
	padLen := 32 - len(p)%32 // 1..32
	p = append(p, bytes.Repeat([]byte{byte(padLen)}, padLen)...)
	c, _ := aes.NewCipher(key)
	out := make([]byte, len(p))
	cipher.NewCBCEncrypter(c, key[:16]).CryptBlocks(out, p)
	return base64.StdEncoding.EncodeToString(out)
}

// Open decrypts an Encrypt value and returns the message and the AppID it
// was sealed for.
func Open(encodingAESKey, encrypted string) (msg []byte, appID string, err error) {
	key := Key(encodingAESKey)
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, "", err
	}
	if len(raw) < 32 || len(raw)%16 != 0 {
		return nil, "", errors.New("ciphertext length")
	}
	c, _ := aes.NewCipher(key)
	p := make([]byte, len(raw))
	cipher.NewCBCDecrypter(c, key[:16]).CryptBlocks(p, raw)
	padLen := int(p[len(p)-1])
	if padLen < 1 || padLen > 32 {
		return nil, "", errors.New("padding")
	}
	p = p[:len(p)-padLen]
	if len(p) < 20 {
		return nil, "", errors.New("short plaintext")
	}
	n := int(p[16])<<24 | int(p[17])<<16 | int(p[18])<<8 | int(p[19])
	if n < 0 || 20+n > len(p) {
		return nil, "", errors.New("length")
	}
	return p[20 : 20+n], string(p[20+n:]), nil
}

// Reply is an encrypted passive reply's envelope.
type Reply struct {
	Encrypt, MsgSignature, TimeStamp, Nonce string
}

// OpenReply checks an encrypted passive reply's MsgSignature with token
// and decrypts it; it returns the inner XML and the AppID.
func OpenReply(token, encodingAESKey string, body []byte) ([]byte, string, error) {
	var r Reply
	if err := xml.Unmarshal(body, &r); err != nil {
		return nil, "", err
	}
	if r.Encrypt == "" || r.MsgSignature != Sign(token, r.TimeStamp, r.Nonce, r.Encrypt) {
		return nil, "", errors.New("the reply's MsgSignature does not match")
	}
	return Open(encodingAESKey, r.Encrypt)
}
