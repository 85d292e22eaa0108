package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/channels/wechat/wechattest"
)

// Vectors computed outside Go, from the spec: sha1sum of the sorted,
// concatenated strings, and openssl enc -aes-256-cbc -nopad over
// random(16) || len || msg || AppID || PKCS#7 padding to 32 bytes.
const (
	vecToken     = "pamtest"
	vecTimestamp = "1409304348"
	vecNonce     = "xxxxxx"
	vecSignature = "76480565cbe296026c53aaacd1ad523a1ddba24f" // sha1("1409304348pamtestxxxxxx")
	vecMsgSig    = "2efbab89634b3e2a09c9b8ea3765d6bdef1b614a" // sha1("1409304348ENCpamtestxxxxxx")
	vecAESKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	vecAppID     = "wxb11529c136998cb6"
	vecMsg       = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABC]]></FromUserName>" +
		"<CreateTime>1409304348</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>1234567890123456</MsgId></xml>"
	vecEncrypt = "Q3stYC6hdFzMh9T8HCvyDJ4rESBupRSxsJzqQVNO7y8xX05+JTK6WrzwTuW5Tew+r4AyFwvq71/o3NN5C+3RBALzHoEecCy62+CRqPgNASkUlqC3jdlAepk0miotJTCQtd6H3ohlRf9fL+10QG8rafzXiOR7PruG9TasRpWIOvEwbr+hWREjboB7dMz3yrLh5bxyYNkce4eChBbOYCK4TBS43QSmhh3snt4hwul+VNNXc8p2+SxRJdIRUjJ3C852t5iSAGx7fCSDuDpBM9XLEGdn/QklwvA+WvTteRgkZiR8Jjua1EiA8vTaEfHMwIRwW+h+0VPGnBD6PZ0RU4DV+MP4uoByQICPqaSpelesR/aFIYcTKG/tB1eOl42++TeL"
)

func TestSignatureVectors(t *testing.T) {
	if got := signature(vecToken, vecTimestamp, vecNonce); got != vecSignature {
		t.Errorf("signature = %s, want %s", got, vecSignature)
	}
	if got := signature(vecToken, vecTimestamp, vecNonce, "ENC"); got != vecMsgSig {
		t.Errorf("msg_signature = %s, want %s", got, vecMsgSig)
	}
	if !sameSignature(strings.ToUpper(vecSignature), vecSignature) || sameSignature(vecSignature[1:], vecSignature) {
		t.Error("sameSignature")
	}
}

func TestDecryptVector(t *testing.T) {
	key, err := aesKey(vecAESKey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := decrypt(key, vecAppID, vecEncrypt)
	if err != nil || string(msg) != vecMsg {
		t.Fatalf("decrypt = %q, %v", msg, err)
	}
	if _, err := decrypt(key, "wx0000000000000000", vecEncrypt); err == nil {
		t.Fatal("decrypt accepted a message sealed for another AppID")
	}
}

// TestCryptIndependent: the adapter's encryption opens with the test's
// own implementation (wechattest, from the spec) and the reverse, for
// lengths around the 32-byte padding boundary.
func TestCryptIndependent(t *testing.T) {
	key, _ := aesKey(wechattest.AESKey)
	for n := range 80 {
		msg := bytes.Repeat([]byte("x"), n)
		enc, err := encrypt(key, wechattest.AppID, msg)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if plainLen := 20 + n + len(wechattest.AppID); len(raw) != (plainLen/32+1)*32 {
			t.Fatalf("n=%d: ciphertext %d bytes, want padding to the next multiple of 32 (1..32 bytes)", n, len(raw))
		}
		got, appID, err := wechattest.Open(wechattest.AESKey, enc)
		if err != nil || !bytes.Equal(got, msg) || appID != wechattest.AppID {
			t.Fatalf("n=%d: the test's Open = %q, %q, %v", n, got, appID, err)
		}
		sealed := wechattest.Seal(wechattest.AESKey, wechattest.AppID, [16]byte{1, 2, 3}, msg)
		got, err = decrypt(key, wechattest.AppID, sealed)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("n=%d: decrypt of the test's Seal = %q, %v", n, got, err)
		}
	}
}

// TestDecryptRefusesBadPadding: pad bytes outside 1..32, or not all
// equal, are refused.
func TestDecryptRefusesBadPadding(t *testing.T) {
	key, _ := aesKey(wechattest.AESKey)
	seal := func(plain []byte) string {
		c, _ := aes.NewCipher(key)
		out := make([]byte, len(plain))
		cipher.NewCBCEncrypter(c, key[:16]).CryptBlocks(out, plain)
		return base64.StdEncoding.EncodeToString(out)
	}
	body := append([]byte("0123456789abcdef\x00\x00\x00\x02hi"), wechattest.AppID...) // 40 bytes
	valid := append(append([]byte(nil), body...), bytes.Repeat([]byte{24}, 24)...)
	if msg, err := decrypt(key, wechattest.AppID, seal(valid)); err != nil || string(msg) != "hi" {
		t.Fatalf("the valid control = %q, %v", msg, err)
	}
	for name, change := range map[string]func(p []byte){
		"zero":    func(p []byte) { p[len(p)-1] = 0 },
		"33":      func(p []byte) { p[len(p)-1] = 33 },
		"unequal": func(p []byte) { p[len(p)-5] = 23 },
		"length":  func(p []byte) { p[19] = 200 },
	} {
		p := append([]byte(nil), valid...)
		change(p)
		if _, err := decrypt(key, wechattest.AppID, seal(p)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := decrypt(key, wechattest.AppID, seal(bytes.Repeat([]byte{16}, 16))); err == nil {
		t.Error("a plaintext shorter than its header was accepted")
	}
}
