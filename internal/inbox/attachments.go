package inbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
)

// MaxAttachments is the most files one message carries.
const MaxAttachments = 10

// Uploader is who may attach a file: an upload is sent only by the side
// that made it, the business's (agents' and API tokens') by agents and
// API tokens of the workspace, a visitor's by that visitor.
type Uploader struct {
	CustomerID *gid.ID // the visitor's customer; nil for agents
}

// attachUploads attaches the uploaded files ids, in order, to the message
// msgID. Each must be an upload of the same side (see Uploader), READY,
// and not yet sent; anything else is refused and, the caller's
// transaction being rolled back, nothing changes.
func (s *Service) attachUploads(ctx context.Context, msgID gid.ID, ids []gid.ID, from Uploader) error {
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
		if f != nil && from.CustomerID == nil && f.UploaderCustomerID != nil {
			f = nil // a visitor's upload is not the business's to send
		}
		if f != nil && from.CustomerID != nil && (f.UploaderCustomerID == nil || *f.UploaderCustomerID != *from.CustomerID) {
			f = nil
		}
		switch {
		case f == nil:
			return &apperr.Error{Code: apperr.NotFound, Field: field, Message: "no such upload"}
		case f.MessageID != nil:
			return &apperr.Error{Code: apperr.Conflict, Field: field, Message: "the file was sent already; upload it again to send it again"}
		case f.QuickReplyID != nil:
			return &apperr.Error{Code: apperr.Conflict, Field: field, Message: "the file is a quick reply's; send the quick reply (SendMessageInput.quickReplyID)"}
		case f.DeletedAt != nil || f.Status != file.StatusREADY:
			return &apperr.Error{Code: apperr.InvalidInput, Field: field, Message: "the file is not available"}
		}
	}
	for i, id := range ids {
		// Only if still unattached: two sends racing for one upload get it once.
		n, err := c.File.Update().Where(file.ID(id), file.MessageIDIsNil(), file.QuickReplyIDIsNil()).SetMessageID(msgID).SetPosition(i).Save(ctx)
		if err != nil {
			return fmt.Errorf("inbox: attach file: %w", err)
		}
		if n == 0 {
			return &apperr.Error{Code: apperr.Conflict, Field: fmt.Sprintf("attachmentIDs[%d]", i), Message: "the file was sent already"}
		}
	}
	return nil
}

