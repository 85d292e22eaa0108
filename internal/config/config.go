// Package config reads Switchboard's typed configuration from the
// environment and validates it at start.
package config

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one server instance.
type Config struct {
	Addr string // SWITCHBOARD_ADDR
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) and
	// /debug/memstats on a second listener (SWITCHBOARD_DEBUG_ADDR): for
	// operators and bench/, never exposed by default.
	DebugAddr string
	PublicURL string // SWITCHBOARD_PUBLIC_URL, base of webhook URLs
	// PublicURLGuessed says PublicURL was made from the listen address
	// (http://localhost:<port>): fine on a developer's machine, wrong for
	// providers and embedding sites, so the server warns.
	PublicURLGuessed bool
	DatabaseURL      string // SWITCHBOARD_DATABASE_URL; empty means embedded SQLite
	DataDir          string // SWITCHBOARD_DATA_DIR
	JWTSecret        []byte // SWITCHBOARD_JWT_SECRET, at least 32 bytes
	SecretKey        []byte // SWITCHBOARD_SECRET_KEY, base64 of 32 bytes
	// PreviousSecretKeys still decrypt during a key rotation
	// (SWITCHBOARD_SECRET_KEYS_PREVIOUS, comma-separated base64).
	PreviousSecretKeys [][]byte
	AdminEmail         string // SWITCHBOARD_ADMIN_EMAIL
	AdminPassword      string // SWITCHBOARD_ADMIN_PASSWORD
	SignupOpen         bool   // SWITCHBOARD_SIGNUP=open
	LogFormat          string // SWITCHBOARD_LOG_FORMAT: text or json
	// AllowedOrigins are the browser origins of the agent and admin
	// consoles (SWITCHBOARD_ALLOWED_ORIGINS, comma-separated).
	AllowedOrigins []string
	// ReopenWindow: a customer's new message reopens a conversation
	// resolved less than this ago (SWITCHBOARD_REOPEN_WINDOW; default 168h).
	ReopenWindow time.Duration
	// EventRetention is how long the event log keeps events
	// (SWITCHBOARD_EVENT_RETENTION, a Go duration; default 168h).
	EventRetention time.Duration
	// PresenceGrace is how long an agent may have no live connection on
	// any instance before going OFFLINE (SWITCHBOARD_PRESENCE_GRACE;
	// default 60s). PresenceHeartbeat is how often an instance renews its
	// agents' presence and sweeps (SWITCHBOARD_PRESENCE_HEARTBEAT; default
	// a quarter of the grace; less than the grace). TypingTimeout is how
	// long typing lasts without a renewal (SWITCHBOARD_TYPING_TIMEOUT;
	// default 5s). Zero takes the default.
	PresenceGrace     time.Duration
	PresenceHeartbeat time.Duration
	TypingTimeout     time.Duration
	// VisitorSessionTTL is how long a website visitor's token lasts; the
	// widget renews it on every page load (SWITCHBOARD_VISITOR_SESSION_TTL;
	// default 720h).
	VisitorSessionTTL time.Duration
	// MaxFileBytes is the largest file Switchboard stores
	// (SWITCHBOARD_MAX_FILE_BYTES; default 25 MiB). FileURLTTL is how
	// long a signed file link works (SWITCHBOARD_FILE_URL_TTL; default 1h).
	MaxFileBytes int64
	FileURLTTL   time.Duration
	// AllowPrivateFetch lets Switchboard fetch media from private,
	// loopback and link-local addresses and over plain http
	// (SWITCHBOARD_ALLOW_PRIVATE_FETCH=true; for closed networks and
	// tests). Off, a URL an integrator or a provider gives that leads
	// inside the network is refused (SSRF).
	AllowPrivateFetch bool
	// S3 keeps files in S3-compatible object storage instead of
	// SWITCHBOARD_DATA_DIR/files when its endpoint is set.
	S3 S3
	// RoutingOff keeps this instance from routing conversations
	// (SWITCHBOARD_ROUTING=off); other instances still do.
	RoutingOff bool
	// AutoRepliesOff keeps this instance from sending channels'
	// auto-replies (SWITCHBOARD_AUTOREPLIES=off); other instances still do.
	AutoRepliesOff bool
	// AutomationMaxActionsPerMinute caps the automation rule actions one
	// conversation gets per minute; a rule that would go over is suspended
	// (SWITCHBOARD_AUTOMATION_MAX_ACTIONS_PER_MINUTE, default 20).
	AutomationMaxActionsPerMinute int
	// AutomationOff keeps this instance from running automation rules
	// (SWITCHBOARD_AUTOMATION=off); other instances still do.
	AutomationOff bool
	// Query bounds what one GraphQL operation may cost; zero takes the
	// server's default.
	Query QueryLimits
	// IntrospectionOff refuses __schema and __type
	// (SWITCHBOARD_INTROSPECTION=false).
	IntrospectionOff bool
	// TrustedProxies are the reverse proxies in front of the server
	// (SWITCHBOARD_TRUSTED_PROXIES, comma-separated addresses or CIDR
	// prefixes): behind them, X-Forwarded-For tells the client's address.
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds an HTTP GraphQL operation's run time
	// (SWITCHBOARD_REQUEST_TIMEOUT; default 30s; 0 for none). Websocket
	// subscriptions are not bounded by it.
	RequestTimeout time.Duration
	// MigrateManually keeps the server from applying schema migrations at
	// start (SWITCHBOARD_MIGRATE=manual; default auto): it refuses to start
	// while any is pending, and `switchboard migrate up` applies them.
	MigrateManually bool
}

