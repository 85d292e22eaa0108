// Package secrets encrypts channel credentials at rest with AES-256-GCM.
// Each ciphertext names the key that sealed it, so that during a key
// rotation old ciphertexts still open with a previous key while new ones
// use the current key.
package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

const version = 1

// Box seals and opens secrets.
type Box struct {
	current  keyed
	previous []keyed
}

type keyed struct {
	id   [4]byte
	aead cipher.AEAD
}

// NewBox returns a Box sealing with current and opening with any key.
// Keys are 32 bytes.
func NewBox(current []byte, previous ...[]byte) (*Box, error) {
	c, err := newKeyed(current)
	if err != nil {
		return nil, err
	}
	b := &Box{current: c}
	for _, k := range previous {
		p, err := newKeyed(k)
		if err != nil {
			return nil, err
		}
		b.previous = append(b.previous, p)
	}
	return b, nil
}

func newKeyed(key []byte) (keyed, error) {
	if len(key) != 32 {
		return keyed{}, errors.New("secrets: keys are 32 bytes")
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return keyed{}, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return keyed{}, fmt.Errorf("secrets: %w", err)
	}
	sum := sha256.Sum256(append([]byte("switchboard key id:"), key...))
	var k keyed
	copy(k.id[:], sum[:4])
	k.aead = aead
	return k, nil
}

// Seal encrypts plaintext; aad binds it to its owner (a channel id), so a
// ciphertext copied to another row does not open.
func (b *Box) Seal(plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, b.current.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	out := append([]byte{version}, b.current.id[:]...)
	out = append(out, nonce...)
	return b.current.aead.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts a ciphertext sealed by Seal with the current or a previous key.
func (b *Box) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < 5 || ciphertext[0] != version {
		return nil, errors.New("secrets: unknown ciphertext format")
	}
	for _, k := range append([]keyed{b.current}, b.previous...) {
		if !bytes.Equal(k.id[:], ciphertext[1:5]) {
			continue
		}
		ns := k.aead.NonceSize()
		rest := ciphertext[5:]
		if len(rest) < ns {
			return nil, errors.New("secrets: short ciphertext")
		}
		pt, err := k.aead.Open(nil, rest[:ns], rest[ns:], aad)
		if err != nil {
			return nil, errors.New("secrets: ciphertext does not open")
		}
		return pt, nil
	}
	return nil, errors.New("secrets: sealed with an unknown key")
}
