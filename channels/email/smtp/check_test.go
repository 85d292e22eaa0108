package smtp

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	srv, good := startServer(t, startTLSServer)
	if err := Check(context.Background(), good); err != nil {
		t.Fatalf("Check = %v", err)
	}
	if logins, _ := srv.counts(); logins != 1 {
		t.Errorf("the server saw %d logins", logins)
	}
	_, implicit := startServer(t, implicitServer)
	if err := Check(context.Background(), implicit); err != nil {
		t.Fatalf("Check with implicit TLS = %v", err)
	}
	_, plain := startServer(t, plainServer)
	silent := silentServer(t)
	closed := closedPort(t)

	tests := []struct {
		name string
		c    Config
		edit func(*Config)
		step string
	}{
		{"wrong password", good, func(c *Config) { c.Password = "wrong" }, StepAuth},
		{"STARTTLS against a server without it", plain, func(c *Config) { c.TLS = StartTLS }, StepTLS},
		{"implicit TLS against a plain server", plain, func(c *Config) { c.TLS = ImplicitTLS }, StepTLS},
		{"STARTTLS with an untrusted certificate", good, func(c *Config) { c.TLSConfig = nil }, StepTLS},
		{"implicit TLS with an untrusted certificate", implicit, func(c *Config) { c.TLSConfig = nil }, StepTLS},
		{"closed port", good, func(c *Config) { c.Port = closed }, StepConnect},
		{"silent server", good, func(c *Config) { c.Port, c.Timeout = silent, 300*time.Millisecond }, StepConnect},
		{"unknown host", good, func(c *Config) { c.Host = "no-such-host.invalid" }, StepResolve},
		{"bad TLS mode", good, func(c *Config) { c.TLS = "ssl" }, StepConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			tt.edit(&c)
			err := Check(context.Background(), c)
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CheckError", err)
			}
			if ce.Step != tt.step || ce.Err == nil {
				t.Errorf("step = %q (%v), want %q", ce.Step, err, tt.step)
			}
		})
	}
}

func TestCheckTimeoutNamesTheDeadline(t *testing.T) {
	_, c := startServer(t, startTLSServer)
	c.Port = silentServer(t)
	c.Timeout = 200 * time.Millisecond
	start := time.Now()
	err := Check(context.Background(), c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Check took %v with a 200ms timeout", d)
	}
}
