package quickreplies

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// claim makes the uploads ids, in order, the quick reply's files: each
// must be the business's upload (not a visitor's), READY, and neither
// sent nor kept by another quick reply. The sweep of unattached uploads
// leaves them from then on.
func (s *Service) claim(ctx context.Context, qr gid.ID, ids []gid.ID) error {
	if err := checkIDs(ids); err != nil || len(ids) == 0 {
		return err
	}
	c := s.db(ctx)
	found, err := c.File.Query().Where(file.IDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	byID := make(map[gid.ID]*ent.File, len(found))
	for _, f := range found {
		byID[f.ID] = f
	}
	for i, id := range ids {
		field := fmt.Sprintf("attachmentIDs[%d]", i)
		f := byID[id]
		switch {
		case f == nil || f.UploaderCustomerID != nil:
			return &apperr.Error{Code: apperr.NotFound, Field: field, Message: "no such upload"}
		case f.QuickReplyID != nil && *f.QuickReplyID == qr:
			// already this quick reply's: kept, maybe moved
		case f.MessageID != nil || f.QuickReplyID != nil:
			return &apperr.Error{Code: apperr.Conflict, Field: field, Message: "the file is used already; upload it again"}
		case f.DeletedAt != nil || f.Status != file.StatusREADY:
			return &apperr.Error{Code: apperr.InvalidInput, Field: field, Message: "the file is not available"}
		}
	}
	for i, id := range ids {
		// Only if still free: two requests racing for one upload get it once.
		n, err := c.File.Update().Where(file.ID(id), file.MessageIDIsNil(),
			file.Or(file.QuickReplyIDIsNil(), file.QuickReplyID(qr))).
			SetQuickReplyID(qr).SetPosition(i).Save(ctx)
		if err != nil {
			return fmt.Errorf("quickreplies: claim file: %w", err)
		}
		if n == 0 {
			return &apperr.Error{Code: apperr.Conflict, Field: fmt.Sprintf("attachmentIDs[%d]", i), Message: "the file is used already"}
		}
	}
	return nil
}

// replaceFiles makes ids the quick reply's files: kept ones stay, new
// uploads are claimed, and those left out are deleted.
func (s *Service) replaceFiles(ctx context.Context, qr gid.ID, ids []gid.ID) error {
	if err := s.claim(ctx, qr, ids); err != nil {
		return err
	}
	keep := make(map[gid.ID]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
	}
	have, err := s.Attachments(ctx, qr)
	if err != nil {
		return err
	}
	var drop []*ent.File
	for _, f := range have {
		if !keep[f.ID] {
			drop = append(drop, f)
		}
	}
	return s.files.Purge(ctx, drop, s.events.AfterCommit)
}

// copies stores fresh uploads copied from the quick reply's files, in
// order, for a message to send (never the quick reply's rows: deleting a
// message's file must not break the quick reply).
func (s *Service) copies(ctx context.Context, qr gid.ID) ([]gid.ID, error) {
	fs, err := s.Attachments(ctx, qr)
	if err != nil {
		return nil, err
	}
	out := make([]gid.ID, 0, len(fs))
	for _, f := range fs {
		cp, err := s.files.Copy(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, cp.ID)
	}
	if len(out) > 0 {
		s.events.AfterCommit(ctx, s.files.Kick) // thumbnails of the copies
	}
	return out, nil
}

func checkIDs(ids []gid.ID) error {
	if len(ids) > MaxAttachments {
		return apperr.Invalid("attachmentIDs", "a quick reply keeps at most %d files", MaxAttachments)
	}
	seen := make(map[gid.ID]bool, len(ids))
	for i, id := range ids {
		if seen[id] {
			return apperr.Invalid(fmt.Sprintf("attachmentIDs[%d]", i), "the file is listed twice")
		}
		seen[id] = true
	}
	return nil
}
