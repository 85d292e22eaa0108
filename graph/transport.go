package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/internal/apperr"
)

// httpPOST is gqlgen's POST transport behind a strict reading of the body
// and a deadline. A body that is not one JSON object with a string query
// (broken JSON, a batch array, {"query": 1}) is answered 400 with
// INVALID_INPUT naming the member at fault, and logged with its size and
// the reason only: bodies hold passwords and tokens.
type httpPOST struct {
	transport.POST
	timeout time.Duration
	log     *slog.Logger
}

func (t httpPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			t.refuse(w, r, http.StatusRequestEntityTooLarge, len(body), "body", "the request body is too large")
			return
		}
		t.refuse(w, r, http.StatusBadRequest, len(body), "body", "the request body could not be read")
		return
	}
	if field, reason := checkBody(body); reason != "" {
		t.refuse(w, r, http.StatusBadRequest, len(body), field, reason)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r, cancel := withDeadline(r, t.timeout)
	defer cancel()
	t.POST.Do(w, r, exec)
}

func (t httpPOST) refuse(w http.ResponseWriter, r *http.Request, status, size int, field, reason string) {
	t.log.InfoContext(r.Context(), "graphql request refused", "size", size, "field", field, "reason", reason)
	writeRequestError(w, status, field, reason)
}

// httpGET is gqlgen's GET transport (queries only) with the same checks of
// its variables and extensions, and the same deadline.
type httpGET struct {
	transport.GET
	timeout time.Duration
	log     *slog.Logger
}

func (t httpGET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	field, reason := "query", "the URL's query string is malformed"
	if err == nil {
		field, reason = checkMembers(map[string]json.RawMessage{
			"variables":  rawOrNil(q.Get("variables")),
			"extensions": rawOrNil(q.Get("extensions")),
		})
	}
	if reason != "" {
		t.log.InfoContext(r.Context(), "graphql request refused", "size", len(r.URL.RawQuery), "field", field, "reason", reason)
		writeRequestError(w, http.StatusBadRequest, field, reason)
		return
	}
	r, cancel := withDeadline(r, t.timeout)
	defer cancel()
	t.GET.Do(w, r, exec)
}

func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// withDeadline marks a request as a plain HTTP operation and bounds its
// run time; resolvers see the deadline in their context, and stopFields
// stops the rest.
func withDeadline(r *http.Request, d time.Duration) (*http.Request, context.CancelFunc) {
	ctx := context.WithValue(r.Context(), httpOperationKey{}, true)
	if d <= 0 {
		return r.WithContext(ctx), func() {}
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return r.WithContext(ctx), cancel
}

type httpOperationKey struct{}

// httpSubscriptions refuses subscriptions sent as plain HTTP requests:
// gqlgen would hold the request open until the first event. They are
// served over websockets.
type httpSubscriptions struct{}

var (
	_ graphql.HandlerExtension        = httpSubscriptions{}
	_ graphql.OperationContextMutator = httpSubscriptions{}
)

func (httpSubscriptions) ExtensionName() string                   { return "HTTPSubscriptions" }
func (httpSubscriptions) Validate(graphql.ExecutableSchema) error { return nil }

func (httpSubscriptions) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription || ctx.Value(httpOperationKey{}) == nil {
		return nil
	}
	e := gqlerror.Errorf("subscriptions are served over a websocket on /graphql (graphql-transport-ws), not over plain HTTP")
	errcode.Set(e, errcode.ValidationFailed)
	return e
}

// checkBody reports what is wrong with a GraphQL-over-HTTP request body:
// the member at fault and why, or "" when it is well formed. It never
// quotes the body.
func checkBody(body []byte) (field, reason string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	switch {
	case err != nil:
		return "body", jsonReason(err)
	case tok == json.Delim('['):
		return "body", "batched requests are not supported: send one JSON object"
	case tok != json.Delim('{'):
		return "body", "the body must be one JSON object"
	}
	members := map[string]json.RawMessage{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "body", jsonReason(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "body", jsonReason(err)
		}
		members[key.(string)] = v
	}
	if _, err := dec.Token(); err != nil {
		return "body", jsonReason(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "body", "the body must hold one JSON object and nothing after it"
	}
	if q, ok := members["query"]; !ok || !isJSON(q, '"') {
		return "query", "must be a string holding the GraphQL document"
	}
	if op, ok := members["operationName"]; ok && !isJSON(op, '"') && !isJSON(op, 'n') {
		return "operationName", "must be a string or null"
	}
	return checkMembers(map[string]json.RawMessage{"variables": members["variables"], "extensions": members["extensions"]})
}

// checkMembers checks that variables and extensions are JSON objects (or
// absent or null).
func checkMembers(m map[string]json.RawMessage) (field, reason string) {
	for _, name := range []string{"variables", "extensions"} {
		v := m[name]
		if v == nil || isJSON(v, 'n') {
			continue
		}
		if !json.Valid(v) || !isJSON(v, '{') {
			return name, "must be a JSON object"
		}
	}
	return "", ""
}

// isJSON reports whether a JSON value starts with c (after blanks): '"' a
// string, '{' an object, 'n' null.
func isJSON(v json.RawMessage, c byte) bool {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 || v[0] != c {
		return false
	}
	return c != 'n' || string(bytes.TrimSpace(v)) == "null"
}

func jsonReason(err error) string {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return "malformed JSON near byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON body ends too early"
	default:
		return "malformed JSON"
	}
}

// writeRequestError answers a request refused before GraphQL saw it, in
// the shape of a GraphQL error.
func writeRequestError(w http.ResponseWriter, status int, field, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
		"message":    field + ": " + msg,
		"extensions": map[string]any{"code": string(apperr.InvalidInput), "field": field},
	}}})
}
