package secrets

import (
	"bytes"
	"crypto/rand"
	"testing"
)

func key() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

func TestSealOpenAndRotation(t *testing.T) {
	oldKey, newKey := key(), key()
	old, err := NewBox(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal([]byte(`{"token":"s3cret"}`), []byte("chn_1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	rotated, err := NewBox(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := rotated.Open(sealed, []byte("chn_1"))
	if err != nil || string(pt) != `{"token":"s3cret"}` {
		t.Fatalf("open with previous key = %q, %v", pt, err)
	}
	if _, err := rotated.Open(sealed, []byte("chn_2")); err == nil {
		t.Fatal("a ciphertext moved to another channel must not open")
	}
	resealed, _ := rotated.Seal(pt, []byte("chn_1"))
	if _, err := old.Open(resealed, []byte("chn_1")); err == nil {
		t.Fatal("new writes must use the new key")
	}
	onlyNew, _ := NewBox(newKey)
	if _, err := onlyNew.Open(sealed, []byte("chn_1")); err == nil {
		t.Fatal("a dropped key must not open old ciphertexts")
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := old.Open(tampered, []byte("chn_1")); err == nil {
		t.Fatal("tampering must be detected")
	}
}

func TestKeySize(t *testing.T) {
	if _, err := NewBox(make([]byte, 16)); err == nil {
		t.Fatal("16-byte keys must be refused")
	}
}
