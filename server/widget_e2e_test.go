package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/visitor"
)

// These tests drive the chat widget in a real headless Chromium: a page on
// one origin embeds /widget.js from the Switchboard server on another, as a
// customer's website does.

const browserTimeout = 20 * time.Second

// findBrowser returns a Chromium or Chrome executable. Without one the
// browser tests are skipped, except in CI, where they must run.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium or Chrome found; CI must run the browser tests (install Debian's chromium)")
	}
	t.Skip("no Chromium or Chrome found")
	return ""
}

// browser is one headless Chromium tab; its console output and uncaught
// exceptions are printed when the test fails.
type browser struct {
	ctx  context.Context
	mu   sync.Mutex
	logs []string
}

func newBrowser(t *testing.T, flags ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := findBrowser(t)
	profile, err := os.MkdirTemp("", "switchboard-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1024, 768),
	)
	opts = append(opts, flags...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &browser{ctx: ctx}
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		// Chromium's helpers may still be writing; a leftover profile is
		// not worth failing the test for.
		testenv.Within(time.Second, func() bool { return os.RemoveAll(profile) == nil })
		if t.Failed() {
			b.mu.Lock()
			t.Logf("browser console:\n%s", strings.Join(b.logs, "\n"))
			b.mu.Unlock()
		}
	})
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	return b
}

func (b *browser) record(ev any) {
	var line string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		args := make([]string, len(ev.Args))
		for i, a := range ev.Args {
			args[i] = string(a.Value)
			if a.Value == nil {
				args[i] = a.Description
			}
		}
		line = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
	case *runtime.EventExceptionThrown:
		line = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			line += " " + ev.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	b.mu.Lock()
	b.logs = append(b.logs, line)
	b.mu.Unlock()
}

func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("%s: %v\nwidget: %s", what, err, b.snapshot())
	}
}

// inWidget wraps JavaScript statements that see the widget's shadow root as
// `root` and its messages as `msgs`, and return a value.
func inWidget(statements string) string {
	return `(() => {
		const host = document.querySelector("switchboard-chat");
		const root = host && host.shadowRoot;
		if (!root) return false;
		const msgs = [...root.querySelectorAll("[data-sb=message]")].map(m => ({
			sender: m.dataset.sender,
			status: m.dataset.status || "",
			body: m.querySelector("[data-sb=body]").textContent,
			name: (m.querySelector("[data-sb=name]") || {}).textContent || "",
			statusText: (m.querySelector(".status") || {}).textContent || "",
		}));
		` + statements + `
	})()`
}

// widgetPart is a JSPath selector for an element of the widget.
func widgetPart(name string) chromedp.JSPath {
	return chromedp.JSPath(`document.querySelector("switchboard-chat").shadowRoot.querySelector("[data-sb=` + name + `]")`)
}

// waitFor polls a predicate over the widget until it holds.
func (b *browser) waitFor(t *testing.T, what, predicate string) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](inWidget(predicate),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(browserTimeout)))
	if err != nil {
		t.Fatalf("waiting for %s: %v\nwidget: %s", what, err, b.snapshot())
	}
}

// snapshot describes the widget's messages and error for failure messages.
func (b *browser) snapshot() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](inWidget(
		`return {messages: msgs, error: root.querySelector("[data-sb=error]").textContent}`)))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return string(raw)
}