// QueryLimits are the GraphQL cost limits (SWITCHBOARD_MAX_QUERY_TOKENS,
// _FIELDS, _ALIASES, _DEPTH, _COMPLEXITY).
type QueryLimits struct {
	Tokens, Fields, Aliases, Depth, Complexity int
}

// Error names the variable at fault.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Load reads the configuration from getenv. Every variable may also be given
// as a file with the _FILE suffix (for secrets mounted by an orchestrator).
// On the embedded database, missing secrets are generated once and kept in
// the data directory.
func Load(getenv func(string) string) (*Config, error) {
	get := func(name string) (string, error) {
		if v := getenv(name); v != "" {
			return v, nil
		}
		if f := getenv(name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", &Error{name + "_FILE", err.Error()}
			}
			return strings.TrimSpace(string(b)), nil
		}
		return "", nil
	}
	c := &Config{
		Addr: ":8080", DataDir: "data", LogFormat: "text", EventRetention: 7 * 24 * time.Hour, ReopenWindow: 7 * 24 * time.Hour,
		RequestTimeout: 30 * time.Second,
	}
	var err error
	str := func(name string, dst *string) {
		if err != nil {
			return
		}
		var v string
		if v, err = get(name); err == nil && v != "" {
			*dst = v
		}
	}
	var jwtSecret, secretKey, signup, origins, retention, reopen, grace, heartbeat, typing, visitorTTL, routingMode string
	str("SWITCHBOARD_ADDR", &c.Addr)
	str("SWITCHBOARD_DEBUG_ADDR", &c.DebugAddr)
	str("SWITCHBOARD_PUBLIC_URL", &c.PublicURL)
	str("SWITCHBOARD_DATABASE_URL", &c.DatabaseURL)
	str("SWITCHBOARD_DATA_DIR", &c.DataDir)
	str("SWITCHBOARD_JWT_SECRET", &jwtSecret)
	str("SWITCHBOARD_SECRET_KEY", &secretKey)
	str("SWITCHBOARD_ADMIN_EMAIL", &c.AdminEmail)
	str("SWITCHBOARD_ADMIN_PASSWORD", &c.AdminPassword)
	str("SWITCHBOARD_SIGNUP", &signup)
	str("SWITCHBOARD_LOG_FORMAT", &c.LogFormat)
	str("SWITCHBOARD_ALLOWED_ORIGINS", &origins)
	str("SWITCHBOARD_EVENT_RETENTION", &retention)
	str("SWITCHBOARD_REOPEN_WINDOW", &reopen)
	str("SWITCHBOARD_PRESENCE_GRACE", &grace)
	str("SWITCHBOARD_PRESENCE_HEARTBEAT", &heartbeat)
	str("SWITCHBOARD_TYPING_TIMEOUT", &typing)
	str("SWITCHBOARD_VISITOR_SESSION_TTL", &visitorTTL)
	var maxFile, fileTTL, s3Addressing string
	str("SWITCHBOARD_MAX_FILE_BYTES", &maxFile)
	str("SWITCHBOARD_FILE_URL_TTL", &fileTTL)
	str("SWITCHBOARD_S3_ENDPOINT", &c.S3.Endpoint)
	str("SWITCHBOARD_S3_BUCKET", &c.S3.Bucket)
	str("SWITCHBOARD_S3_REGION", &c.S3.Region)
	str("SWITCHBOARD_S3_ACCESS_KEY_ID", &c.S3.AccessKeyID)
	str("SWITCHBOARD_S3_SECRET_ACCESS_KEY", &c.S3.SecretAccessKey)
	str("SWITCHBOARD_S3_ADDRESSING", &s3Addressing)
	str("SWITCHBOARD_ROUTING", &routingMode)
	var autoReplyMode string
	str("SWITCHBOARD_AUTOREPLIES", &autoReplyMode)
	var automationMode string
	str("SWITCHBOARD_AUTOMATION", &automationMode)
	var introspection, timeout, proxies, migrateMode, privateFetch string
	str("SWITCHBOARD_MIGRATE", &migrateMode)
	str("SWITCHBOARD_TRUSTED_PROXIES", &proxies)
	str("SWITCHBOARD_INTROSPECTION", &introspection)
	str("SWITCHBOARD_ALLOW_PRIVATE_FETCH", &privateFetch)
	str("SWITCHBOARD_REQUEST_TIMEOUT", &timeout)
	limits := []struct {
		name string
		dst  *int
	}{
		{"SWITCHBOARD_MAX_QUERY_TOKENS", &c.Query.Tokens},
		{"SWITCHBOARD_MAX_QUERY_FIELDS", &c.Query.Fields},
		{"SWITCHBOARD_MAX_QUERY_ALIASES", &c.Query.Aliases},
		{"SWITCHBOARD_MAX_QUERY_DEPTH", &c.Query.Depth},
		{"SWITCHBOARD_MAX_QUERY_COMPLEXITY", &c.Query.Complexity},
		{"SWITCHBOARD_AUTOMATION_MAX_ACTIONS_PER_MINUTE", &c.AutomationMaxActionsPerMinute},
	}
	for _, l := range limits {
		var v string
		str(l.name, &v)
		if err == nil && v != "" {
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 1 {
				return nil, &Error{l.name, "must be a positive whole number"}
			}
			*l.dst = n
		}
	}
	if err != nil {
		return nil, err
	}
	if err := checkAddr(c.Addr); err != nil {
		return nil, err
	}
	if c.DebugAddr != "" {
		if err := checkAddr(c.DebugAddr); err != nil {
			return nil, &Error{"SWITCHBOARD_DEBUG_ADDR", strings.TrimPrefix(err.Error(), "SWITCHBOARD_ADDR: ")}
		}
	}
	switch migrateMode {
	case "", "auto":
	case "manual":
		c.MigrateManually = true
	default:
		return nil, &Error{"SWITCHBOARD_MIGRATE", "must be auto or manual"}
	}
	switch introspection {
	case "", "true":
	case "false":
		c.IntrospectionOff = true
	default:
		return nil, &Error{"SWITCHBOARD_INTROSPECTION", "must be true or false"}
	}
	switch privateFetch {
	case "", "false":
	case "true":
		c.AllowPrivateFetch = true
	default:
		return nil, &Error{"SWITCHBOARD_ALLOW_PRIVATE_FETCH", "must be true or false"}
	}
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, perr := netip.ParsePrefix(p)
		if perr != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return nil, &Error{"SWITCHBOARD_TRUSTED_PROXIES", fmt.Sprintf("%q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", p)}
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	if timeout != "" {
		v, perr := time.ParseDuration(timeout)
		if timeout == "0" {
			v, perr = 0, nil
		}
		if perr != nil || (v != 0 && v < time.Second) {
			return nil, &Error{"SWITCHBOARD_REQUEST_TIMEOUT", "must be a duration of at least 1s, such as 30s, or 0 for none"}
		}
		c.RequestTimeout = v
	}
	switch routingMode {
	case "", "on":
	case "off":
		c.RoutingOff = true
	default:
		return nil, &Error{"SWITCHBOARD_ROUTING", "must be on or off"}
	}
	switch autoReplyMode {
	case "", "on":
	case "off":
		c.AutoRepliesOff = true
	default:
		return nil, &Error{"SWITCHBOARD_AUTOREPLIES", "must be on or off"}
	}
	switch automationMode {
	case "", "on":
	case "off":
		c.AutomationOff = true
	default:
		return nil, &Error{"SWITCHBOARD_AUTOMATION", "must be on or off"}
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		if u, perr := url.Parse(o); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return nil, &Error{"SWITCHBOARD_ALLOWED_ORIGINS", fmt.Sprintf("%q is not an origin such as https://console.example.com", o)}
		}
		c.AllowedOrigins = append(c.AllowedOrigins, o)
	}
	for _, d := range []struct {
		name, v string
		dst     *time.Duration
	}{
		{"SWITCHBOARD_EVENT_RETENTION", retention, &c.EventRetention},
		{"SWITCHBOARD_REOPEN_WINDOW", reopen, &c.ReopenWindow},
		{"SWITCHBOARD_PRESENCE_GRACE", grace, &c.PresenceGrace},
		{"SWITCHBOARD_PRESENCE_HEARTBEAT", heartbeat, &c.PresenceHeartbeat},
		{"SWITCHBOARD_TYPING_TIMEOUT", typing, &c.TypingTimeout},
		{"SWITCHBOARD_VISITOR_SESSION_TTL", visitorTTL, &c.VisitorSessionTTL},
		{"SWITCHBOARD_FILE_URL_TTL", fileTTL, &c.FileURLTTL},
	} {
		if d.v == "" {
			continue
		}
		v, perr := time.ParseDuration(d.v)
		if perr != nil || v < time.Second {
			return nil, &Error{d.name, "must be a duration of at least 1s, such as 60s"}
		}
		*d.dst = v
	}
	if g := c.PresenceGrace; c.PresenceHeartbeat > 0 && c.PresenceHeartbeat >= cmp.Or(g, 60*time.Second) {
		return nil, &Error{"SWITCHBOARD_PRESENCE_HEARTBEAT", "must be less than the presence grace period"}
	}
	if maxFile != "" {
		n, perr := strconv.ParseInt(maxFile, 10, 64)
		if perr != nil || n < 1024 {
			return nil, &Error{"SWITCHBOARD_MAX_FILE_BYTES", "must be a number of bytes, at least 1024, such as 26214400"}
		}
		c.MaxFileBytes = n
	}
	switch s3Addressing {
	case "", "path":
	case "virtual-hosted":
		c.S3.VirtualHosted = true
	default:
		return nil, &Error{"SWITCHBOARD_S3_ADDRESSING", `must be "path" or "virtual-hosted"`}
	}
	if c.S3.Endpoint != "" {
		if u, perr := url.Parse(c.S3.Endpoint); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &Error{"SWITCHBOARD_S3_ENDPOINT", "must be an http(s) URL such as https://s3.eu-west-1.amazonaws.com"}
		}
		if c.S3.Bucket == "" || c.S3.AccessKeyID == "" || c.S3.SecretAccessKey == "" {
			return nil, &Error{"SWITCHBOARD_S3_ENDPOINT", "needs SWITCHBOARD_S3_BUCKET, SWITCHBOARD_S3_ACCESS_KEY_ID and SWITCHBOARD_S3_SECRET_ACCESS_KEY"}
		}
	}
	switch signup {
	case "", "closed":
	case "open":
		c.SignupOpen = true
	default:
		return nil, &Error{"SWITCHBOARD_SIGNUP", `must be "open" or "closed"`}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, &Error{"SWITCHBOARD_LOG_FORMAT", `must be "text" or "json"`}
	}
	if c.PublicURL == "" {
		c.PublicURL, c.PublicURLGuessed = "http://"+localHost(c.Addr), true
	}
	if u, perr := url.Parse(c.PublicURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{"SWITCHBOARD_PUBLIC_URL", "must be an absolute http(s) URL"}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.DatabaseURL != "" {
		if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			return nil, &Error{"SWITCHBOARD_DATABASE_URL", "must be a postgres:// URL"}
		}
		if jwtSecret == "" {
			return nil, &Error{"SWITCHBOARD_JWT_SECRET", "is required with SWITCHBOARD_DATABASE_URL (instances must share it)"}
		}
		if secretKey == "" {
			return nil, &Error{"SWITCHBOARD_SECRET_KEY", "is required with SWITCHBOARD_DATABASE_URL (instances must share it)"}
		}
	}
	if jwtSecret == "" {
		if jwtSecret, err = kept(c.DataDir, "jwt_secret", 48); err != nil {
			return nil, &Error{"SWITCHBOARD_JWT_SECRET", err.Error()}
		}
	}
	if secretKey == "" {
		if secretKey, err = kept(c.DataDir, "secret_key", 32); err != nil {
			return nil, &Error{"SWITCHBOARD_SECRET_KEY", err.Error()}
		}
	}
	if len(jwtSecret) < 32 {
		return nil, &Error{"SWITCHBOARD_JWT_SECRET", "must be at least 32 bytes"}
	}
	c.JWTSecret = []byte(jwtSecret)
	key, kerr := base64.StdEncoding.DecodeString(secretKey)
	if kerr != nil || len(key) != 32 {
		return nil, &Error{"SWITCHBOARD_SECRET_KEY", "must be the base64 encoding of 32 bytes"}
	}
	c.SecretKey = key
	var previous string
	if previous, err = get("SWITCHBOARD_SECRET_KEYS_PREVIOUS"); err != nil {
		return nil, err
	}
	for _, p := range strings.Split(previous, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, kerr := base64.StdEncoding.DecodeString(p)
		if kerr != nil || len(k) != 32 {
			return nil, &Error{"SWITCHBOARD_SECRET_KEYS_PREVIOUS", "must be comma-separated base64 encodings of 32 bytes"}
		}
		c.PreviousSecretKeys = append(c.PreviousSecretKeys, k)
	}
	return c, nil
}

