// Package files keeps the bytes of message attachments: a small Store
// interface with a local-disk backend (the default: `go run .` needs
// nothing) and signed download links served by Switchboard.
//
// Bytes are written first, streamed and hashed on the way (never a whole
// file in memory), and made durable before the caller stores the row that
// points at them; a crash between the two leaves bytes no row points to,
// which a sweeper removes. Object keys start with the workspace id.
package files

import (
	"context"
	"errors"
	"io"
	"time"
)

// Store keeps files' bytes under keys.
type Store interface {
	// Put streams r into a new object under key and returns its size and
	// SHA-256 (hex). The object is durable when Put returns nil; on an
	// error nothing is left under key.
	Put(ctx context.Context, key string, r io.Reader) (Stored, error)
	// Open returns the object under key, ErrNotFound when there is none.
	Open(ctx context.Context, key string) (Object, error)
	// Delete removes the object; deleting a missing one is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for every object whose key starts with prefix (the
	// orphan sweeper's listing), in no particular order.
	Walk(ctx context.Context, prefix string, fn func(key string, modified time.Time) error) error
}

// Stored describes an object Put wrote.
type Stored struct {
	Size   int64
	SHA256 string // hex
}

// Object is an open object: readable from any offset (Range requests).
type Object interface {
	io.ReadSeekCloser
	Size() int64
	Modified() time.Time
}

// ErrNotFound is Open's answer for a missing object.
var ErrNotFound = errors.New("files: no such object")
