package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/store"
)

// AdminEmail and AdminPassword sign in as the first admin of every Server.
const (
	AdminEmail    = "admin@example.com"
	AdminPassword = "admin-password-1"
)

// Server is a running Switchboard with its own database.
type Server struct {
	*httptest.Server
	App    *app.App
	Config *config.Config
	// Statements counts the SQL statements the server ran for HTTP
	// requests; Background, those of its background work (consumers,
	// workers, pollers).
	Statements, Background atomic.Int64
	// Logs holds everything the server logged.
	Logs LogBuffer
	// Faults make the database fail under requests.
	Faults Faults

	statements Recorder

	stopWorkers context.CancelFunc
}

// Option changes the configuration of a test server.
type Option func(*config.Config)

// NoRouting starts the server without its durable consumers, the router
// and auto-replies (a test runs its own).
func NoRouting(c *config.Config) { c.RoutingOff, c.AutoRepliesOff = true, true }

// NoAutomation starts the server without its automation rules consumer.
func NoAutomation(c *config.Config) { c.AutomationOff = true }

// SignupOpen opens sign-up.
func SignupOpen(c *config.Config) { c.SignupOpen = true }

// New starts a server for the test, on a database of its own.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return NewOn(t, OpenDB(t), opts...)
}

// SameSecrets makes a server share another's keys, as instances of one
// deployment do.
func SameSecrets(other *Server) Option {
	return func(c *config.Config) {
		c.JWTSecret, c.SecretKey = other.Config.JWTSecret, other.Config.SecretKey
	}
}

// Tuning changes the app options of a test server: timings the
// environment does not configure, fake providers.
type Tuning func(*app.Options)

// CredentialRecheck sets how often websockets re-check their credential
// (100 ms unless tuned): set it long, and only a credentials signal ends
// a revoked credential's subscriptions in time.
func CredentialRecheck(d time.Duration) Tuning {
	return func(o *app.Options) { o.CredentialRecheck = d }
}

// NewWithChannels starts a server, on a database of its own, that also
// knows the given channel kinds (fake providers).
func NewWithChannels(t testing.TB, adapters []channels.Adapter, opts ...Option) *Server {
	t.Helper()
	return NewTuned(t, OpenDB(t), []Tuning{func(o *app.Options) { o.Adapters = adapters }}, opts...)
}

// NewOn starts a server on db. Two servers on one PostgreSQL database are
// two instances of one deployment (give the second SameSecrets).
func NewOn(t testing.TB, db *store.DB, opts ...Option) *Server {
	t.Helper()
	return NewTuned(t, db, nil, opts...)
}

// NewTuned is NewOn with tunings of the app's options.
func NewTuned(t testing.TB, db *store.DB, tune []Tuning, opts ...Option) *Server {
	t.Helper()
	cfg := &config.Config{
		PublicURL:     "http://switchboard.test",
		DataDir:       t.TempDir(),
		JWTSecret:     randomBytes(48),
		SecretKey:     randomBytes(32),
		AdminEmail:    AdminEmail,
		AdminPassword: AdminPassword,
	}
	for _, o := range opts {
		o(cfg)
	}
	s := &Server{Config: cfg}
	// Every log line, at every level, is kept: tests check that secrets
	// never reach the logs.
	var sink io.Writer = &s.Logs
	if testing.Verbose() {
		sink = io.MultiWriter(&s.Logs, &testWriter{t})
	}
	log := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ao := app.Options{
		Logger:     log,
		BcryptCost: bcrypt.MinCost,
		WrapDriver: func(d dialect.Driver) dialect.Driver {
			return &countingDriver{Driver: d, m: &meter{requests: &s.Statements, background: &s.Background, rec: &s.statements}, faults: &s.Faults}
		},
		CredentialRecheck: 100 * time.Millisecond,
		Delivery:          inbox.DeliveryOptions{Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 4, Poll: 20 * time.Millisecond},
		RoutingSweep:      2 * time.Second,
		RoutingPoll:       50 * time.Millisecond,
		TimerPoll:         50 * time.Millisecond,
		FilesPoll:         time.Second,
		FetchBackoff:      50 * time.Millisecond,
	}
	for _, f := range tune {
		f(&ao)
	}
	a, err := app.New(context.Background(), cfg, db, ao)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	if err := a.Bootstrap(context.Background()); err != nil {
		t.Fatalf("create the first admin: %v", err)
	}
	s.App = a
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWorkers = cancel
	if err := a.RunWorkers(ctx); err != nil {
		cancel()
		t.Fatalf("start workers: %v", err)
	}
	s.Server = httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		s.Server.Close()
		cancel()
	})
	return s
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Response is a GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage
	Errors []Error
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Codes lists the codes of the response's errors.
func (r *Response) Codes() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.Code()
	}
	return out
}

