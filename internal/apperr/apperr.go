// Package apperr is Switchboard's one domain error type. Every error a
// client may see carries one of the codes of the API conventions; the
// GraphQL error presenter maps it to extensions.code once.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is an error code of the public API.
type Code string

// The codes of API-CONVENTIONS.md.
const (
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	NotFound        Code = "NOT_FOUND"
	InvalidInput    Code = "INVALID_INPUT"
	Conflict        Code = "CONFLICT"
	RateLimited     Code = "RATE_LIMITED"
	CursorExpired   Code = "CURSOR_EXPIRED"
	Internal        Code = "INTERNAL"
)

// Error is an error a client may see: a code, a message fit to show, for
// INVALID_INPUT the input field at fault, and for RATE_LIMITED when the
// client may try again (zero when unknown).
type Error struct {
	Code       Code
	Message    string
	Field      string
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// New returns an error with a code and a message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an INVALID_INPUT error for one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: InvalidInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Limited returns a RATE_LIMITED error that tells when to try again.
func Limited(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Code: RateLimited, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// NotFoundf returns a NOT_FOUND error.
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// CodeOf returns the code of err, or "" when err carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// MessageOf returns the message of err fit to show a client: its own when
// it carries a code, "internal error" otherwise.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
