package smtp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// TLSMode is how the connection to the SMTP server is secured.
type TLSMode string

// The TLS modes.
const (
	ImplicitTLS TLSMode = "tls"      // TLS from the first byte (port 465)
	StartTLS    TLSMode = "starttls" // plain connection upgraded by STARTTLS (port 587)
	NoTLS       TLSMode = "none"     // only for tests and local relays
)

// Defaults for Config.
const (
	DefaultHelloName = "localhost"
	DefaultTimeout   = 30 * time.Second
)

// Config is an SMTP submission account and the sender it sends as.
type Config struct {
	Host string
	Port int
	// TLS is required; "" means ImplicitTLS on port 465 and StartTLS
	// elsewhere, never NoTLS.
	TLS                TLSMode
	Username, Password string // no Username: no AUTH (a local relay)
	FromAddress        string
	FromName           string
	Signature          string // plain text appended after "\n\n-- \n"
	HelloName          string // EHLO name; default "localhost"
	// TLSConfig is optional (tests pass the test server's root CAs); its
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	Timeout   time.Duration // dial and the whole exchange; default 30 s
}

// normalized returns c with its defaults filled in, or why c cannot be used
// to connect.
func (c Config) normalized() (Config, error) {
	if c.HelloName == "" {
		c.HelloName = DefaultHelloName
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.TLS == "" {
		c.TLS = StartTLS
		if c.Port == 465 {
			c.TLS = ImplicitTLS
		}
	}
	switch {
	case c.Host == "" || strings.ContainsAny(c.Host, " \t\r\n/"):
		return c, fmt.Errorf("invalid host %q", c.Host)
	case c.Port < 1 || c.Port > 65535:
		return c, fmt.Errorf("invalid port %d", c.Port)
	case c.TLS != ImplicitTLS && c.TLS != StartTLS && c.TLS != NoTLS:
		return c, fmt.Errorf("unknown TLS mode %q (want %q, %q or %q)", c.TLS, ImplicitTLS, StartTLS, NoTLS)
	case strings.ContainsAny(c.HelloName, " \t\r\n"):
		return c, fmt.Errorf("invalid EHLO name %q", c.HelloName)
	case c.TLS == NoTLS && c.Username != "" && !isLoopback(c.Host):
		// As net/smtp's PlainAuth: no credentials in clear text, except
		// to this machine.
		return c, fmt.Errorf("refusing to send credentials to %s without TLS", c.Host)
	}
	if err := checkAddress(c.FromAddress); err != nil {
		return c, fmt.Errorf("from address: %w", err)
	}
	return c, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig is the configuration to secure a connection to c.Host with.
func (c Config) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if c.TLSConfig != nil {
		cfg = c.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// checkAddress accepts a bare address (no display name, no brackets).
func checkAddress(addr string) error {
	if addr == "" {
		return errors.New("missing")
	}
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return fmt.Errorf("%q: %w", addr, err)
	}
	if a.Name != "" || a.Address != addr {
		return fmt.Errorf("%q: want a bare address such as name@example.com", addr)
	}
	return nil
}