func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// sitePage serves the embedding site:
// /?script=<widget url>&key=<channel key>[&user=<id>&hash=<identity hash>].
// Its own CSS is hostile to unscoped widgets. As a test seam, the page keeps
// the websockets it opens (window.sockets), records what is sent on them
// (window.sent), and while window.blockSockets is set, opens them to a path
// that refuses the upgrade.
func sitePage(t *testing.T) *httptest.Server {
	page := template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title>
<style>button, textarea { display: none !important } * { font-size: 40px; color: red }</style>
<script>
window.sockets = []; window.sent = []; window.blockSockets = false;
const NativeWebSocket = window.WebSocket;
window.WebSocket = function (url, protocols) {
	const ws = new NativeWebSocket(window.blockSockets ? url + "-blocked" : url, protocols);
	const send = ws.send.bind(ws);
	ws.send = (data) => { window.sent.push(String(data)); send(data); };
	window.sockets.push(ws);
	return ws;
};
</script>
</head><body><h1>Welcome to the shop</h1>
<script src="{{.Script}}" data-channel-key="{{.Key}}" data-user-id="{{.User}}" data-user-hash="{{.Hash}}"
	data-title="Shop support" async></script>
</body></html>`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		q := r.URL.Query()
		_ = page.Execute(w, map[string]string{"Script": q.Get("script"), "Key": q.Get("key"), "User": q.Get("user"), "Hash": q.Get("hash")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// pageURL is the site's page embedding the widget of the channel; user and
// hash are a signed-in user's id and identity hash, if any.
func pageURL(site *httptest.Server, s *testenv.Server, key string, userAndHash ...string) string {
	q := url.Values{"script": {s.URL + "/widget.js"}, "key": {key}}
	if len(userAndHash) == 2 {
		q.Set("user", userAndHash[0])
		q.Set("hash", userAndHash[1])
	}
	return site.URL + "/?" + q.Encode()
}

func createWebChannel(t *testing.T, s *testenv.Server, tok, name string, origins ...string) string {
	t.Helper()
	_, key := createWebChannelID(t, s, tok, name, origins...)
	return key
}

func createWebChannelID(t *testing.T, s *testenv.Server, tok, name string, origins ...string) (id, key string) {
	t.Helper()
	var out struct{ CreateChannel struct{ ID, Key string } }
	s.MustDo(t, tok, `mutation($n: String!, $s: Map) { createChannel(input: {kind: "web", name: $n, settings: $s}) { id key } }`,
		map[string]any{"n": name, "s": map[string]any{"allowedOrigins": origins}}, &out)
	if out.CreateChannel.Key == "" {
		t.Fatal("the channel has no key")
	}
	return out.CreateChannel.ID, out.CreateChannel.Key
}

type agentEvent struct {
	MessageAdded struct {
		Message struct {
			ID, Body     string
			Conversation struct{ ID string }
		}
	}
}

// nextBody waits for the agent's subscription to deliver a message with
// this body and returns its conversation id.
func nextBody(t *testing.T, sub *testenv.Subscription, body string) string {
	t.Helper()
	timeout := time.After(browserTimeout)
	for {
		select {
		case m, ok := <-sub.C:
			if !ok {
				t.Fatal("the agent's subscription ended")
			}
			var p struct {
				Data   agentEvent
				Errors []testenv.Error
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil || m.Type != "next" || len(p.Errors) > 0 {
				t.Fatalf("agent subscription: %s %s", m.Type, m.Payload)
			}
			if p.Data.MessageAdded.Message.Body == body {
				return p.Data.MessageAdded.Message.Conversation.ID
			}
		case <-timeout:
			t.Fatalf("the agent did not receive %q", body)
		}
	}
}

// TestWidgetConversation: a visitor writes from a site, an agent answers,
// and the visitor sees the answer live and again after a reload, in the same
// conversation.
func TestWidgetConversation(t *testing.T) {
	findBrowser(t) // skip before starting anything
	s := testenv.New(t)
	admin := s.AdminToken(t)
	site := sitePage(t)
	key := createWebChannel(t, s, admin, "Shop", site.URL)
	s.MustDo(t, admin, `mutation { createAgent(input: {name: "Ann", email: "ann@example.com", password: "ann-password"}) { id } }`, nil, &struct{}{})
	ann := s.SignIn(t, "ann@example.com", "ann-password")

	ws, err := s.DialWS(t, ann, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(`subscription { messageAdded { cursor message { id body conversation { id } } } }`, nil)
	s.WaitSubscribers(t, 1)

	b := newBrowser(t)
	b.do(t, "open the site and the chat",
		chromedp.Navigate(pageURL(site, s, key)),
		chromedp.Click(widgetPart("bubble")),
		chromedp.WaitVisible(widgetPart("panel")),
		chromedp.SendKeys(widgetPart("input"), "Hello from the browser\r"),
	)
	conv := nextBody(t, sub, "Hello from the browser")
	if conv == "" {
		t.Fatal("the visitor's message has no conversation")
	}
	b.waitFor(t, "the visitor's message to be sent", `
		return msgs.length === 1 && msgs[0].sender === "CUSTOMER" && msgs[0].body === "Hello from the browser" &&
			msgs[0].status === "sent" && msgs[0].statusText === "Sent";`)

	s.Send(t, ann, conv, "Hi, this is Ann")
	b.waitFor(t, "the agent's reply", `
		return msgs.length === 2 && msgs[1].sender === "AGENT" && msgs[1].body === "Hi, this is Ann" && msgs[1].name === "Ann";`)

	title, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](inWidget(`return root.querySelector("[data-sb=title]").textContent;`)))
	if err != nil || title != "Shop support" {
		t.Errorf("panel title = %q (%v), want the page's data-title", title, err)
	}

	// A reload keeps the visitor: the history comes back and a new message
	// lands in the same conversation.
	b.do(t, "reload and open the chat",
		chromedp.Reload(),
		chromedp.Click(widgetPart("bubble")),
		chromedp.WaitVisible(widgetPart("panel")),
	)
	b.waitFor(t, "the history after a reload", `
		return msgs.length === 2 &&
			msgs[0].sender === "CUSTOMER" && msgs[0].body === "Hello from the browser" && msgs[0].statusText === "Sent" &&
			msgs[1].sender === "AGENT" && msgs[1].body === "Hi, this is Ann";`)
	b.do(t, "write again", chromedp.SendKeys(widgetPart("input"), "Still me\r"))
	if again := nextBody(t, sub, "Still me"); again != conv {
		t.Errorf("after a reload the visitor wrote into conversation %s, want %s", again, conv)
	}
	s.Send(t, ann, conv, "Welcome back")
	b.waitFor(t, "a live reply after the reload", `
		return msgs.length === 4 && msgs[2].body === "Still me" && msgs[2].status === "sent" &&
			msgs[3].sender === "AGENT" && msgs[3].body === "Welcome back";`)

	// The connection drops, and what the agent writes meanwhile shows once
	// the widget is back: it resumes from its last cursor.
	s.WaitSubscribers(t, 2) // Ann's and the widget's
	b.do(t, "cut the widget's connection", chromedp.Evaluate[chromedp.Void](
		`window.blockSockets = true; window.sockets.forEach(ws => ws.close()); window.sent = [];`))
	s.WaitSubscribers(t, 1)
	s.Send(t, ann, conv, "While you were away")
	b.do(t, "let the widget reconnect", chromedp.Evaluate[chromedp.Void](`window.blockSockets = false`))
	b.waitFor(t, "the reply sent while the widget was offline", `
		return msgs.length === 5 && msgs[4].sender === "AGENT" && msgs[4].body === "While you were away";`)
	resumed, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.sent.map(f => JSON.parse(f))
		.filter(f => f.type === "subscribe").every(f => !!f.payload.variables.after)`))
	if err != nil || !resumed {
		t.Errorf("the widget resubscribed without its cursor (%v): %v", err, b.snapshot())
	}

	// Message text is text, never markup.
	markup := `<img src="x" onerror="window.injected = true"><b>bold</b>`
	s.Send(t, ann, conv, markup)
	b.waitFor(t, "markup shown as text", `
		return msgs.length === 6 && msgs[5].body === `+js(markup)+` &&
			!root.querySelector("[data-sb=messages] img, [data-sb=messages] b") && window.injected === undefined;`)

	customers, conversations, _ := countMessages(t, s, admin)
	if customers != 1 || conversations != 1 {
		t.Errorf("%d customers and %d conversations, want one of each", customers, conversations)
	}
}

