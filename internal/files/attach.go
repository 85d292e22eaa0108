package files

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// DefaultAllowedTypes are the content types a workspace accepts uploads
// of until it sets its own (Workspace.allowedFileTypes): images, PDF,
// office documents, text, audio, video and zip archives.
var DefaultAllowedTypes = []string{
	"image/*", "audio/*", "video/*", "text/*",
	"application/pdf", "application/zip", "application/rtf", "application/json",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.*", "application/vnd.oasis.opendocument.*",
}

// CheckTypePatterns refuses an allow-list entry that is not a content type
// ("application/pdf") or a family ("image/*", "application/vnd.ms-*").
func CheckTypePatterns(patterns []string) error {
	for i, p := range patterns {
		major, minor, ok := strings.Cut(p, "/")
		if !ok || major == "" || minor == "" || strings.ContainsAny(p, " ;,") || p != strings.ToLower(p) ||
			strings.Contains(major, "*") || strings.Count(minor, "*") > 1 || (strings.Contains(minor, "*") && !strings.HasSuffix(minor, "*")) {
			return apperr.Invalid(fmt.Sprintf("allowedFileTypes[%d]", i), `%q is not a content type ("application/pdf") or a family of them ("image/*")`, p)
		}
	}
	return nil
}

// allowedType reports whether contentType matches one of patterns.
func allowedType(contentType string, patterns []string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(contentType, prefix) {
				return true
			}
		} else if contentType == p {
			return true
		}
	}
	return false
}

// allowedTypes is the workspace's allow-list.
func (s *Service) allowedTypes(ctx context.Context, ws gid.ID) ([]string, error) {
	w, err := s.client.Workspace.Get(privacy.DecisionContext(ctx, privacy.Allow), ws)
	if err != nil {
		return nil, err
	}
	if len(w.AllowedFileTypes) == 0 {
		return DefaultAllowedTypes, nil
	}
	return w.AllowedFileTypes, nil
}

// Upload stores a file an agent, an API token or a website visitor
// uploads to send (see Save), if its type is on the workspace's
// allow-list; its thumbnail is made afterwards, by the worker.
func (s *Service) Upload(ctx context.Context, in New) (*ent.File, error) {
	in.restricted = true
	f, err := s.Save(ctx, in)
	if err != nil {
		return nil, err
	}
	s.Kick()
	return f, nil
}

// Delete removes a file's bytes for good and leaves its row as a
// tombstone (deletedAt set, no name, no bytes) on its message. The row
// is changed first: bytes it no longer points to are swept if removing
// them here fails.
func (s *Service) Delete(ctx context.Context, id gid.ID) (*ent.File, error) {
	f, err := s.client.File.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.DeletedAt != nil {
		return f, nil
	}
	deleted, err := s.changed(ctx, func(ctx context.Context, c *ent.Client) (*ent.File, error) {
		return c.File.UpdateOneID(f.ID).Where(file.DeletedAtIsNil()).SetDeletedAt(s.o.Now().UTC()).SetName("").
			SetStorageKey("").SetSha256("").ClearSource().ClearWidth().ClearHeight().
			SetNillableThumbnailKey(keep(f.ThumbnailKey, "")).
			SetNillableStatus(keep(pendingStatus(f), file.StatusFAILED)).
			SetNillableError(keep(pendingStatus(f), "deleted before it was fetched")).Save(ctx)
	})
	if err != nil {
		return nil, err
	}
	for _, key := range []string{f.StorageKey, deref(f.ThumbnailKey)} {
		if key != "" {
			s.remove(key)
		}
	}
	return deleted, nil
}

// keep is v when cond is set: for SetNillable* calls.
func keep[T, C any](cond *C, v T) *T {
	if cond == nil {
		return nil
	}
	return &v
}

// pendingStatus is f's status when f is PENDING, else nil.
func pendingStatus(f *ent.File) *file.Status {
	if f.Status != file.StatusPENDING {
		return nil
	}
	return &f.Status
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ThumbnailURL is a signed link to f's thumbnail, or "" when it has none.
func (s *Service) ThumbnailURL(f *ent.File) string {
	if !Servable(f) || f.ThumbnailKey == nil || *f.ThumbnailKey == "" {
		return ""
	}
	return s.signer.ThumbnailURL(s.publicURL, string(f.ID), s.o.Now().Add(s.o.LinkTTL))
}

// thumbnailSuffix ends thumbnails' keys, by type.
var thumbnailSuffix = map[string]string{"image/jpeg": ".thumb.jpg", "image/png": ".thumb.png"}

// thumbnailType is the content type of a thumbnail, from its key.
func thumbnailType(key string) string {
	for t, suffix := range thumbnailSuffix {
		if strings.HasSuffix(key, suffix) {
			return t
		}
	}
	return "application/octet-stream"
}

// makeThumbnail makes and stores f's thumbnail, and records it: its key,
// or "" when f is not an image one can be made of.
func (s *Service) makeThumbnail(ctx context.Context, f *ent.File) error {
	key := ""
	obj, err := s.store.Open(ctx, f.StorageKey)
	if err != nil {
		return err
	}
	data, typ, _, _, err := Thumbnail(obj, f.ContentType)
	obj.Close()
	if err == nil {
		key = f.StorageKey + thumbnailSuffix[typ]
		if _, err := s.store.Put(ctx, key, bytes.NewReader(data)); err != nil {
			return err
		}
	} else {
		s.o.Log.InfoContext(ctx, "files: no thumbnail", "file_id", f.ID, "reason", err)
	}
	// Recorded, and told to the message's watchers when it has one (and
	// a thumbnail to show).
	done, err := s.changed(ctx, func(ctx context.Context, c *ent.Client) (*ent.File, error) {
		f, err := unlessGone(c.File.UpdateOneID(f.ID).Where(file.DeletedAtIsNil()).SetThumbnailKey(key).Save(ctx))
		if key == "" {
			return nil, err
		}
		return f, err
	})
	if (err != nil || done == nil) && key != "" {
		s.remove(key)
	}
	return err
}

// thumbnailable reports whether a thumbnail can be made of the type.
func thumbnailable(contentType string) bool {
	t, _, _ := mime.ParseMediaType(contentType)
	_, ok := imageFormats[t]
	return ok
}

// workspaceOf is the workspace of the actor ctx carries.
func workspaceOf(ctx context.Context) (gid.ID, error) {
	a := viewer.FromContext(ctx)
	if a == nil || a.WorkspaceID == "" {
		return "", fmt.Errorf("files: no workspace")
	}
	return a.WorkspaceID, nil
}
