package files

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent/call"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/privacy"
)

// Sweep ages: an upload not attached to a message within UploadTTL is
// deleted, and so are bytes that no row has pointed to for OrphanAge (a
// crash between storing the bytes and writing the row).
const (
	UploadTTL = 24 * time.Hour
	OrphanAge = time.Hour
)

// Sweep deletes unattached uploads older than UploadTTL and stored bytes
// without a row older than OrphanAge; it returns how many of each.
func (s *Service) Sweep(ctx context.Context) (uploads, orphans int, err error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	now := s.o.Now()
	// Every file without a message is an upload, except a call's
	// recording and a quick reply's file: a channel's media is recorded
	// with its message.
	stale, err := s.client.File.Query().Where(file.MessageIDIsNil(), file.QuickReplyIDIsNil(), notRecording, file.DeletedAtIsNil(), file.CreatedAtLT(now.Add(-UploadTTL))).
		Limit(1000).All(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("files: sweep: %w", err)
	}
	for _, f := range stale {
		// The row first, and only if still unattached (a send may have
		// taken it meanwhile); bytes left behind by a failure below are
		// orphans, swept next.
		n, err := s.client.File.Delete().Where(file.ID(f.ID), file.MessageIDIsNil(), file.QuickReplyIDIsNil(), notRecording).Exec(ctx)
		if err != nil {
			return uploads, 0, fmt.Errorf("files: sweep: %w", err)
		}
		if n == 0 {
			continue
		}
		uploads++
		for _, key := range []string{f.StorageKey, deref(f.ThumbnailKey)} {
			if key == "" {
				continue
			}
			if err := s.store.Delete(ctx, key); err != nil {
				return uploads, 0, err
			}
		}
	}
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		known, err := s.client.File.Query().Where(file.Or(file.StorageKeyIn(batch...), file.ThumbnailKeyIn(batch...))).
			Select(file.FieldStorageKey, file.FieldThumbnailKey).All(ctx)
		if err != nil {
			return fmt.Errorf("files: sweep: %w", err)
		}
		has := make(map[string]bool, 2*len(known))
		for _, f := range known {
			has[f.StorageKey] = true
			has[deref(f.ThumbnailKey)] = true
		}
		for _, k := range batch {
			if !has[k] {
				if err := s.store.Delete(ctx, k); err != nil {
					return err
				}
				orphans++
			}
		}
		batch = batch[:0]
		return nil
	}
	err = s.store.Walk(ctx, "", func(key string, modified time.Time) error {
		if now.Sub(modified) < OrphanAge {
			return nil // its row may be on its way
		}
		batch = append(batch, key)
		if len(batch) == 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return uploads, orphans, err
}

// KeepSweeping sweeps every interval until ctx ends.
func (s *Service) KeepSweeping(ctx context.Context, every time.Duration) {
	for {
		if up, orph, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.WarnContext(ctx, "files: sweeping", "err", err)
		} else if up+orph > 0 {
			s.o.Log.InfoContext(ctx, "files: swept", "unattached_uploads", up, "orphaned_objects", orph)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// notRecording matches files that are no call's recording.
func notRecording(s *sql.Selector) {
	t := sql.Table(call.Table)
	s.Where(sql.NotExists(sql.Select(t.C(call.FieldID)).From(t).
		Where(sql.ColumnsEQ(t.C(call.FieldRecordingID), s.C(file.FieldID)))))
}
