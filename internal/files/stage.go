package files

import (
	"bytes"
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/internal/gid"
)

// Staged is a file whose bytes are stored and whose row is not written
// yet: a caller stores bytes before its transaction (never in it) and
// writes the rows in it (Create). Bytes no row comes to point to are
// removed with Discard, or swept after OrphanAge.
type Staged struct {
	ID   gid.ID
	name string
	stored
}

// Stage stores data as a file of workspace ws (see Save for the checks,
// the size limit among them).
func (s *Service) Stage(ctx context.Context, ws gid.ID, name, declaredType string, data []byte) (*Staged, error) {
	id := gid.New("File")
	st, err := s.put(ctx, ws, id, New{Name: name, DeclaredType: declaredType, Body: bytes.NewReader(data)}, nil)
	if err != nil {
		return nil, err
	}
	return &Staged{ID: id, name: CleanName(name), stored: st}, nil
}

// Create is the row of a staged file (READY) for c, the caller's
// transaction's client, attached to message msg of channel ch at
// position pos.
func (s *Service) Create(c *ent.Client, st *Staged, msg, ch gid.ID, pos int) *ent.FileCreate {
	return c.File.Create().SetID(st.ID).SetName(st.name).SetContentType(st.contentType).
		SetSize(st.Size).SetSha256(st.SHA256).SetStorageKey(st.key).SetStatus(file.StatusREADY).
		SetNillableWidth(st.width).SetNillableHeight(st.height).
		SetMessageID(msg).SetChannelID(ch).SetPosition(pos).SetCreatedAt(s.o.Now().UTC())
}

// Discard removes a staged file's bytes (its row was never written).
func (s *Service) Discard(st *Staged) { s.remove(st.key) }
