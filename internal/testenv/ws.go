package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WS is a graphql-transport-ws client connection.
type WS struct {
	t           testing.TB
	conn        *websocket.Conn
	mu          sync.Mutex
	subs        map[string]chan Message
	next        int
	done        chan struct{}
	closeStatus websocket.StatusCode
	legacy      bool // graphql-ws rather than graphql-transport-ws
}

// Message is one server message of a subscription.
type Message struct {
	Type    string          // next, error, complete
	Payload json.RawMessage // next: {"data":..., "errors":...}; error: [errors]
}

// DialOptions change the websocket handshake.
type DialOptions struct {
	Subprotocol string // default graphql-transport-ws
	Origin      string
	InitPayload map[string]any // default {"authorization": "Bearer <token>"}
}

// DialWS opens a websocket and sends connection_init with the token. It
// returns the connection and the server's answer to connection_init
// ("connection_ack", or an error when the socket was closed).
func (s *Server) DialWS(t testing.TB, token string, o DialOptions) (*WS, error) {
	t.Helper()
	if o.Subprotocol == "" {
		o.Subprotocol = "graphql-transport-ws"
	}
	if o.InitPayload == nil {
		o.InitPayload = map[string]any{"authorization": "Bearer " + token}
	}
	h := http.Header{}
	if o.Origin != "" {
		h.Set("Origin", o.Origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{o.Subprotocol},
		HTTPHeader:   h,
	})
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("dial: %w (status %d)", err, res.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	conn.SetReadLimit(8 << 20)
	ws := &WS{t: t, conn: conn, subs: map[string]chan Message{}, done: make(chan struct{}), legacy: conn.Subprotocol() == "graphql-ws"}
	t.Cleanup(func() { conn.CloseNow() })
	initType := "connection_init"
	if err := ws.write(map[string]any{"type": initType, "payload": o.InitPayload}); err != nil {
		return nil, err
	}
	for {
		var m struct{ Type string }
		if err := ws.read(ctx, &m); err != nil {
			return nil, err
		}
		switch m.Type {
		case "connection_ack":
			go ws.loop()
			return ws, nil
		case "ka", "ping", "pong":
			continue
		default:
			return nil, fmt.Errorf("unexpected %q before ack", m.Type)
		}
	}
}

func (ws *WS) write(v any) error {
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ws.conn.Write(ctx, websocket.MessageText, b)
}

func (ws *WS) read(ctx context.Context, v any) error {
	_, b, err := ws.conn.Read(ctx)
	if err != nil {
		ws.closeStatus = websocket.CloseStatus(err)
		return err
	}
	return json.Unmarshal(b, v)
}

// CloseStatus is the close code the connection ended with (-1 if open).
func (ws *WS) CloseStatus() websocket.StatusCode { return ws.closeStatus }

func (ws *WS) loop() {
	defer close(ws.done)
	for {
		var m struct {
			ID      string          `json:"id"`
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := ws.read(context.Background(), &m); err != nil {
			ws.mu.Lock()
			for id, c := range ws.subs {
				close(c)
				delete(ws.subs, id)
			}
			ws.mu.Unlock()
			return
		}
		switch m.Type {
		case "ping":
			_ = ws.write(map[string]any{"type": "pong"})
			continue
		case "ka", "pong":
			continue
		}
		ws.mu.Lock()
		c := ws.subs[m.ID]
		if m.Type == "complete" || m.Type == "error" {
			delete(ws.subs, m.ID)
		}
		ws.mu.Unlock()
		if c == nil {
			continue
		}
		switch m.Type {
		case "next", "data":
			c <- Message{Type: "next", Payload: m.Payload}
		case "error":
			c <- Message{Type: "error", Payload: m.Payload}
			close(c)
		case "complete":
			close(c)
		}
	}
}

// Subscription is one running subscription.
type Subscription struct {
	ID string
	C  <-chan Message
	ws *WS
}

// Subscribe starts a subscription; messages arrive on C, which closes on
// complete or error.
func (ws *WS) Subscribe(query string, vars map[string]any) *Subscription {
	ws.mu.Lock()
	ws.next++
	id := fmt.Sprint(ws.next)
	c := make(chan Message, 64)
	ws.subs[id] = c
	ws.mu.Unlock()
	typ := "subscribe"
	if ws.legacy {
		typ = "start"
	}
	if err := ws.write(map[string]any{"id": id, "type": typ, "payload": map[string]any{"query": query, "variables": vars}}); err != nil {
		ws.t.Fatalf("subscribe: %v", err)
	}
	return &Subscription{ID: id, C: c, ws: ws}
}

// Stop ends the subscription from the client side.
func (s *Subscription) Stop() {
	typ := "complete"
	if s.ws.legacy {
		typ = "stop"
	}
	_ = s.ws.write(map[string]any{"id": s.ID, "type": typ})
}

// Next waits for the next data payload and decodes its data into v.
func (s *Subscription) Next(t testing.TB, v any) {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok {
			t.Fatal("subscription ended")
		}
		if m.Type != "next" {
			t.Fatalf("got %s: %s", m.Type, m.Payload)
		}
		var p struct {
			Data   json.RawMessage
			Errors []Error
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Errors) > 0 {
			t.Fatalf("errors: %+v", p.Errors)
		}
		if err := json.Unmarshal(p.Data, v); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
}

// Quiet fails if the subscription delivers anything within d: it checks
// that nothing more (a duplicate, another workspace's event) arrives.
func (s *Subscription) Quiet(t testing.TB, d time.Duration, what string) {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if ok {
			t.Fatalf("%s: received %s", what, m.Payload)
		}
	case <-time.After(d):
	}
}

// Close closes the connection.
func (ws *WS) Close() {
	ws.conn.Close(websocket.StatusNormalClosure, "bye")
	<-ws.done
}

// First returns the subscription's first message, whatever its type (a
// refusal comes as "error", or as "next" with errors).
func (s *Subscription) First(t testing.TB) Message {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok {
			t.Fatal("subscription ended")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
	}
	return Message{}
}

// WaitSockets waits until n websockets are registered on this server for
// credentials signals (from connection_init until they close).
func (s *Server) WaitSockets(t testing.TB, n int) {
	t.Helper()
	EventuallyErr(t, func() error {
		if got := s.App.Sockets.Len(); got != n {
			return fmt.Errorf("%d websockets registered, want %d", got, n)
		}
		return nil
	})
}
