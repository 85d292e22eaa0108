package server_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/internal/testenv"
)

// getWidget fetches /widget.js with optional request headers.
func getWidget(t *testing.T, s *testenv.Server, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/widget.js", nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// TestWidgetServed: the script is served as JavaScript with an ETag, and a
// client holding the current version gets 304 without a body.
func TestWidgetServed(t *testing.T) {
	s := testenv.New(t)
	res, body := getWidget(t, s, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /widget.js: %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q, want text/javascript", ct)
	}
	if !strings.Contains(body, "data-channel-key") || !strings.Contains(body, "startVisitorSession") {
		t.Errorf("/widget.js is not the widget (%d bytes)", len(body))
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	res, body = getWidget(t, s, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("If-None-Match with the current ETag: %d with %d bytes, want 304 and no body", res.StatusCode, len(body))
	}
	res, _ = getWidget(t, s, map[string]string{"If-None-Match": `"stale"`})
	if res.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match with another ETag: %d, want 200", res.StatusCode)
	}
}

// widgetDocuments are the template literals that follow a /* GraphQL */
// comment in the widget.
var widgetDocuments = regexp.MustCompile("/\\* GraphQL \\*/\\s*`([^`]*)`")

// TestWidgetDocumentsValidate: every GraphQL document in widget.js is valid
// against the server's schema, so a schema change that would break embedded
// widgets fails here.
func TestWidgetDocumentsValidate(t *testing.T) {
	schema := loadSchema(t)
	src, err := os.ReadFile(filepath.Join("widget", "widget.js"))
	if err != nil {
		t.Fatal(err)
	}
	docs := widgetDocuments.FindAllStringSubmatch(string(src), -1)
	// One per operation the widget performs: start, renew, load a page,
	// send, upload a file, subscribe.
	if len(docs) != 6 {
		t.Fatalf("found %d tagged GraphQL documents in widget.js, want 6", len(docs))
	}
	if n := strings.Count(string(src), "/* GraphQL */"); n != len(docs) {
		t.Fatalf("%d /* GraphQL */ tags but %d documents after them", n, len(docs))
	}
	for _, d := range docs {
		doc := d[1]
		if strings.Contains(doc, "${") {
			t.Errorf("document is interpolated, so it cannot be checked:\n%s", doc)
			continue
		}
		q, errs := gqlparser.LoadQuery(schema, doc)
		if len(errs) > 0 {
			t.Errorf("invalid document:\n%s\n%v", doc, errs)
			continue
		}
		if len(q.Operations) != 1 {
			t.Errorf("want one operation per document, got %d:\n%s", len(q.Operations), doc)
		}
	}
}

// loadSchema reads the server's schema the way gqlgen does
// (schema/*.graphql and schema/*.graphqls).
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	var sources []*ast.Source
	for _, glob := range []string{"*.graphql", "*.graphqls"} {
		files, err := filepath.Glob(filepath.Join("..", "schema", glob))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, &ast.Source{Name: f, Input: string(b)})
		}
	}
	if len(sources) == 0 {
		t.Fatal("no schema files in ../schema")
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("load schema: %v", err)
	}
	return schema
}
