package imap

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	ts := newTestServer(t)
	closedPort := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()

	tests := []struct {
		name     string
		edit     func(c *Config)
		wantStep string // "" for success
		wantText string // in the error
	}{
		{name: "plain", edit: func(c *Config) { c.TLS = NoTLS }},
		{name: "implicit TLS", edit: func(c *Config) { *c = ts.config(ImplicitTLS) }},
		{name: "STARTTLS", edit: func(c *Config) { c.TLS = StartTLS }},
		{name: "wrong password", edit: func(c *Config) { c.Password = "wrong" }, wantStep: StepAuth},
		{name: "missing mailbox", edit: func(c *Config) { c.Mailbox = "Archive" }, wantStep: StepMailbox, wantText: "No such mailbox"},
		{name: "implicit TLS against plain", edit: func(c *Config) { c.TLS = ImplicitTLS }, wantStep: StepTLS},
		{name: "STARTTLS with an untrusted certificate", edit: func(c *Config) { c.TLS = StartTLS; c.TLSConfig = nil }, wantStep: StepTLS},
		{name: "closed port", edit: func(c *Config) { c.Port = closedPort }, wantStep: StepConnect},
		{name: "unknown host", edit: func(c *Config) { c.Host = "mail.switchboard.invalid" }, wantStep: StepResolve},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ts.config(NoTLS)
			tt.edit(&c)
			err := Check(context.Background(), c)
			if tt.wantStep == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("Check: got %v (%T), want a *CheckError", err, err)
			}
			if ce.Step != tt.wantStep {
				t.Fatalf("Check: step %q (%v), want %q", ce.Step, err, tt.wantStep)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("Check: %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

func TestCheckCancelled(t *testing.T) {
	ts := newTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Check(ctx, ts.config(NoTLS)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Check with a cancelled context: %v", err)
	}
}

// TestNoGoroutineLeak: sessions opened and closed, waits cancelled, leave no
// goroutines behind.
func TestNoGoroutineLeak(t *testing.T) {
	ts := newTestServer(t)
	before := runtime.NumGoroutine()
	for range 20 {
		s, err := Open(context.Background(), ts.config(NoTLS))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		s.Wait(ctx, time.Hour)
		cancel()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before, %d after", before, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