// Decode unmarshals data into v, failing the test on errors.
func (r *Response) Decode(t testing.TB, v any) {
	if v == nil {
		return
	}
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// Do posts a GraphQL request with an optional bearer token.
func (s *Server) Do(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	return s.DoFrom(t, "", token, query, vars)
}

// DoFrom is Do as a browser on origin sends it (with an Origin header).
func (s *Server) DoFrom(t testing.TB, origin, token, query string, vars map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return s.post(t, origin, token, body)
}

// DoRaw posts body as it is to /graphql (content type application/json).
func (s *Server) DoRaw(t testing.TB, token string, body []byte) *Response {
	t.Helper()
	return s.post(t, "", token, body)
}

func (s *Server) post(t testing.TB, origin, token string, body []byte) *Response {
	t.Helper()
	return s.postVia(t, http.DefaultClient, origin, token, body)
}

func (s *Server) postVia(t testing.TB, client *http.Client, origin, token string, body []byte) *Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("graphql request: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &Response{Status: res.StatusCode}
	if res.StatusCode >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return out // refused before GraphQL (origin, body size): a text body
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("graphql response %d %q: %v", res.StatusCode, raw, err)
	}
	return out
}

// MustDo is Do that fails the test on any error and decodes into v.
func (s *Server) MustDo(t testing.TB, token, query string, vars map[string]any, v any) {
	t.Helper()
	r := s.Do(t, token, query, vars)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %+v", r.Status, r.Errors)
	}
	r.Decode(t, v)
}

// SignIn returns a session token.
func (s *Server) SignIn(t testing.TB, email, password string) string {
	t.Helper()
	var out struct{ SignIn struct{ Token string } }
	s.MustDo(t, "", `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`,
		map[string]any{"e": email, "p": password}, &out)
	return out.SignIn.Token
}

// AdminToken signs in as the first admin.
func (s *Server) AdminToken(t testing.TB) string { return s.SignIn(t, AdminEmail, AdminPassword) }

// NewWorkspace creates another workspace with its own admin and returns
// the admin's session token.
func (s *Server) NewWorkspace(t testing.TB, name, email string) string {
	t.Helper()
	password := "password-" + name
	if _, err := s.App.Auth.CreateWorkspace(context.Background(), auth.SignUpInput{
		WorkspaceName: name, Name: name + " admin", Email: email, Password: password,
	}); err != nil {
		t.Fatalf("create workspace %s: %v", name, err)
	}
	return s.SignIn(t, email, password)
}

// SecretKeyBase64 is the server's secret key as the environment gives it.
func (s *Server) SecretKeyBase64() string {
	return base64.StdEncoding.EncodeToString(s.Config.SecretKey)
}

// WaitSubscribers waits until the server's broker has n subscribers, so a
// test knows its subscriptions are live before it writes.
func (s *Server) WaitSubscribers(t testing.TB, n int) {
	t.Helper()
	EventuallyErr(t, func() error {
		if got := s.App.Events.Streams(); got != n {
			return fmt.Errorf("%d event streams, want %d", got, n)
		}
		return nil
	})
}

// Conversation creates an api channel, a customer (with a verified
// external id, which the api channel can send to) and a conversation with
// one message, and returns the conversation id.
func (s *Server) Conversation(t testing.TB, token string) string {
	t.Helper()
	var setup struct {
		CreateChannel  struct{ ID string }
		CreateCustomer struct{ ID string }
	}
	s.MustDo(t, token, `mutation { createChannel(input: {kind: "api", name: "App"}) { id } createCustomer(input: {name: "Cy"}) { id } }`, nil, &setup)
	s.MustDo(t, token, `mutation($c: ID!, $v: String!) { addCustomerIdentity(customerID: $c, kind: EXTERNAL_ID, value: $v, verified: true) { id } }`,
		map[string]any{"c": setup.CreateCustomer.ID, "v": "ext-" + setup.CreateCustomer.ID}, nil)
	var out struct{ StartConversation struct{ ID string } }
	s.MustDo(t, token, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"customerID": setup.CreateCustomer.ID, "channelID": setup.CreateChannel.ID, "body": "first",
	}}, &out)
	return out.StartConversation.ID
}

// Send posts a reply to a conversation.
func (s *Server) Send(t testing.TB, token, conversationID, body string) string {
	t.Helper()
	var out struct{ SendMessage struct{ ID string } }
	s.MustDo(t, token, `mutation($c: ID!, $b: String!) { sendMessage(input: {conversationID: $c, body: $b}) { id } }`,
		map[string]any{"c": conversationID, "b": body}, &out)
	return out.SendMessage.ID
}

// LogBuffer collects log output from many goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// System returns ctx allowed past the tenant filters, for tests that read
// the database directly.
func System(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}