// TestWidgetRefusedOrigin: a page on an origin that the channel does not
// allow gets no session, and what the visitor types is not stored. The
// origin is refused both when no channel allows it and when only another
// channel does.
func TestWidgetRefusedOrigin(t *testing.T) {
	findBrowser(t) // skip before starting anything
	s := testenv.New(t)
	admin := s.AdminToken(t)
	site := sitePage(t)
	key := createWebChannel(t, s, admin, "Elsewhere", "https://shop.example.com")
	b := newBrowser(t)

	check := func(t *testing.T, code string) {
		b.do(t, "open the site and the chat",
			chromedp.Navigate(pageURL(site, s, key)),
			chromedp.Click(widgetPart("bubble")),
			chromedp.WaitVisible(widgetPart("panel")),
		)
		b.waitFor(t, "the error", `
			const e = root.querySelector("[data-sb=error]");
			return !e.hidden && e.textContent !== "" && e.dataset.code === `+js(code)+`;`)
		b.do(t, "write", chromedp.SendKeys(widgetPart("input"), "Let me in\r"))
		b.waitFor(t, "the message to fail", `
			return msgs.length === 1 && msgs[0].status === "failed" && msgs[0].statusText.startsWith("Not sent");`)
		stored, err := chromedp.Run(b.ctx, chromedp.Evaluate[*string](`localStorage.getItem(`+js("switchboard:"+key)+`)`))
		if err != nil || stored != nil {
			t.Errorf("the page stored a session: %v, %v", stored, err)
		}
		customers, conversations, messages := countMessages(t, s, admin)
		if customers != 0 || conversations != 0 || messages != 0 {
			t.Errorf("%d customers, %d conversations, %d messages; want none", customers, conversations, messages)
		}
	}
	// The browser itself refuses: the preflight fails.
	t.Run("allowed by no channel", func(t *testing.T) { check(t, "NETWORK") })
	// The preflight passes, and the server refuses the session.
	createWebChannel(t, s, admin, "Other site", site.URL)
	t.Run("allowed by another channel", func(t *testing.T) { check(t, "FORBIDDEN") })
}

