// Package quickreplies keeps the canned answers agents insert by typing
// "/shortcut": shared with the workspace, a team, or personal. Who sees
// which is ent privacy's rule (ent/schema/quickreply.go); this package
// checks who may change them, validates their texts with the strict
// variable parser (internal/render), keeps their files (claimed uploads,
// copied into fresh uploads whenever the quick reply is used), searches
// them, renders them for a conversation and sends them.
package quickreplies

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/quickreply"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// MaxAttachments is the most files a quick reply keeps (what one message carries).
const MaxAttachments = inbox.MaxAttachments

// Service manages quick replies.
type Service struct {
	client *ent.Client // the base client; store.Client finds the transaction's
	inbox  *inbox.Service
	files  *files.Service
	events *events.Log
	now    func() time.Time
}

// New returns a Service; now defaults to time.Now.
func New(client *ent.Client, in *inbox.Service, fs *files.Service, log *events.Log, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, inbox: in, files: fs, events: log, now: now}
}

func (s *Service) db(ctx context.Context) *ent.Client { return store.Client(ctx, s.client) }

// CreateInput is a new quick reply.
type CreateInput struct {
	Shortcut, Title, Body string
	Scope                 quickreply.Scope
	TeamID                *gid.ID
	AttachmentIDs         []gid.ID
	Template              *schematype.QuickReplyTemplate
}

// UpdateInput changes a quick reply; nil fields stay.
type UpdateInput struct {
	Shortcut, Title, Body *string
	AttachmentIDs         []gid.ID // replaces the files when non-nil
	Template              *schematype.QuickReplyTemplate
	ClearTemplate         bool
}

// Create stores a quick reply in the transaction ctx carries. Any agent
// creates PERSONAL ones (their own); WORKSPACE and TEAM need SUPERVISOR.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.QuickReply, error) {
	a := viewer.FromContext(ctx)
	if a == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in or give an API token")
	}
	shortcut, err := normalShortcut(in.Shortcut)
	if err != nil {
		return nil, err
	}
	if err := checkTexts(in.Title, in.Body, in.Template); err != nil {
		return nil, err
	}
	create := s.db(ctx).QuickReply.Create().SetShortcut(shortcut).SetTitle(in.Title).SetBody(in.Body).
		SetScope(in.Scope)
	if in.Template != nil {
		create.SetTemplate(in.Template)
	}
	if in.Scope != quickreply.ScopeTEAM && in.TeamID != nil {
		return nil, apperr.Invalid("teamID", "only a TEAM quick reply has a team")
	}
	switch in.Scope {
	case quickreply.ScopePERSONAL:
		if a.AgentID == "" {
			return nil, apperr.Invalid("scope", "a PERSONAL quick reply belongs to an agent; use WORKSPACE or TEAM")
		}
		create.SetOwnerID(a.AgentID).SetScopeKey("P:" + string(a.AgentID))
	case quickreply.ScopeTEAM:
		if in.TeamID == nil {
			return nil, apperr.Invalid("teamID", "a TEAM quick reply needs its team")
		}
		create.SetTeamID(*in.TeamID).SetScopeKey("T:" + string(*in.TeamID))
	case quickreply.ScopeWORKSPACE:
		create.SetScopeKey("W")
	default:
		return nil, apperr.Invalid("scope", "unknown scope %q", in.Scope)
	}
	if in.Scope != quickreply.ScopePERSONAL && !a.HasRole(viewer.RoleSupervisor) {
		return nil, apperr.New(apperr.Forbidden, "%s quick replies are kept by supervisors and admins; agents keep PERSONAL ones", in.Scope)
	}
	if err := s.checkShortcutFree(ctx, shortcut, create.Mutation(), ""); err != nil {
		return nil, err
	}
	qr, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("quickreplies: create: %w", err)
	}
	if err := s.claim(ctx, qr.ID, in.AttachmentIDs); err != nil {
		return nil, err
	}
	return qr, nil
}

