package graph

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
)

// presentError maps every error to the codes of API-CONVENTIONS.md, once.
// Internal details are logged, never shown.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var (
			ae *apperr.Error
			ve *ent.ValidationError
			ce *ent.ConstraintError
			me *gid.MalformedError
			ge *gqlerror.Error
		)
		switch {
		case errors.As(err, &ae):
			setCode(gerr, ae.Code, ae.Message, ae.Field)
			if ae.RetryAfter > 0 {
				// Whole seconds, rounded up.
				gerr.Extensions["retryAfter"] = int64((ae.RetryAfter + time.Second - 1) / time.Second)
			}
		case errors.As(err, &me):
			setCode(gerr, apperr.InvalidInput, "malformed id", lastArg(gerr))
		case errors.As(err, &ve):
			setCode(gerr, apperr.InvalidInput, validationMessage(ve), fieldName(ve.Name))
		case ent.IsNotFound(err):
			setCode(gerr, apperr.NotFound, "not found", "")
		case errors.As(err, &ce):
			setCode(gerr, apperr.Conflict, "conflicts with existing data", "")
		case errors.Is(err, privacy.Deny):
			setCode(gerr, apperr.Forbidden, "forbidden", "")
		case isCursorError(err):
			setCode(gerr, apperr.InvalidInput, "malformed cursor", lastArg(gerr))
		case errors.As(err, &ge) && ge.Extensions["code"] != nil:
			// gqlgen's and entgql's own coded errors keep their code.
		case errors.Is(err, context.DeadlineExceeded):
			// Logged once per operation by stopWhenDone.
			setCode(gerr, apperr.Internal, "the operation ran longer than the server allows and was stopped", "")
		case errors.Is(err, context.Canceled):
			setCode(gerr, apperr.Internal, "the request was canceled", "")
		case store.Transient(err):
			log.WarnContext(ctx, "database unavailable or busy", "err", err, "path", gerr.Path.String())
			setCode(gerr, apperr.Internal, "the database is unavailable or busy for now; retry", "")
			gerr.Extensions["retryable"] = true
		default:
			log.ErrorContext(ctx, "graphql request failed", "err", err, "path", gerr.Path.String())
			setCode(gerr, apperr.Internal, "internal error", "")
		}
		return gerr
	}
}

func setCode(e *gqlerror.Error, code apperr.Code, msg, field string) {
	e.Message = msg
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = string(code)
	if field != "" {
		e.Extensions["field"] = field
		if code == apperr.InvalidInput || !strings.Contains(msg, field) {
			e.Message = field + ": " + msg
		}
	}
}

// isNotFoundCode reports whether err is a NOT_FOUND error of ours.
func isNotFoundCode(err error) bool { return apperr.CodeOf(err) == apperr.NotFound }

// isCursorError recognises a cursor that did not decode (entgql's cursor
// scalar reports msgpack or base64 failures).
func isCursorError(err error) bool {
	var ge *gqlerror.Error
	if !errors.As(err, &ge) || len(ge.Path) == 0 {
		return false
	}
	last, ok := ge.Path[len(ge.Path)-1].(ast.PathName)
	return ok && (last == "after" || last == "before")
}

// lastArg names the argument or input field at the end of an error's path,
// skipping list indexes (tagIDs[1] is the field tagIDs).
func lastArg(e *gqlerror.Error) string {
	for i := len(e.Path) - 1; i >= 0; i-- {
		if n, ok := e.Path[i].(ast.PathName); ok {
			return string(n)
		}
	}
	return ""
}

func validationMessage(ve *ent.ValidationError) string {
	msg := ve.Unwrap().Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// fieldName turns an ent field name into its GraphQL spelling:
// avatar_url -> avatarURL, team_id -> teamID.
func fieldName(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		switch parts[i] {
		case "id", "url":
			parts[i] = strings.ToUpper(parts[i])
		default:
			r := []rune(parts[i])
			if len(r) > 0 {
				r[0] = unicode.ToUpper(r[0])
			}
			parts[i] = string(r)
		}
	}
	return strings.Join(parts, "")
}