// TestWidgetPhoneLayout: on a phone-sized viewport the open panel fills the
// screen, the bubble hides, and typing does not make iOS zoom.
func TestWidgetPhoneLayout(t *testing.T) {
	findBrowser(t) // skip before starting anything
	s := testenv.New(t)
	admin := s.AdminToken(t)
	site := sitePage(t)
	key := createWebChannel(t, s, admin, "Shop", site.URL)
	b := newBrowser(t)
	b.do(t, "open the chat on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(pageURL(site, s, key)),
		chromedp.Click(widgetPart("bubble")),
		chromedp.WaitVisible(widgetPart("panel")),
	)
	b.waitFor(t, "a full-screen panel", `
		const r = root.querySelector("[data-sb=panel]").getBoundingClientRect();
		const input = getComputedStyle(root.querySelector("[data-sb=input]"));
		const bubble = getComputedStyle(root.querySelector("[data-sb=bubble]"));
		return r.left === 0 && r.top === 0 && r.width === innerWidth && r.height === innerHeight &&
			parseFloat(input.fontSize) >= 16 && bubble.display === "none";`)
	var layout struct{ Dialog, Live, Label string }
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](inWidget(`return {
		dialog: root.querySelector("[data-sb=panel]").getAttribute("role"),
		live: root.querySelector("[data-sb=messages]").getAttribute("aria-live"),
		label: root.querySelector("[data-sb=bubble]").getAttribute("aria-label") || "",
	};`)))
	if err == nil {
		err = json.Unmarshal(raw, &layout)
	}
	if err != nil || layout.Dialog != "dialog" || layout.Live != "polite" || layout.Label == "" {
		t.Errorf("accessibility attributes: %+v (%v)", layout, err)
	}
	b.do(t, "close with the API", chromedp.Evaluate[chromedp.Void](`window.Switchboard.close()`))
	b.waitFor(t, "the panel to close", `return root.querySelector("[data-sb=panel]").hidden;`)
}