// Update changes a visible quick reply (NOT_FOUND otherwise); shared ones
// need SUPERVISOR.
func (s *Service) Update(ctx context.Context, id gid.ID, in UpdateInput) (*ent.QuickReply, error) {
	qr, err := s.writable(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := s.db(ctx).QuickReply.UpdateOne(qr)
	title, body, tmpl := qr.Title, qr.Body, qr.Template
	if in.Shortcut != nil {
		sc, err := normalShortcut(*in.Shortcut)
		if err != nil {
			return nil, err
		}
		if sc != qr.Shortcut {
			if err := s.checkShortcutFree(ctx, sc, nil, qr.ScopeKey); err != nil {
				return nil, err
			}
		}
		upd.SetShortcut(sc)
	}
	if in.Title != nil {
		title = *in.Title
		upd.SetTitle(title)
	}
	if in.Body != nil {
		body = *in.Body
		upd.SetBody(body)
	}
	switch {
	case in.ClearTemplate && in.Template != nil:
		return nil, apperr.Invalid("clearTemplate", "give template or clearTemplate, not both")
	case in.ClearTemplate:
		tmpl = nil
		upd.ClearTemplate()
	case in.Template != nil:
		tmpl = in.Template
		upd.SetTemplate(tmpl)
	}
	if err := checkTexts(title, body, tmpl); err != nil {
		return nil, err
	}
	out, err := upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("quickreplies: update: %w", err)
	}
	if in.AttachmentIDs != nil {
		if err := s.replaceFiles(ctx, qr.ID, in.AttachmentIDs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Delete removes a visible quick reply and its files (messages keep
// their copies).
func (s *Service) Delete(ctx context.Context, id gid.ID) (gid.ID, error) {
	qr, err := s.writable(ctx, id)
	if err != nil {
		return "", err
	}
	fs, err := s.Attachments(ctx, qr.ID)
	if err != nil {
		return "", err
	}
	if err := s.files.Purge(ctx, fs, s.events.AfterCommit); err != nil {
		return "", err
	}
	if err := s.db(ctx).QuickReply.DeleteOne(qr).Exec(ctx); err != nil {
		return "", fmt.Errorf("quickreplies: delete: %w", err)
	}
	return qr.ID, nil
}

// Get loads a quick reply the caller may see; NOT_FOUND otherwise.
func (s *Service) Get(ctx context.Context, id gid.ID) (*ent.QuickReply, error) {
	qr, err := s.db(ctx).QuickReply.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFoundf("no quick reply with id %q", string(id))
	}
	return qr, err
}

// Exists is nil when the caller may see (and so use) the quick reply,
// NOT_FOUND otherwise.
func (s *Service) Exists(ctx context.Context, id gid.ID) error {
	n, err := s.db(ctx).QuickReply.Query().Where(quickreply.ID(id)).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.NotFoundf("no quick reply with id %q", string(id))
	}
	return nil
}

// Attachments are a quick reply's files, in order.
func (s *Service) Attachments(ctx context.Context, id gid.ID) ([]*ent.File, error) {
	q := s.db(ctx).File.Query().Where(file.QuickReplyID(id))
	orderFiles(q)
	return q.All(ctx)
}

// FilesOf are qr's files, in order: those loaded with it (List loads a
// whole page's at once), else read now.
func (s *Service) FilesOf(ctx context.Context, qr *ent.QuickReply) ([]*ent.File, error) {
	if fs, err := qr.Edges.AttachmentsOrErr(); err == nil {
		return fs, nil
	}
	return s.Attachments(ctx, qr.ID)
}

func orderFiles(q *ent.FileQuery) { q.Order(ent.Asc(file.FieldPosition), ent.Asc(file.FieldID)) }

// writable loads a quick reply the caller may change: one they see, and,
// unless it is their own, with SUPERVISOR.
func (s *Service) writable(ctx context.Context, id gid.ID) (*ent.QuickReply, error) {
	qr, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	a := viewer.FromContext(ctx)
	if qr.Scope != quickreply.ScopePERSONAL && (a == nil || !a.HasRole(viewer.RoleSupervisor)) {
		return nil, apperr.New(apperr.Forbidden, "%s quick replies are changed by supervisors and admins", qr.Scope)
	}
	return qr, nil
}

// checkShortcutFree refuses with CONFLICT a shortcut taken in the same
// scope (the unique index is the last word under races).
func (s *Service) checkShortcutFree(ctx context.Context, shortcut string, m *ent.QuickReplyMutation, scopeKey string) error {
	if m != nil {
		scopeKey, _ = m.ScopeKey()
	}
	n, err := s.db(ctx).QuickReply.Query().Where(quickreply.ScopeKey(scopeKey), quickreply.Shortcut(shortcut)).
		Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return &apperr.Error{Code: apperr.Conflict, Field: "shortcut", Message: fmt.Sprintf("/%s is taken in this scope", shortcut)}
	}
	return nil
}

// normalShortcut drops a leading "/" and lower-cases; then it must be 1
// to 32 of a-z, 0-9, "-" and "_".
func normalShortcut(s string) (string, error) {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "/"))
	if len(s) < 1 || len(s) > 32 {
		return "", apperr.Invalid("shortcut", "must be 1 to 32 characters")
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", apperr.Invalid("shortcut", "may hold only lower-case letters, digits, - and _ (got %q)", c)
		}
	}
	return s, nil
}

// checkTexts validates a quick reply's texts: a title, and a body or a
// template, whose variables are all known.
func checkTexts(title, body string, t *schematype.QuickReplyTemplate) error {
	if strings.TrimSpace(title) == "" {
		return apperr.Invalid("title", "must not be empty")
	}
	if strings.TrimSpace(body) == "" && t == nil {
		return apperr.Invalid("body", "must not be empty unless template is set")
	}
	if len(body) > inbox.MaxBody {
		return apperr.Invalid("body", "must be at most %d bytes", inbox.MaxBody)
	}
	if err := render.Validate(body, render.Conversation); err != nil {
		return apperr.Invalid("body", "%s", err.Error())
	}
	if t == nil {
		return nil
	}
	if strings.TrimSpace(t.TemplateID) == "" {
		return apperr.Invalid("template.templateID", "must not be empty")
	}
	names := make([]string, 0, len(t.Params))
	for k := range t.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := render.Validate(t.Params[k], render.Conversation); err != nil {
			return apperr.Invalid("template.params."+k, "%s", err.Error())
		}
	}
	return nil
}