// localHost is how this machine reaches a listen address: a wildcard or
// missing host (":8080", "0.0.0.0:8080", "[::]:8080") is localhost, never
// an address that means "every interface" in a webhook URL.
func localHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "localhost:8080"
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// kept returns the base64 secret stored in dir/name, generating it with n
// random bytes on first use.
func kept(dir, name string, n int) (string, error) {
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating data directory: %w", err)
	}
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	v := base64.StdEncoding.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keeping generated secret: %w", err)
	}
	return v, nil
}

// checkAddr checks a listen address: host:port or :port, with a port
// number (0 picks a free one).
func checkAddr(addr string) error {
	bad := &Error{"SWITCHBOARD_ADDR", fmt.Sprintf("%q is not a listen address such as :8080 or 127.0.0.1:8080", addr)}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad
	}
	if strings.ContainsAny(host, " /") {
		return bad
	}
	return nil
}

// S3 is the S3-compatible object storage files are kept in
// (SWITCHBOARD_S3_ENDPOINT, _BUCKET, _REGION, _ACCESS_KEY_ID,
// _SECRET_ACCESS_KEY; _ADDRESSING path or virtual-hosted).
type S3 struct {
	Endpoint, Bucket, Region, AccessKeyID, SecretAccessKey string
	VirtualHosted                                          bool
}
