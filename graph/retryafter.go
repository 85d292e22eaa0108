package graph

import (
	"errors"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/internal/apperr"
)

// withRetryAfter shows when a refused client may try again: an error that
// knows it (apperr.Error.RetryAfter) gets extensions.retryAfter, in whole
// seconds rounded up. The error presenter still gives it its code and
// message, as for any apperr.Error.
func withRetryAfter(err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.RetryAfter <= 0 {
		return err
	}
	secs := int64((ae.RetryAfter + time.Second - 1) / time.Second)
	return &gqlerror.Error{Err: err, Message: err.Error(), Extensions: map[string]any{"retryAfter": secs}}
}