// TestWidgetSignedInUser: a user the site vouches for (data-user-id and
// data-user-hash) finds their chat on another device, and once they sign
// out, the next visitor on that browser sees none of it.
func TestWidgetSignedInUser(t *testing.T) {
	findBrowser(t) // skip before starting anything
	s := testenv.New(t)
	admin := s.AdminToken(t)
	site := sitePage(t)
	id, key := createWebChannelID(t, s, admin, "Shop", site.URL)
	var rot struct{ RotateChannelSecret struct{ Secret string } }
	s.MustDo(t, admin, `mutation($id: ID!) { rotateChannelSecret(id: $id, field: "identitySecret") { secret } }`,
		map[string]any{"id": id}, &rot)
	signedIn := pageURL(site, s, key, "user-42", visitor.IdentityHash(rot.RotateChannelSecret.Secret, "user-42"))

	laptop := newBrowser(t)
	laptop.do(t, "write as a signed-in user",
		chromedp.Navigate(signedIn),
		chromedp.Click(widgetPart("bubble")),
		chromedp.SendKeys(widgetPart("input"), "Where is order 1001?\r"),
	)
	laptop.waitFor(t, "the message to be sent", `return msgs.length === 1 && msgs[0].status === "sent";`)

	phone := newBrowser(t)
	phone.do(t, "open the chat on another device",
		chromedp.Navigate(signedIn),
		chromedp.Click(widgetPart("bubble")),
	)
	phone.waitFor(t, "the user's history", `
		return msgs.length === 1 && msgs[0].sender === "CUSTOMER" && msgs[0].body === "Where is order 1001?";`)

	// Signed out: the page no longer names the user.
	phone.do(t, "sign out and open the chat",
		chromedp.Navigate(pageURL(site, s, key)),
		chromedp.Click(widgetPart("bubble")),
	)
	stored := `JSON.parse(localStorage.getItem(` + js("switchboard:"+key) + `) || "{}")`
	phone.waitFor(t, "an anonymous session", `
		const s = `+stored+`;
		return !!s.token && s.user === "";`)
	phone.waitFor(t, "an empty chat", `return msgs.length === 0 && root.querySelector("[data-sb=error]").hidden;`)
}

