package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
)

// signature is WeChat's signature of a push: the lowercase hex SHA-1 of
// the strings (Token, timestamp, nonce, and in safe mode Encrypt) sorted
// and concatenated.
func signature(parts ...string) string {
	s := append([]string(nil), parts...)
	sort.Strings(s)
	h := sha1.Sum([]byte(strings.Join(s, "")))
	return hex.EncodeToString(h[:])
}

// sameSignature compares a signature from a request with the expected
// one in constant time (case-insensitively: it is hex).
func sameSignature(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// blockSize is the padding unit of WeChat's message encryption: PKCS#7
// to a multiple of 32 bytes (not AES's 16), pad bytes 1..32.
const blockSize = 32

// aesKey decodes an EncodingAESKey: 43 base64 characters, with "="
// appended, give the 32-byte AES-256 key.
func aesKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, errors.New("EncodingAESKey must be 43 characters")
	}
	k, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(k) != 32 {
		return nil, errors.New("EncodingAESKey must be 43 characters of base64 (letters, digits, + and /)")
	}
	return k, nil
}

// encrypt seals msg for appID: AES-256-CBC with IV = key[:16] over
// 16 random bytes || 4-byte big-endian len(msg) || msg || appID, padded,
// then base64.
func encrypt(key []byte, appID string, msg []byte) (string, error) {
	plain := make([]byte, 20, 20+len(msg)+len(appID)+blockSize)
	if _, err := rand.Read(plain[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint32(plain[16:20], uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, appID...)
	pad := blockSize - len(plain)%blockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:aes.BlockSize]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out), nil
}

// errDecrypt is any failure to open an Encrypt value; callers answer it
// as forged (the ciphertext was not made with the channel's key).
var errDecrypt = errors.New("wechat: cannot decrypt")

// decrypt opens an Encrypt value and checks that it was sealed for
// appID; it returns the message.
func decrypt(key []byte, appID, encrypted string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, errDecrypt
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errDecrypt
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(plain, raw)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > blockSize || pad > len(plain) {
		return nil, errDecrypt
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errDecrypt
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, errDecrypt
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	rest := plain[20:]
	if uint64(n) > uint64(len(rest)) {
		return nil, errDecrypt
	}
	msg, id := rest[:n], rest[n:]
	if subtle.ConstantTimeCompare(id, []byte(appID)) != 1 {
		return nil, errDecrypt
	}
	return msg, nil
}
