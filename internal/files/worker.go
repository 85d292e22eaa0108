package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Source opens the bytes of a PENDING file from where its source says
// they are (a provider's media API, a URL): the body and the type the
// provider declared. An error wrapped by Permanent is not retried.
type Source func(ctx context.Context, f *ent.File) (body io.ReadCloser, contentType string, err error)

// PermanentError is a fetch that retrying cannot fix (a refused address,
// a 404): the file is FAILED at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &PermanentError{Err: err} }

// Fetch retries: MaxFetchAttempts tries, the n-th retry after
// Options.FetchBackoff·2ⁿ⁻¹ (at most an hour), about two hours in all by
// default; a claim on a file lasts fetchClaim, after which another
// worker may take it over.
const (
	MaxFetchAttempts = 8
	fetchClaim       = 5 * time.Minute
	workBatch        = 8
)

// Kick wakes this instance's worker: there is a thumbnail to make.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Work fetches PENDING files from their source and makes images'
// thumbnails until ctx ends: at once when woken (Kick, or wake), and
// every poll otherwise. Any number of instances may run it: a file is
// claimed before it is fetched.
func (s *Service) Work(ctx context.Context, src Source, wake <-chan struct{}, poll time.Duration) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	for {
		busy, err := s.workOnce(ctx, src)
		if err != nil && ctx.Err() == nil {
			s.o.Log.WarnContext(ctx, "files: worker", "err", err)
		}
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-wake:
		case <-time.After(poll):
		}
	}
}

// workOnce does one batch of each kind of work; busy when a batch was full.
func (s *Service) workOnce(ctx context.Context, src Source) (busy bool, err error) {
	now := s.o.Now().UTC()
	due, err := s.client.File.Query().
		Where(file.StatusEQ(file.StatusPENDING), file.NextAttemptAtLTE(now), file.DeletedAtIsNil()).
		Order(ent.Asc(file.FieldNextAttemptAt)).Limit(workBatch).All(ctx)
	if err != nil {
		return false, err
	}
	for _, f := range due {
		// Claimed when the attempt time is still the one read.
		n, err := s.client.File.Update().Where(file.ID(f.ID), file.StatusEQ(file.StatusPENDING), file.NextAttemptAt(*f.NextAttemptAt)).
			SetNextAttemptAt(now.Add(fetchClaim)).SetAttempts(f.Attempts + 1).Save(ctx)
		if err != nil {
			return false, err
		}
		if n == 1 {
			f.Attempts++
			s.fetchOne(ctx, src, f)
		}
	}
	images, err := s.client.File.Query().
		Where(file.StatusEQ(file.StatusREADY), file.ThumbnailKeyIsNil(), file.DeletedAtIsNil(),
			file.ContentTypeIn(slices.Sorted(maps.Keys(imageFormats))...)).
		Limit(workBatch).All(ctx)
	if err != nil {
		return false, err
	}
	for _, f := range images {
		// Claimed by marking it as having none; the key follows.
		n, err := s.client.File.Update().Where(file.ID(f.ID), file.ThumbnailKeyIsNil()).SetThumbnailKey("").Save(ctx)
		if err != nil {
			return false, err
		}
		if n == 1 {
			if err := s.makeThumbnail(ctx, f); err != nil && ctx.Err() == nil {
				s.o.Log.WarnContext(ctx, "files: making a thumbnail", "file_id", f.ID, "err", err)
			}
		}
	}
	return len(due) == workBatch || len(images) == workBatch, nil
}

// fetchOne fetches a claimed PENDING file: READY with its bytes, or
// retried later, or FAILED after the last attempt or a permanent error.
func (s *Service) fetchOne(ctx context.Context, src Source, f *ent.File) {
	ctx = viewer.NewContext(ctx, viewer.System(f.WorkspaceID))
	err := s.fill(ctx, src, f)
	if err == nil {
		s.Kick() // its thumbnail
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the claim lapses and it is fetched again
	}
	var perm *PermanentError
	reason := truncate(err.Error(), 1024)
	if errors.As(err, &perm) || f.Attempts >= MaxFetchAttempts {
		s.o.Log.WarnContext(ctx, "files: fetching failed for good", "file_id", f.ID, "attempts", f.Attempts, "err", err)
		_, err = s.changed(ctx, func(ctx context.Context, c *ent.Client) (*ent.File, error) {
			return unlessGone(c.File.UpdateOneID(f.ID).Where(file.StatusEQ(file.StatusPENDING)).
				SetStatus(file.StatusFAILED).SetError(reason).ClearNextAttemptAt().Save(ctx))
		})
	} else {
		s.o.Log.InfoContext(ctx, "files: fetching failed; retrying", "file_id", f.ID, "attempts", f.Attempts, "err", err)
		delay := fetchDelay(s.o.FetchBackoff, f.Attempts)
		err = s.client.File.Update().Where(file.ID(f.ID), file.StatusEQ(file.StatusPENDING)).
			SetError(reason).SetNextAttemptAt(s.o.Now().UTC().Add(delay)).Exec(ctx)
		time.AfterFunc(delay, s.Kick) // this instance retries it then (polling covers a restart)
	}
	if err != nil {
		s.o.Log.ErrorContext(ctx, "files: recording a failed fetch", "file_id", f.ID, "err", err)
	}
}

// fetchDelay is the wait before the retry after attempt n, ±20%.
func fetchDelay(first time.Duration, n int) time.Duration {
	d := min(first<<(n-1), time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// fill fetches f's bytes from src, stores them and marks f READY.
func (s *Service) fill(ctx context.Context, src Source, f *ent.File) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	body, declared, err := src(ctx, f)
	if err != nil {
		return err
	}
	defer body.Close()
	if declared == "" {
		declared = f.Source["contentType"]
	}
	st, err := s.put(ctx, f.WorkspaceID, f.ID, New{Name: f.Name, DeclaredType: declared, Body: body}, nil)
	if err != nil {
		return err
	}
	done, err := s.changed(ctx, func(ctx context.Context, c *ent.Client) (*ent.File, error) {
		return unlessGone(c.File.UpdateOneID(f.ID).Where(file.StatusEQ(file.StatusPENDING), file.DeletedAtIsNil()).
			SetStatus(file.StatusREADY).SetStorageKey(st.key).SetContentType(st.contentType).SetSize(st.Size).
			SetSha256(st.SHA256).SetNillableWidth(st.width).SetNillableHeight(st.height).
			ClearSource().ClearNextAttemptAt().ClearError().Save(ctx))
	})
	if err != nil || done == nil {
		s.remove(st.key) // deleted meanwhile, or not recorded
	}
	if err != nil {
		return fmt.Errorf("files: recording %s: %w", f.ID, err)
	}
	return nil
}

// unlessGone treats a file the update no longer matches (deleted, or done by
// another worker) as nothing to record.
func unlessGone(f *ent.File, err error) (*ent.File, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return f, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
