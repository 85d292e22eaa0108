package server_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/testenv"
)

// attachment is an Attachment as tests read it.
type attachment struct {
	ID, Name, ContentType, Status, Error string
	Size                                 int64
	URL, ThumbnailURL, DeletedAt         *string
	Width, Height                        *int
}

const attachmentFields = `id name contentType size status url thumbnailURL width height error deletedAt`

// pngOf is a w×h PNG.
func pngOf(w, h int) []byte {
	pic := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(pic, pic.Bounds(), image.White, image.Point{}, draw.Src)
	for x := range w {
		pic.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	_ = png.Encode(&b, pic)
	return b.Bytes()
}

// upload stores a file with uploadAttachment and returns it; it fails the
// test on any error.
func upload(t *testing.T, s *testenv.Server, tok, name, contentType string, body []byte) attachment {
	t.Helper()
	r := s.Upload(t, tok, `mutation($file: Upload!) { uploadAttachment(file: $file) { `+attachmentFields+` } }`, nil, "file", name, contentType, body)
	var out struct{ UploadAttachment attachment }
	if r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("upload %s: %d %+v", name, r.Status, r.Errors)
	}
	r.Decode(t, &out)
	return out.UploadAttachment
}

// fetchLink GETs a signed link of the test server.
func fetchLink(t *testing.T, s *testenv.Server, link string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(s.URL + strings.TrimPrefix(link, s.Config.PublicURL))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// messageAttachments reads a message's attachments as an agent.
func messageAttachments(t *testing.T, s *testenv.Server, tok, id string) []attachment {
	t.Helper()
	var out struct {
		Node struct{ Attachments []attachment }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { attachments { `+attachmentFields+` } } } }`, map[string]any{"id": id}, &out)
	return out.Node.Attachments
}

// storedObjects counts the files kept under the data directory, with
// or without images' thumbnails.
func storedObjects(t *testing.T, s *testenv.Server, thumbnails bool) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(filepath.Join(s.Config.DataDir, "files"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "/.tmp/") && (thumbnails || !strings.Contains(d.Name(), ".thumb.")) {
			n++
		}
		return nil
	})
	return n
}

// TestUploadAndSend: an agent uploads a PNG and a PDF over the multipart
// spec and sends them with an empty body; the message carries them in
// order, the integrator gets signed links that serve the bytes, the image
// gets a thumbnail, an upload is sent once, and another workspace sees
// none of it.
func TestUploadAndSend(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	conv := replyTo(t, s, ch, "user-1")

	pic := pngOf(640, 480)
	img := upload(t, s, tok, "photo.png", "image/png", pic)
	if img.Status != "READY" || img.ContentType != "image/png" || img.Size != int64(len(pic)) || img.URL == nil ||
		img.Width == nil || *img.Width != 640 || *img.Height != 480 || !strings.HasPrefix(img.ID, "fil_") {
		t.Fatalf("uploaded PNG: %+v", img)
	}
	pdf := []byte("%PDF-1.7\n" + strings.Repeat("x", 5000))
	doc := upload(t, s, tok, "invoice.pdf", "application/pdf", pdf)

	var sent struct {
		SendMessage struct {
			ID          string
			Body        string
			Attachments []attachment
		}
	}
	s.MustDo(t, tok, `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, attachmentIDs: $a}) { id body attachments { `+attachmentFields+` } } }`,
		map[string]any{"c": conv, "a": []string{doc.ID, img.ID}}, &sent)
	if got := sent.SendMessage.Attachments; len(got) != 2 || got[0].ID != doc.ID || got[1].ID != img.ID || sent.SendMessage.Body != "" {
		t.Fatalf("sent message: %+v", sent.SendMessage)
	}
	waitStatus(t, s, tok, sent.SendMessage.ID, "SENT")
	_, bodies := in.received()
	msg := bodies[len(bodies)-1]["message"].(map[string]any)
	atts, _ := msg["attachments"].([]any)
	if len(atts) != 2 {
		t.Fatalf("integrator got attachments %v", msg["attachments"])
	}
	first := atts[0].(map[string]any)
	if first["name"] != "invoice.pdf" || first["contentType"] != "application/pdf" || first["size"] != float64(len(pdf)) {
		t.Fatalf("integrator's first attachment: %v", first)
	}
	res, got := fetchLink(t, s, first["url"].(string))
	if res.StatusCode != 200 || !bytes.Equal(got, pdf) || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("integrator's link: %d %v", res.StatusCode, res.Header)
	}

	// The thumbnail is made after the upload, by the worker.
	var thumb string
	testenv.EventuallyErr(t, func() error {
		a := messageAttachments(t, s, tok, sent.SendMessage.ID)[1]
		if a.ThumbnailURL == nil {
			return fmt.Errorf("no thumbnail yet")
		}
		thumb = *a.ThumbnailURL
		return nil
	})
	res, got = fetchLink(t, s, thumb)
	cfg, format, err := image.DecodeConfig(bytes.NewReader(got))
	if res.StatusCode != 200 || err != nil || format != "jpeg" || cfg.Width != 320 || cfg.Height != 240 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %s %+v %v %v", res.StatusCode, format, cfg, err, res.Header)
	}
	if res, _ := fetchLink(t, s, strings.Replace(thumb, "/thumbnail", "", 1)); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a thumbnail's signature opened the file: %d", res.StatusCode)
	}

	// An upload is sent once.
	r := s.Do(t, tok, `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, body: "again", attachmentIDs: $a}) { id } }`,
		map[string]any{"c": conv, "a": []string{img.ID}})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "CONFLICT" {
		t.Fatalf("sending an upload twice: %+v", r.Errors)
	}

	// Another workspace: not its upload to send, see or delete.
	other := s.NewWorkspace(t, "Other", "other@example.com")
	oin := newIntegrator(t)
	och := createAPIChannel(t, s, other, oin.URL)
	oconv := replyTo(t, s, och, "user-2")
	fresh := upload(t, s, tok, "fresh.png", "image/png", pic)
	r = s.Do(t, other, `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, attachmentIDs: $a}) { id } }`,
		map[string]any{"c": oconv, "a": []string{fresh.ID}})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "NOT_FOUND" {
		t.Fatalf("another workspace's upload: %+v", r.Errors)
	}
	var node struct{ Node *struct{ ID string } }
	s.MustDo(t, other, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": fresh.ID}, &node)
	if node.Node != nil {
		t.Fatalf("another workspace reads the attachment: %+v", node.Node)
	}
	if r := s.Do(t, other, `mutation($id: ID!) { deleteAttachment(id: $id) }`, map[string]any{"id": fresh.ID}); len(r.Codes()) != 1 || r.Codes()[0] != "NOT_FOUND" {
		t.Fatalf("another workspace deletes the attachment: %+v", r.Errors)
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": fresh.ID}, &node)
	if node.Node == nil || node.Node.ID != fresh.ID {
		t.Fatalf("the attachment as a node of its workspace: %+v", node.Node)
	}
}

// TestUploadRefusals: files over the limit, of types the workspace does
// not take, or sent without a length are refused with a clear error and
// nothing stored; HTML is kept but only ever downloaded.
func TestUploadRefusals(t *testing.T) {
	s := testenv.New(t, func(c *config.Config) { c.MaxFileBytes = 64 << 10 })
	tok := s.AdminToken(t)

	big := bytes.Repeat([]byte("a"), 64<<10+1)
	r := s.Upload(t, tok, testenv.UploadMutation, nil, "file", "big.txt", "text/plain", big)
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "INVALID_INPUT" || !strings.Contains(r.Errors[0].Message, "0 MiB") && !strings.Contains(r.Errors[0].Message, "larger than") {
		t.Fatalf("a file over the limit: %d %+v", r.Status, r.Errors)
	}
	huge := bytes.Repeat([]byte("a"), 64<<10+2<<20)
	if r := s.Upload(t, tok, testenv.UploadMutation, nil, "file", "huge.txt", "text/plain", huge); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the upload limit: %d", r.Status)
	}
	// Without a length: refused before it is read.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", io.MultiReader(strings.NewReader("--x\r\n")))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusLengthRequired {
		t.Fatalf("a chunked upload: %v %v", res, err)
	}

	// The workspace takes images only.
	var ws struct {
		Viewer struct{ Workspace struct{ ID string } }
	}
	s.MustDo(t, tok, `{ viewer { workspace { id } } }`, nil, &ws)
	if r := s.Do(t, tok, `mutation($id: ID!) { updateWorkspace(id: $id, input: {allowedFileTypes: ["image/*", "Application/PDF"]}) { id } }`,
		map[string]any{"id": ws.Viewer.Workspace.ID}); len(r.Codes()) != 1 || r.Codes()[0] != "INVALID_INPUT" {
		t.Fatalf("a malformed allowed type: %+v", r.Errors)
	}
	s.MustDo(t, tok, `mutation($id: ID!) { updateWorkspace(id: $id, input: {allowedFileTypes: ["image/*"]}) { allowedFileTypes } }`,
		map[string]any{"id": ws.Viewer.Workspace.ID}, nil)
	r = s.Upload(t, tok, testenv.UploadMutation, nil, "file", "doc.pdf", "application/pdf", []byte("%PDF-1.4\nx"))
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "INVALID_INPUT" || !strings.Contains(r.Errors[0].Message, "application/pdf") {
		t.Fatalf("a type the workspace does not take: %+v", r.Errors)
	}
	// A PNG declared as a PDF is what its bytes are.
	if a := upload(t, s, tok, "x.pdf", "application/pdf", pngOf(2, 2)); a.ContentType != "image/png" {
		t.Fatalf("a PNG declared as a PDF is kept as %s", a.ContentType)
	}
	if n := storedObjects(t, s, false); n != 1 {
		t.Fatalf("%d objects stored, want only the PNG", n)
	}

	// Back to the defaults: HTML is taken, and only ever downloaded.
	s.MustDo(t, tok, `mutation($id: ID!) { updateWorkspace(id: $id, input: {clearAllowedFileTypes: true}) { id } }`,
		map[string]any{"id": ws.Viewer.Workspace.ID}, nil)
	page := upload(t, s, tok, "page.html", "text/html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	res, _ := fetchLink(t, s, *page.URL)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("HTML served as %d %v", res.StatusCode, res.Header)
	}
	// An anonymous caller uploads nothing.
	if r := s.Upload(t, "", testenv.UploadMutation, nil, "file", "a.png", "image/png", pngOf(1, 1)); len(r.Codes()) != 1 || r.Codes()[0] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous upload: %d %+v", r.Status, r.Errors)
	}
}

// TestDeleteAttachment: an admin removes a sent file's bytes; the message
// keeps a tombstone, old links stop working, and agents cannot do it.
func TestDeleteAttachment(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	conv := replyTo(t, s, ch, "user-1")
	a := upload(t, s, tok, "passport.png", "image/png", pngOf(50, 50))
	var sent struct{ SendMessage struct{ ID string } }
	s.MustDo(t, tok, `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, body: "here", attachmentIDs: $a}) { id } }`,
		map[string]any{"c": conv, "a": []string{a.ID}}, &sent)

	var agent struct{ CreateAgent struct{ ID string } }
	s.MustDo(t, tok, `mutation { createAgent(input: {name: "Al", email: "al@example.com", password: "al-password-1", role: AGENT}) { id } }`, nil, &agent)
	al := s.SignIn(t, "al@example.com", "al-password-1")
	if r := s.Do(t, al, `mutation($id: ID!) { deleteAttachment(id: $id) }`, map[string]any{"id": a.ID}); len(r.Codes()) != 1 || r.Codes()[0] != "FORBIDDEN" {
		t.Fatalf("an agent deletes: %+v", r.Errors)
	}

	var del struct{ DeleteAttachment string }
	s.MustDo(t, tok, `mutation($id: ID!) { deleteAttachment(id: $id) }`, map[string]any{"id": a.ID}, &del)
	if del.DeleteAttachment != a.ID {
		t.Fatalf("deleteAttachment returned %q", del.DeleteAttachment)
	}
	got := messageAttachments(t, s, tok, sent.SendMessage.ID)
	if len(got) != 1 || got[0].DeletedAt == nil || got[0].URL != nil || got[0].ThumbnailURL != nil || got[0].Name != "" {
		t.Fatalf("after deletion: %+v", got)
	}
	if res, _ := fetchLink(t, s, *a.URL); res.StatusCode != http.StatusNotFound {
		t.Fatalf("an old link after deletion: %d", res.StatusCode)
	}
	testenv.EventuallyErr(t, func() error {
		if n := storedObjects(t, s, true); n != 0 {
			return fmt.Errorf("%d objects still stored", n)
		}
		return nil
	})
}

// TestVisitorAttachments: a website visitor uploads a file and sends it
// with an empty body; the agent sees it on the message. Uploads stay on
// their side: the business cannot send a visitor's upload, nor a visitor
// the business's.
func TestVisitorAttachments(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	_, key := webChannel(t, s, tok)
	v := startVisitor(t, s, "", key, nil)
	up := s.Upload(t, v.Token, `mutation($file: Upload!) { visitorUploadAttachment(file: $file) { `+attachmentFields+` } }`, nil, "file", "screenshot.png", "image/png", pngOf(30, 20))
	var got struct{ VisitorUploadAttachment attachment }
	if up.Status != 200 || len(up.Errors) > 0 {
		t.Fatalf("visitor upload: %d %+v", up.Status, up.Errors)
	}
	up.Decode(t, &got)
	a := got.VisitorUploadAttachment
	if a.Status != "READY" || a.URL == nil || *a.Width != 30 {
		t.Fatalf("visitor's upload: %+v", a)
	}
	// An agent's upload is not the visitor's to send.
	agentFile := upload(t, s, tok, "terms.pdf", "application/pdf", []byte("%PDF-1.7\nterms"))
	r := s.Do(t, v.Token, `mutation($a: [ID!]) { visitorSendMessage(attachmentIDs: $a) { id } }`, map[string]any{"a": []string{agentFile.ID}})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "NOT_FOUND" {
		t.Fatalf("a visitor sends an agent's upload: %+v", r.Errors)
	}
	if r := s.Do(t, v.Token, `mutation { visitorSendMessage(body: "  ") { id } }`, nil); len(r.Codes()) != 1 || r.Codes()[0] != "INVALID_INPUT" {
		t.Fatalf("an empty message without files: %+v", r.Errors)
	}
	var sent struct {
		VisitorSendMessage struct {
			ID          string
			Attachments []attachment
		}
	}
	s.MustDo(t, v.Token, `mutation($a: [ID!]) { visitorSendMessage(attachmentIDs: $a, clientMessageID: "m1") { id attachments { `+attachmentFields+` } } }`,
		map[string]any{"a": []string{a.ID}}, &sent)
	if len(sent.VisitorSendMessage.Attachments) != 1 || sent.VisitorSendMessage.Attachments[0].ID != a.ID {
		t.Fatalf("visitor's message: %+v", sent.VisitorSendMessage)
	}
	// A retry of the same message returns it, files and all.
	var again struct{ VisitorSendMessage struct{ ID string } }
	s.MustDo(t, v.Token, `mutation($a: [ID!]) { visitorSendMessage(attachmentIDs: $a, clientMessageID: "m1") { id } }`,
		map[string]any{"a": []string{a.ID}}, &again)
	if again.VisitorSendMessage.ID != sent.VisitorSendMessage.ID {
		t.Fatalf("retry stored a second message")
	}
	seen := messageAttachments(t, s, tok, sent.VisitorSendMessage.ID)
	if len(seen) != 1 || seen[0].Name != "screenshot.png" || seen[0].URL == nil {
		t.Fatalf("the agent sees %+v", seen)
	}
	// The business cannot send the visitor's next upload as its own.
	var next struct{ VisitorUploadAttachment attachment }
	s.Upload(t, v.Token, `mutation($file: Upload!) { visitorUploadAttachment(file: $file) { id } }`, nil, "file", "b.png", "image/png", pngOf(2, 2)).Decode(t, &next)
	var conv struct {
		Node struct{ ConversationID string }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { conversationID } } }`, map[string]any{"id": sent.VisitorSendMessage.ID}, &conv)
	r = s.Do(t, tok, `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, attachmentIDs: $a}) { id } }`,
		map[string]any{"c": conv.Node.ConversationID, "a": []string{next.VisitorUploadAttachment.ID}})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "NOT_FOUND" {
		t.Fatalf("an agent sends a visitor's upload: %+v", r.Errors)
	}
	// Agents use uploadAttachment, visitors visitorUploadAttachment.
	if r := s.Upload(t, tok, `mutation($file: Upload!) { visitorUploadAttachment(file: $file) { id } }`, nil, "file", "a.png", "image/png", pngOf(1, 1)); len(r.Codes()) != 1 {
		t.Fatalf("an agent on the visitor upload: %+v", r.Errors)
	}
}

