package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// Upload runs a GraphQL operation with one file, as a browser does: a
// multipart request (the GraphQL multipart request spec) whose map puts
// the file at variables.<fileVar>.
func (s *Server) Upload(t testing.TB, token, query string, vars map[string]any, fileVar, name, contentType string, body []byte) *Response {
	t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars[fileVar] = nil
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", `{"0": ["variables.`+fileVar+`"]}`)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="0"; filename="`+strings.ReplaceAll(name, `"`, `\"`)+`"`)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	part, _ := w.CreatePart(h)
	_, _ = part.Write(body)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload request: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &Response{Status: res.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil && res.StatusCode == http.StatusOK {
		t.Fatalf("upload response %d %q: %v", res.StatusCode, raw, err)
	}
	return out
}

// UploadMutation uploads a file with uploadAttachment.
const UploadMutation = `mutation($file: Upload!) { uploadAttachment(file: $file) { id name contentType size status url thumbnailURL width height } }`
