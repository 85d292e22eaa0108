package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsGenerateAndKeepSecrets(t *testing.T) {
	dir := t.TempDir()
	c1, err := Load(env(map[string]string{"SWITCHBOARD_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if c1.Addr != ":8080" || c1.PublicURL != "http://localhost:8080" || c1.SignupOpen || c1.DatabaseURL != "" {
		t.Fatalf("defaults = %+v", c1)
	}
	if len(c1.JWTSecret) < 32 || len(c1.SecretKey) != 32 {
		t.Fatalf("generated secrets have the wrong size")
	}
	c2, err := Load(env(map[string]string{"SWITCHBOARD_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c1.JWTSecret) != string(c2.JWTSecret) || string(c1.SecretKey) != string(c2.SecretKey) {
		t.Fatal("a restart must keep the generated secrets")
	}
	if fi, err := os.Stat(filepath.Join(dir, "secret_key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	long := strings.Repeat("x", 32)
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SWITCHBOARD_SIGNUP": "maybe"}, "SWITCHBOARD_SIGNUP"},
		{map[string]string{"SWITCHBOARD_ADDR": "8080"}, "SWITCHBOARD_ADDR"},
		{map[string]string{"SWITCHBOARD_ADDR": ":99999"}, "SWITCHBOARD_ADDR"},
		{map[string]string{"SWITCHBOARD_ADDR": "localhost:http"}, "SWITCHBOARD_ADDR"},
		{map[string]string{"SWITCHBOARD_LOG_FORMAT": "xml"}, "SWITCHBOARD_LOG_FORMAT"},
		{map[string]string{"SWITCHBOARD_PUBLIC_URL": "ftp://x"}, "SWITCHBOARD_PUBLIC_URL"},
		{map[string]string{"SWITCHBOARD_DATABASE_URL": "mysql://x"}, "SWITCHBOARD_DATABASE_URL"},
		{map[string]string{"SWITCHBOARD_DATABASE_URL": "postgres://x/db", "SWITCHBOARD_SECRET_KEY": key}, "SWITCHBOARD_JWT_SECRET"},
		{map[string]string{"SWITCHBOARD_DATABASE_URL": "postgres://x/db", "SWITCHBOARD_JWT_SECRET": long}, "SWITCHBOARD_SECRET_KEY"},
		{map[string]string{"SWITCHBOARD_JWT_SECRET": "short", "SWITCHBOARD_SECRET_KEY": key}, "SWITCHBOARD_JWT_SECRET"},
		{map[string]string{"SWITCHBOARD_JWT_SECRET": long, "SWITCHBOARD_SECRET_KEY": "bm90IDMyIGJ5dGVz"}, "SWITCHBOARD_SECRET_KEY"},
		{map[string]string{"SWITCHBOARD_JWT_SECRET_FILE": "/nonexistent/file"}, "SWITCHBOARD_JWT_SECRET_FILE"},
		{map[string]string{"SWITCHBOARD_ALLOWED_ORIGINS": "https://ok.example.com, console.example.com"}, "SWITCHBOARD_ALLOWED_ORIGINS"},
		{map[string]string{"SWITCHBOARD_EVENT_RETENTION": "a week"}, "SWITCHBOARD_EVENT_RETENTION"},
		{map[string]string{"SWITCHBOARD_SECRET_KEYS_PREVIOUS": key + ",bm90IDMy"}, "SWITCHBOARD_SECRET_KEYS_PREVIOUS"},
		{map[string]string{"SWITCHBOARD_PRESENCE_GRACE": "10ms"}, "SWITCHBOARD_PRESENCE_GRACE"},
		{map[string]string{"SWITCHBOARD_PRESENCE_GRACE": "30s", "SWITCHBOARD_PRESENCE_HEARTBEAT": "30s"}, "SWITCHBOARD_PRESENCE_HEARTBEAT"},
		{map[string]string{"SWITCHBOARD_TYPING_TIMEOUT": "soon"}, "SWITCHBOARD_TYPING_TIMEOUT"},
		{map[string]string{"SWITCHBOARD_INTROSPECTION": "off"}, "SWITCHBOARD_INTROSPECTION"},
		{map[string]string{"SWITCHBOARD_MIGRATE": "always"}, "SWITCHBOARD_MIGRATE"},
		{map[string]string{"SWITCHBOARD_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, "SWITCHBOARD_TRUSTED_PROXIES"},
		{map[string]string{"SWITCHBOARD_REQUEST_TIMEOUT": "10ms"}, "SWITCHBOARD_REQUEST_TIMEOUT"},
		{map[string]string{"SWITCHBOARD_MAX_QUERY_DEPTH": "0"}, "SWITCHBOARD_MAX_QUERY_DEPTH"},
		{map[string]string{"SWITCHBOARD_MAX_QUERY_COMPLEXITY": "lots"}, "SWITCHBOARD_MAX_QUERY_COMPLEXITY"},
		{map[string]string{"SWITCHBOARD_MAX_FILE_BYTES": "25MB"}, "SWITCHBOARD_MAX_FILE_BYTES"},
		{map[string]string{"SWITCHBOARD_FILE_URL_TTL": "an hour"}, "SWITCHBOARD_FILE_URL_TTL"},
		{map[string]string{"SWITCHBOARD_S3_ENDPOINT": "s3.amazonaws.com", "SWITCHBOARD_S3_BUCKET": "b",
			"SWITCHBOARD_S3_ACCESS_KEY_ID": "k", "SWITCHBOARD_S3_SECRET_ACCESS_KEY": "s"}, "SWITCHBOARD_S3_ENDPOINT"},
		{map[string]string{"SWITCHBOARD_S3_ENDPOINT": "https://s3.amazonaws.com"}, "SWITCHBOARD_S3_ENDPOINT"},
		{map[string]string{"SWITCHBOARD_S3_ADDRESSING": "dns"}, "SWITCHBOARD_S3_ADDRESSING"},
	}
	for _, c := range cases {
		c.env["SWITCHBOARD_DATA_DIR"] = t.TempDir()
		_, err := Load(env(c.env))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != c.want {
			t.Errorf("Load(%v) = %v, want an error naming %s", c.env, err, c.want)
		}
	}
}

// TestQueryLimits: the GraphQL cost limits, introspection and the request
// deadline come from the environment; unset, they take the defaults.
func TestQueryLimits(t *testing.T) {
	c, err := Load(env(map[string]string{"SWITCHBOARD_DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RequestTimeout != 30*time.Second || c.IntrospectionOff || c.Query != (QueryLimits{}) {
		t.Fatalf("defaults: timeout %v, introspection off %v, limits %+v", c.RequestTimeout, c.IntrospectionOff, c.Query)
	}
	c, err = Load(env(map[string]string{
		"SWITCHBOARD_DATA_DIR": t.TempDir(), "SWITCHBOARD_INTROSPECTION": "false", "SWITCHBOARD_REQUEST_TIMEOUT": "0",
		"SWITCHBOARD_MAX_QUERY_TOKENS": "100", "SWITCHBOARD_MAX_QUERY_FIELDS": "20", "SWITCHBOARD_MAX_QUERY_ALIASES": "3",
		"SWITCHBOARD_MAX_QUERY_DEPTH": "5", "SWITCHBOARD_MAX_QUERY_COMPLEXITY": "500",
		"SWITCHBOARD_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RequestTimeout != 0 || !c.IntrospectionOff || c.Query != (QueryLimits{Tokens: 100, Fields: 20, Aliases: 3, Depth: 5, Complexity: 500}) {
		t.Fatalf("set: timeout %v, introspection off %v, limits %+v", c.RequestTimeout, c.IntrospectionOff, c.Query)
	}
	if fmt.Sprint(c.TrustedProxies) != "[10.0.0.0/8 192.168.1.7/32]" {
		t.Fatalf("trusted proxies %v", c.TrustedProxies)
	}
}

// TestPublicURLDefault: without SWITCHBOARD_PUBLIC_URL the server's own
// address is used, with localhost for a wildcard listen address, and the
// guess is flagged so that the server warns.
func TestPublicURLDefault(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://localhost:8080",
		":9000":          "http://localhost:9000",
		"0.0.0.0:9000":   "http://localhost:9000",
		"[::]:9000":      "http://localhost:9000",
		"127.0.0.1:9000": "http://127.0.0.1:9000",
	} {
		c, err := Load(env(map[string]string{"SWITCHBOARD_DATA_DIR": t.TempDir(), "SWITCHBOARD_ADDR": addr}))
		if err != nil {
			t.Fatal(err)
		}
		if c.PublicURL != want || !c.PublicURLGuessed {
			t.Errorf("SWITCHBOARD_ADDR=%q: public URL %q (guessed %v), want %q", addr, c.PublicURL, c.PublicURLGuessed, want)
		}
	}
	c, err := Load(env(map[string]string{"SWITCHBOARD_DATA_DIR": t.TempDir(), "SWITCHBOARD_PUBLIC_URL": "https://desk.example.com/"}))
	if err != nil || c.PublicURL != "https://desk.example.com" || c.PublicURLGuessed {
		t.Fatalf("set: %q %v %v", c.PublicURL, c.PublicURLGuessed, err)
	}
}

func TestFileVariants(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "jwt")
	if err := os.WriteFile(secret, []byte(strings.Repeat("k", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{
		"SWITCHBOARD_DATA_DIR":        dir,
		"SWITCHBOARD_JWT_SECRET_FILE": secret,
		"SWITCHBOARD_SIGNUP":          "open",
		"SWITCHBOARD_PUBLIC_URL":      "https://support.example.com/",
		"SWITCHBOARD_ALLOWED_ORIGINS": "https://console.example.com, http://localhost:3000/",
		"SWITCHBOARD_EVENT_RETENTION": "24h",
		"SWITCHBOARD_PRESENCE_GRACE":  "90s",
		"SWITCHBOARD_TYPING_TIMEOUT":  "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.JWTSecret) != strings.Repeat("k", 40) || !c.SignupOpen || c.PublicURL != "https://support.example.com" ||
		len(c.AllowedOrigins) != 2 || c.AllowedOrigins[1] != "http://localhost:3000" || c.EventRetention != 24*time.Hour ||
		c.PresenceGrace != 90*time.Second || c.PresenceHeartbeat != 0 || c.TypingTimeout != 3*time.Second {
		t.Fatalf("config = %+v", c)
	}
}

// TestBadAddrCreatesNothing: a bad SWITCHBOARD_ADDR is refused, naming the
// variable, before anything is written (not even the generated secrets).
func TestBadAddrCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, err := Load(env(map[string]string{"SWITCHBOARD_DATA_DIR": dir, "SWITCHBOARD_ADDR": "localhost"}))
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "SWITCHBOARD_ADDR" || !strings.Contains(err.Error(), "localhost") {
		t.Fatalf("got %v, want an error naming SWITCHBOARD_ADDR", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the data directory was created: %v", err)
	}
}