// TestInboundMedia: the files an integrator's message links to are
// fetched after the message is stored: PENDING first, retried when the
// fetch fails, READY with the bytes after; a link into the private
// network is refused (FAILED) unless private fetches are allowed, and
// the message is kept either way.
func TestInboundMedia(t *testing.T) {
	pic := pngOf(40, 30)
	var hits atomic.Int32
	media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pic)
	}))
	t.Cleanup(media.Close)

	s := testenv.New(t, func(c *config.Config) { c.AllowPrivateFetch = true })
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	payload := inboundPayload("in-1", "user-1", "see photo")
	payload["attachments"] = []map[string]any{{"url": media.URL + "/photos/a.png?token=secret", "name": "a.png", "contentType": "image/png"}}
	status, ids := post(t, ch.WebhookURL, apiSecret, time.Now(), payload)
	if status != 200 {
		t.Fatalf("inbound: %d", status)
	}
	var msg string
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct {
				Messages struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { messages { edges { node { id } } } } } }`, map[string]any{"id": ids["conversationID"]}, &out)
		if len(out.Node.Messages.Edges) == 0 {
			return fmt.Errorf("no message")
		}
		msg = out.Node.Messages.Edges[0].Node.ID
		return nil
	})
	testenv.EventuallyErr(t, func() error {
		a := messageAttachments(t, s, tok, msg)
		if len(a) != 1 || a[0].Status != "READY" {
			return fmt.Errorf("attachments %+v", a)
		}
		res, body := fetchLink(t, s, *a[0].URL)
		if res.StatusCode != 200 || !bytes.Equal(body, pic) || a[0].Name != "a.png" || *a[0].Width != 40 {
			return fmt.Errorf("fetched %d %d bytes, %+v", res.StatusCode, len(body), a[0])
		}
		return nil
	})
	if n := hits.Load(); n != 2 {
		t.Fatalf("the media server was asked %d times, want 2 (a failure, then the fetch)", n)
	}

	// Without private fetches: refused, never asked, and the message kept.
	strict := testenv.New(t)
	stok := strict.AdminToken(t)
	sch := createAPIChannel(t, strict, stok, "")
	payload = inboundPayload("in-2", "user-2", "")
	payload["attachments"] = []map[string]any{{"url": "https://127.0.0.1:1/internal/admin", "name": "x"}}
	if status, _ := post(t, sch.WebhookURL, apiSecret, time.Now(), payload); status != 200 {
		t.Fatalf("inbound with an internal link: %d", status)
	}
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Conversations struct {
				Edges []struct {
					Node struct {
						Messages struct {
							Edges []struct {
								Node struct{ Attachments []attachment }
							}
						}
					}
				}
			}
		}
		strict.MustDo(t, stok, `{ conversations { edges { node { messages { edges { node { attachments { `+attachmentFields+` } } } } } } } }`, nil, &out)
		if len(out.Conversations.Edges) != 1 || len(out.Conversations.Edges[0].Node.Messages.Edges) != 1 {
			return fmt.Errorf("no message: %+v", out)
		}
		a := out.Conversations.Edges[0].Node.Messages.Edges[0].Node.Attachments
		if len(a) != 1 || a[0].Status != "FAILED" || a[0].URL != nil || !strings.Contains(a[0].Error, "private") {
			return fmt.Errorf("attachments %+v", a)
		}
		return nil
	})
}

// TestAttachmentsStatementCount: a page of messages with their
// attachments costs as many statements for 5 messages as for 30, on a
// conversation and on a customer's timeline.
func TestAttachmentsStatementCount(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	var conv string
	for i := range 30 {
		p := inboundPayload(fmt.Sprint("in-", i), "user-1", fmt.Sprint("message ", i))
		p["attachments"] = []map[string]any{{"url": fmt.Sprintf("https://files.example/%d.png", i)}, {"url": "https://files.example/b.pdf"}}
		status, ids := post(t, ch.WebhookURL, apiSecret, time.Now(), p)
		if status != 200 {
			t.Fatalf("inbound %d: %d", i, status)
		}
		conv = ids["conversationID"]
	}
	for _, q := range []string{
		`query($c: ID!, $n: Int!) { node(id: $c) { ... on Conversation { messages(first: $n) { edges { node { id attachments { id name status } } } } } } }`,
		`query($c: ID!, $n: Int!) { node(id: $c) { ... on Conversation { customer { timeline(first: $n) { edges { node { ... on MessageEntry { message { id attachments { id name status } } } } } } } } } }`,
	} {
		count := func(n int) int64 {
			before := s.Statements.Load()
			r := s.Do(t, tok, q, map[string]any{"c": conv, "n": n})
			if r.Status != 200 || len(r.Errors) > 0 {
				t.Fatalf("query: %+v", r.Errors)
			}
			if got := strings.Count(string(r.Data), `"attachments":[{`); got < n-1 || !strings.Contains(string(r.Data), `"name":"b.pdf"`) {
				t.Fatalf("%d messages with attachments, want %d: %s", got, n, r.Data)
			}
			return s.Statements.Load() - before
		}
		if small, large := count(5), count(30); small != large {
			t.Errorf("5 messages cost %d statements, 30 cost %d: an N+1 in %s", small, large, q)
		}
	}
}

// TestInboundFiles: a channel that hands over files in full (a mail's
// parts) gets them stored with the message, READY, with its HTML and
// its source; the source is not an attachment; a retried delivery is
// stored once and leaves no stray bytes.
func TestInboundFiles(t *testing.T) {
	e := newPagerEnv(t)
	s, tok := e.s, e.tok
	pic := pngOf(12, 8)
	raw := []byte("From: ann@example.com\r\nSubject: hi\r\n\r\nhello\r\n")
	m := msgFrom("ann", "mail-1", "hello")
	m["HTML"] = "<p>hello</p>"
	m["Files"] = []map[string]any{{"Name": "photo.png", "ContentType": "image/png", "Data": pic, "Inline": true, "ContentID": "p1"},
		{"Name": "notes.txt", "ContentType": "text/plain", "Data": []byte("notes")}}
	m["Source"] = map[string]any{"Name": "message.eml", "ContentType": "message/rfc822", "Data": raw}
	for range 2 { // the provider retries
		if st := e.deliver(t, "pager", map[string]any{"Messages": []any{m}}); st != 200 {
			t.Fatalf("inbound: %d", st)
		}
	}
	conv := e.only(t, "pager")
	var out struct {
		Node struct {
			Messages struct {
				Edges []struct {
					Node struct {
						ID          string
						HTML        *string
						Attachments []attachment
						Source      *attachment
					}
				}
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { messages { edges { node { id html
		attachments { `+attachmentFields+` } source { `+attachmentFields+` } } } } } } }`, map[string]any{"id": conv.ID}, &out)
	if len(out.Node.Messages.Edges) != 1 {
		t.Fatalf("%d messages, want 1", len(out.Node.Messages.Edges))
	}
	got := out.Node.Messages.Edges[0].Node
	if got.HTML == nil || *got.HTML != "<p>hello</p>" || len(got.Attachments) != 2 || got.Attachments[0].Name != "photo.png" ||
		got.Attachments[0].Status != "READY" || *got.Attachments[0].Width != 12 || got.Attachments[1].ContentType != "text/plain" ||
		got.Source == nil || got.Source.Name != "message.eml" {
		t.Fatalf("stored message: %+v", got)
	}
	res, body := fetchLink(t, s, *got.Source.URL)
	if res.StatusCode != 200 || !bytes.Equal(body, raw) {
		t.Fatalf("source: %d %q", res.StatusCode, body)
	}
	// Three files kept (two attachments and the source), besides thumbnails.
	testenv.EventuallyErr(t, func() error {
		if n := storedObjects(t, s, false); n != 3 {
			return fmt.Errorf("%d objects stored, want 3", n)
		}
		return nil
	})
}
