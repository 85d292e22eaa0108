package files

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Disk is a Store in a directory (SWITCHBOARD_DATA_DIR/files): each
// object one file at its key's path. Put writes a temporary file in the
// same directory tree, syncs it, renames it into place and syncs the
// directory, so an object is either whole and durable or absent.
type Disk struct {
	root string
}

// NewDisk returns a Store under dir, created if needed.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(filepath.Join(dir, ".tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return &Disk{root: dir}, nil
}

// path is where key lives; keys are relative slash paths of safe
// segments (see Key), checked again here.
func (d *Disk) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put implements Store.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (Stored, error) {
	dst, err := d.path(key)
	if err != nil {
		return Stored{}, err
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	tmp := filepath.Join(d.root, ".tmp", hex.EncodeToString(b))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Stored{}, fmt.Errorf("files: %w", err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), readerWithContext(ctx, r))
	if err != nil {
		return Stored{}, err
	}
	if err := f.Sync(); err != nil {
		return Stored{}, fmt.Errorf("files: %w", err)
	}
	if err := f.Close(); err != nil {
		return Stored{}, fmt.Errorf("files: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return Stored{}, fmt.Errorf("files: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return Stored{}, fmt.Errorf("files: %w", err)
	}
	done = true
	if dir, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = dir.Sync() // the rename itself durable
		dir.Close()
	}
	return Stored{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Open implements Store.
func (d *Disk) Open(_ context.Context, key string) (Object, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("files: %w", err)
	}
	return &diskObject{File: f, size: st.Size(), mod: st.ModTime()}, nil
}

type diskObject struct {
	*os.File
	size int64
	mod  time.Time
}

func (o *diskObject) Size() int64         { return o.size }
func (o *diskObject) Modified() time.Time { return o.mod }

// Delete implements Store.
func (d *Disk) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: %w", err)
	}
	return nil
}

// Walk implements Store.
func (d *Disk) Walk(ctx context.Context, prefix string, fn func(string, time.Time) error) error {
	return filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(d.root, p)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if rel == ".tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(rel, prefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(rel, info.ModTime())
	})
}

// readerWithContext stops a copy when ctx ends.
func readerWithContext(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