// TestWidgetAttachments: a visitor attaches files with the paperclip. An
// image sent without text shows inline from its signed link, another file
// as a download link, and the agent sees both as READY attachments; a file
// over 25 MiB is refused in the browser before anything is uploaded.
func TestWidgetAttachments(t *testing.T) {
	findBrowser(t) // skip before starting anything
	s := testenv.New(t)
	admin := s.AdminToken(t)
	site := sitePage(t)
	key := createWebChannel(t, s, admin, "Shop", site.URL)
	// Signed links name the server's public URL; the browser reaches it at
	// the test server.
	public, err := url.Parse(s.Config.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP "+public.Hostname()+" "+s.Listener.Addr().String()))

	dir := t.TempDir()
	var pic bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	pngPath := filepath.Join(dir, "pixel.png")
	txtPath := filepath.Join(dir, "notes.txt")
	bigPath := filepath.Join(dir, "video.mp4")
	for path, data := range map[string][]byte{pngPath: pic.Bytes(), txtPath: []byte("order 1001, size M\n"), bigPath: nil} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(bigPath, 26<<20); err != nil { // sparse
		t.Fatal(err)
	}
	// A signed link: the public URL, /files/<id> or its /thumbnail, exp and sig.
	signed := `new RegExp(` + js(`^`+regexp.QuoteMeta(s.Config.PublicURL)+`/files/[^/?]+(/thumbnail)?\?(?=.*exp=)(?=.*sig=)`) + `)`
	chips := `root.querySelectorAll("[data-sb=chip]")`

	// (a) An image and no text.
	b.do(t, "open the chat and attach an image",
		chromedp.Navigate(pageURL(site, s, key)),
		chromedp.Click(widgetPart("bubble")),
		chromedp.WaitVisible(widgetPart("attach")),
		chromedp.SetUploadFiles(widgetPart("file-input"), []string{pngPath}),
	)
	b.waitFor(t, "the image's chip", `
		const c = `+chips+`;
		return c.length === 1 && c[0].querySelector("[data-sb=chip-name]").textContent === "pixel.png" &&
			c[0].querySelector("[data-sb=chip-remove]") !== null;`)
	b.do(t, "send the image", chromedp.Click(widgetPart("send")))
	b.waitFor(t, "the image in the visitor's message", `
		const img = root.querySelector("[data-sb=message] [data-sb=attachment-image]");
		const link = img && img.closest("a");
		return msgs.length === 1 && msgs[0].sender === "CUSTOMER" && msgs[0].body === "" && msgs[0].status === "sent" &&
			`+chips+`.length === 0 && img.complete && img.naturalWidth > 0 && `+signed+`.test(img.currentSrc) &&
			`+signed+`.test(link.href) && link.target === "_blank" && link.rel === "noopener noreferrer";`)
	agentSees(t, s, admin, [][]string{{"", "READY image/png pixel.png"}})

	// (b) Any other file: a download link with its name and size.
	b.do(t, "attach a text file and write",
		chromedp.SetUploadFiles(widgetPart("file-input"), []string{txtPath}),
		chromedp.SendKeys(widgetPart("input"), "Here are my notes\r"),
	)
	b.waitFor(t, "the file's link", `
		const link = root.querySelectorAll("[data-sb=message]")[1].querySelector("[data-sb=attachment-link]");
		return msgs.length === 2 && msgs[1].body === "Here are my notes" && msgs[1].status === "sent" &&
			!!link && link.textContent.startsWith("notes.txt") && link.textContent.endsWith(" B") && `+signed+`.test(link.href);`)
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](inWidget(
		`return root.querySelectorAll("[data-sb=message]")[1].querySelector("[data-sb=attachment-link]").href;`)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(s.URL + strings.TrimPrefix(href, s.Config.PublicURL))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(got) != "order 1001, size M\n" {
		t.Errorf("the file's link: %d %q", res.StatusCode, got)
	}
	agentSees(t, s, admin, [][]string{{"", "READY image/png pixel.png"}, {"Here are my notes", "READY text/plain notes.txt"}})

	// (c) Too large: refused before it is uploaded; the next message goes
	// without it.
	b.do(t, "count uploads and attach a file over the limit",
		chromedp.Evaluate[chromedp.Void](`window.uploads = 0;
			const nativeFetch = window.fetch;
			window.fetch = function (url, init) {
				if (init && init.body instanceof FormData) window.uploads++;
				return nativeFetch.apply(this, arguments);
			};`),
		chromedp.SetUploadFiles(widgetPart("file-input"), []string{bigPath}),
	)
	b.waitFor(t, "the size error", `
		const e = root.querySelector("[data-sb=composer-error]");
		return !e.hidden && e.getAttribute("role") === "alert" && e.textContent.includes("video.mp4") &&
			e.textContent.includes("25 MB") && `+chips+`.length === 0;`)
	b.do(t, "write after the refusal", chromedp.SendKeys(widgetPart("input"), "Never mind the video\r"))
	b.waitFor(t, "the message without files", `
		return msgs.length === 3 && msgs[2].body === "Never mind the video" && msgs[2].status === "sent" &&
			!root.querySelectorAll("[data-sb=message]")[2].querySelector("[data-sb=files]") &&
			root.querySelector("[data-sb=composer-error]").hidden && window.uploads === 0;`)
	agentSees(t, s, admin, [][]string{
		{"", "READY image/png pixel.png"}, {"Here are my notes", "READY text/plain notes.txt"}, {"Never mind the video"},
	})
}

// agentSees checks the one conversation's messages as an agent reads
// them: each is its body, then "status contentType name" per attachment
// (the content type without parameters).
func agentSees(t *testing.T, s *testenv.Server, tok string, want [][]string) {
	t.Helper()
	var out struct {
		Conversations struct {
			Edges []struct {
				Node struct {
					Messages struct {
						Edges []struct {
							Node struct {
								Body        string
								Attachments []struct{ Status, ContentType, Name string }
							}
						}
					}
				}
			}
		}
	}
	s.MustDo(t, tok, `{ conversations(first: 10) { edges { node {
		messages(first: 50) { edges { node { body attachments { status contentType name } } } } } } } }`, nil, &out)
	if len(out.Conversations.Edges) != 1 {
		t.Fatalf("%d conversations, want 1", len(out.Conversations.Edges))
	}
	var got [][]string
	for _, e := range out.Conversations.Edges[0].Node.Messages.Edges {
		m := []string{e.Node.Body}
		for _, a := range e.Node.Attachments {
			ct, _, _ := strings.Cut(a.ContentType, ";")
			m = append(m, a.Status+" "+ct+" "+a.Name)
		}
		got = append(got, m)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the agent sees %q, want %q", got, want)
	}
}
