package imap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a scripted IMAP server for what imapmemserver lacks: the ID
// command (RFC 2971), special-use attributes, a server without IDLE, and
// 163.com's refusal to SELECT before ID.
type fakeServer struct {
	caps      string   // e.g. "IMAP4rev1 ID"
	requireID bool     // refuse SELECT before ID, as 163.com does
	list      []string // LIST responses, without "* LIST "

	mu       sync.Mutex
	commands []string // verb and arguments, in order
	appended []byte
	port     int
}

func startFake(t *testing.T, f *fakeServer) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f.port = ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeServer) config() Config {
	return Config{Host: "127.0.0.1", Port: f.port, TLS: NoTLS, Username: "alice@163.com", Password: "pw", Timeout: 5 * time.Second}
}

func (f *fakeServer) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func (f *fakeServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	say("* OK [CAPABILITY %s] fake ready", f.caps)
	idSeen := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		verb, args, _ := strings.Cut(rest, " ")
		verb = strings.ToUpper(verb)
		f.mu.Lock()
		f.commands = append(f.commands, strings.TrimSpace(verb+" "+args))
		f.mu.Unlock()
		switch verb {
		case "CAPABILITY":
			say("* CAPABILITY %s", f.caps)
			say("%s OK done", tag)
		case "LOGIN":
			say("%s OK logged in", tag)
		case "ID":
			idSeen = true
			say(`* ID ("name" "fake")`)
			say("%s OK ID completed", tag)
		case "SELECT":
			if f.requireID && !idSeen {
				say("%s NO SELECT Unsafe Login. Please contact kefu@188.com for help", tag)
				continue
			}
			say("* 2 EXISTS")
			say("* OK [UIDVALIDITY 7] ok")
			say("* OK [UIDNEXT 3] ok")
			say("%s OK [READ-WRITE] done", tag)
		case "LIST":
			for _, l := range f.list {
				say("* LIST %s", l)
			}
			say("%s OK done", tag)
		case "APPEND":
			i := strings.LastIndex(args, "{")
			size, _ := strconv.Atoi(strings.TrimSuffix(args[i+1:], "}"))
			say("+ ready")
			buf := make([]byte, size)
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			r.ReadString('\n')
			f.mu.Lock()
			f.appended = buf
			f.mu.Unlock()
			say("%s OK [APPENDUID 7 1] done", tag)
		case "NOOP":
			say("%s OK done", tag)
		case "LOGOUT":
			say("* BYE")
			say("%s OK bye", tag)
			return
		default:
			say("%s BAD unknown command", tag)
		}
	}
}

func hasCommand(commands []string, prefix string) bool {
	for _, c := range commands {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// Test163ID: a server offering ID gets one after LOGIN and before SELECT.
func Test163ID(t *testing.T) {
	f := startFake(t, &fakeServer{caps: "IMAP4rev1 ID", requireID: true})
	if err := Check(context.Background(), f.config()); err != nil {
		t.Fatalf("Check: %v (commands %q)", err, f.received())
	}
	cmds := f.received()
	var order []string
	for _, c := range cmds {
		verb, _, _ := strings.Cut(c, " ")
		if verb == "LOGIN" || verb == "ID" || verb == "SELECT" {
			order = append(order, verb)
		}
	}
	if strings.Join(order, " ") != "LOGIN ID SELECT" {
		t.Fatalf("commands %q, want LOGIN, ID, SELECT in that order", cmds)
	}
	if !hasCommand(cmds, `ID ("name" "Switchboard"`) {
		t.Fatalf("ID does not name the client: %q", cmds)
	}
}

func TestNoIDWhenNotOffered(t *testing.T) {
	f := startFake(t, &fakeServer{caps: "IMAP4rev1"})
	if err := Check(context.Background(), f.config()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if cmds := f.received(); hasCommand(cmds, "ID") {
		t.Fatalf("ID sent to a server without the capability: %q", cmds)
	}
}

func TestWaitPollsWithoutIdle(t *testing.T) {
	f := startFake(t, &fakeServer{caps: "IMAP4rev1"})
	s, err := Open(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.HasIdle() || s.UIDValidity() != 7 || s.UIDNext() != 3 {
		t.Fatalf("HasIdle %v, UIDVALIDITY %d, UIDNEXT %d; want false, 7, 3", s.HasIdle(), s.UIDValidity(), s.UIDNext())
	}
	start := time.Now()
	idled, err := s.Wait(context.Background(), 100*time.Millisecond)
	if idled || err != nil {
		t.Fatalf("Wait: idled %v, %v; want a poll", idled, err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Fatalf("Wait returned after %v, want the poll interval", d)
	}
}

func TestAppendSentSpecialUse(t *testing.T) {
	tests := []struct {
		name    string
		list    []string
		mailbox string // as it goes over the wire
	}{
		{"\\Sent attribute", []string{`(\HasNoChildren) "/" "INBOX"`, `(\HasNoChildren) "/" "Sent"`, `(\HasNoChildren \Sent) "/" "Gesendet"`}, "Gesendet"},
		{"163.com's 已发送 in modified UTF-7", []string{`(\HasNoChildren) "/" "INBOX"`, `(\HasNoChildren) "/" "&XfJT0ZAB-"`}, "&XfJT0ZAB-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, &fakeServer{caps: "IMAP4rev1 ID", list: tt.list})
			raw := []byte("Subject: Re: hi\r\n\r\nThanks.\r\n")
			ok, err := AppendSent(context.Background(), f.config(), raw)
			if err != nil || !ok {
				t.Fatalf("AppendSent: %v, %v", ok, err)
			}
			cmds := f.received()
			want := "APPEND " + tt.mailbox + ` (\Seen) "`
			if !hasCommand(cmds, want) && !hasCommand(cmds, `APPEND "`+tt.mailbox+`" (\Seen) "`) {
				t.Fatalf("commands %q, want one starting %q", cmds, want)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if string(f.appended) != string(raw) {
				t.Fatalf("appended %q, want %q", f.appended, raw)
			}
		})
	}
}

// TestWordDecoderGBK: the client decodes GBK encoded words (envelope
// subjects and names).
func TestWordDecoderGBK(t *testing.T) {
	opts := clientOptions(Config{Host: "example.com"}, nil)
	got, err := opts.WordDecoder.DecodeHeader("=?GBK?B?xOO6ww==?=")
	if err != nil || got != "你好" {
		t.Fatalf("decoded %q, %v; want 你好", got, err)
	}
}

// TestSelectRefusedBeforeID: a server that wants ID but does not advertise
// it refuses SELECT; the server's text reaches the caller.
func TestSelectRefusedBeforeID(t *testing.T) {
	f := startFake(t, &fakeServer{caps: "IMAP4rev1", requireID: true})
	err := Check(context.Background(), f.config())
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Step != StepMailbox || !strings.Contains(err.Error(), "Unsafe Login") {
		t.Fatalf("Check: %v; want Step mailbox with the server's text", err)
	}
}
