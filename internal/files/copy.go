package files

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

// Copy stores a copy of f's bytes as a new upload (READY, unattached, a
// row of its own) in the transaction ctx carries, for f's workspace: what
// a message sends of a file kept elsewhere (a quick reply's), so that
// deleting one never breaks the other. If the transaction rolls back,
// the copied bytes are orphans, swept after OrphanAge.
func (s *Service) Copy(ctx context.Context, f *ent.File) (*ent.File, error) {
	if !Servable(f) {
		return nil, &apperr.Error{Code: apperr.Conflict, Field: "attachments", Message: fmt.Sprintf("the file %q is not available", f.Name)}
	}
	obj, err := s.store.Open(ctx, f.StorageKey)
	if err != nil {
		return nil, fmt.Errorf("files: copy %s: %w", f.ID, err)
	}
	defer obj.Close()
	id := gid.New("File")
	st, err := s.put(ctx, f.WorkspaceID, id, New{Name: f.Name, DeclaredType: f.ContentType, Body: obj}, nil)
	if err != nil {
		return nil, err
	}
	out, err := store.Client(ctx, s.client).File.Create().SetID(id).SetName(f.Name).SetContentType(st.contentType).
		SetSize(st.Size).SetSha256(st.SHA256).SetStorageKey(st.key).SetStatus(file.StatusREADY).
		SetNillableWidth(st.width).SetNillableHeight(st.height).
		SetNillableUploaderAgentID(f.UploaderAgentID).SetCreatedAt(s.o.Now().UTC()).Save(ctx)
	if err != nil {
		s.remove(st.key)
		return nil, fmt.Errorf("files: copy %s: %w", f.ID, err)
	}
	return out, nil
}

// Purge deletes the rows of fs in the transaction ctx carries and, once
// it committed (afterCommit runs its function then), their bytes; bytes
// a crash leaves behind are orphans, swept after OrphanAge.
func (s *Service) Purge(ctx context.Context, fs []*ent.File, afterCommit func(context.Context, func())) error {
	if len(fs) == 0 {
		return nil
	}
	ids := make([]gid.ID, len(fs))
	var keys []string
	for i, f := range fs {
		ids[i] = f.ID
		for _, k := range []string{f.StorageKey, deref(f.ThumbnailKey)} {
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	if _, err := store.Client(ctx, s.client).File.Delete().Where(file.IDIn(ids...)).Exec(ctx); err != nil {
		return fmt.Errorf("files: purge: %w", err)
	}
	afterCommit(ctx, func() {
		for _, k := range keys {
			s.remove(k)
		}
	})
	return nil
}