// checkAttachmentIDs refuses a list of uploads no message can carry.
func checkAttachmentIDs(ids []gid.ID) error {
	if len(ids) > MaxAttachments {
		return apperr.Invalid("attachmentIDs", "a message carries at most %d files", MaxAttachments)
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

// checkContent refuses a message with nothing in it: a body is required
// unless files are sent.
func checkContent(body string, files int) error {
	if files > 0 && strings.TrimSpace(body) == "" {
		return nil
	}
	return checkBody(body)
}

// attachInbound records the files an inbound message carries as PENDING
// attachments of msg, in order: those the sender gave as URLs, then
// those the provider keeps (Media). The media worker fetches them.
func (s *Service) attachInbound(ctx context.Context, msg *ent.Message, in channels.Inbound) error {
	n := len(in.Attachments) + len(in.Media)
	if n == 0 {
		return nil
	}
	now := s.now().UTC()
	creates := make([]*ent.FileCreate, 0, n)
	add := func(source map[string]string, name, contentType string, size int64) {
		for k, v := range source {
			if v == "" {
				delete(source, k)
			}
		}
		if contentType == "" {
			contentType = "application/octet-stream"
		}
		if name == "" {
			name = files.URLName(source["url"])
		}
		creates = append(creates, s.db(ctx).File.Create().SetID(gid.New("File")).
			SetName(files.CleanName(name)).SetContentType(contentType).SetSize(max(size, 0)).
			SetStatus(file.StatusPENDING).SetMessageID(msg.ID).SetChannelID(msg.ChannelID).
			SetPosition(len(creates)).SetSource(source).SetNextAttemptAt(now).SetCreatedAt(now))
	}
	for _, a := range in.Attachments {
		add(map[string]string{"url": a.URL, "contentType": a.ContentType, "name": a.Name}, a.Name, a.ContentType, 0)
	}
	for _, m := range in.Media {
		add(map[string]string{"mediaID": m.ID, "url": m.URL, "contentType": m.ContentType, "name": m.Name}, m.Name, m.ContentType, m.Size)
	}
	if err := s.db(ctx).File.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("inbox: record attachments: %w", err)
	}
	s.events.AfterCommit(ctx, s.mediaQueued)
	return nil
}

// MediaQueued receives a token after a transaction that recorded inbound
// files to fetch committed: the media worker of this instance wakes on it.
func (s *Service) MediaQueued() <-chan struct{} { return s.media }

func (s *Service) mediaQueued() {
	select {
	case s.media <- struct{}{}:
	default:
	}
}

// AttachmentChanged tells the watchers of a file's message that the file
// changed (fetched, failed or deleted): a message.updated event, in the
// transaction ctx carries. It is the files service's Changed hook.
func (s *Service) AttachmentChanged(ctx context.Context, f *ent.File) error {
	msg, err := s.db(ctx).Message.Query().Where(message.ID(*f.MessageID)).
		Select(message.FieldConversationID, message.FieldCustomerID).Only(ctx)
	if err != nil {
		return err
	}
	return s.events.Record(ctx, events.Event{Type: events.MessageUpdated, WorkspaceID: f.WorkspaceID,
		ConversationID: msg.ConversationID, MessageID: msg.ID, CustomerID: msg.CustomerID})
}

// stagedFiles are one inbound message's files stored ahead of its
// transaction (channels.Inbound.Files and Source).
type stagedFiles struct {
	files  []*files.Staged
	source *files.Staged
}

func (st stagedFiles) discard(fs *files.Service) {
	for _, f := range st.files {
		fs.Discard(f)
	}
	if st.source != nil {
		fs.Discard(st.source)
	}
}

// stage stores the bytes of the files messages carry in full. A file
// over the size limit is not kept (the message is, with a note in its
// metadata's "sanitized" list); any other failure discards what was
// stored and fails the delivery, which the provider retries.
func (s *Service) stage(ctx context.Context, ch *ent.Channel, msgs []channels.Inbound) ([]stagedFiles, error) {
	out := make([]stagedFiles, len(msgs))
	if s.files == nil {
		return out, nil
	}
	fail := func(err error) ([]stagedFiles, error) {
		for _, st := range out {
			st.discard(s.files)
		}
		return nil, fmt.Errorf("inbox: storing a message's files: %w", err)
	}
	for i := range msgs {
		m := &msgs[i]
		for j, f := range m.Files {
			st, err := s.files.Stage(ctx, ch.WorkspaceID, f.Name, f.ContentType, f.Data)
			if apperr.CodeOf(err) == apperr.InvalidInput {
				noteDropped(m, fmt.Sprintf("files[%d]", j), len(f.Data))
				continue
			}
			if err != nil {
				return fail(err)
			}
			out[i].files = append(out[i].files, st)
		}
		if m.Source != nil {
			st, err := s.files.Stage(ctx, ch.WorkspaceID, m.Source.Name, m.Source.ContentType, m.Source.Data)
			if apperr.CodeOf(err) == apperr.InvalidInput {
				noteDropped(m, "source", len(m.Source.Data))
				continue
			}
			if err != nil {
				return fail(err)
			}
			out[i].source = st
		}
	}
	return out, nil
}

// noteDropped records in a message's metadata that a file of it was too
// large to keep.
func noteDropped(m *channels.Inbound, field string, size int) {
	meta := make(map[string]any, len(m.Metadata)+1)
	for k, v := range m.Metadata {
		meta[k] = v
	}
	notes, _ := meta[channels.MetadataSanitized].([]any)
	meta[channels.MetadataSanitized] = append(notes[:len(notes):len(notes)],
		channels.Fix{Field: field, Problem: channels.ProblemTooLong, Action: "dropped", Length: size}.Note())
	m.Metadata = meta
}

// attachStaged writes the rows of a message's staged files, in the
// transaction ctx carries.
func (s *Service) attachStaged(ctx context.Context, ch *ent.Channel, msg gid.ID, st stagedFiles) error {
	if len(st.files) == 0 && st.source == nil {
		return nil
	}
	c := s.db(ctx)
	creates := make([]*ent.FileCreate, 0, len(st.files)+1)
	for i, f := range st.files {
		creates = append(creates, s.files.Create(c, f, msg, ch.ID, i))
	}
	if st.source != nil {
		creates = append(creates, s.files.Create(c, st.source, msg, ch.ID, 0).SetOriginal(true))
	}
	if err := c.File.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("inbox: record files: %w", err)
	}
	s.events.AfterCommit(ctx, s.files.Kick) // thumbnails
	return nil
}
