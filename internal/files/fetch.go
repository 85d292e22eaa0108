package files

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/ent"
)

// FetchOptions bound fetching a provider's media or a URL an integrator
// gave.
type FetchOptions struct {
	// AllowPrivate lets fetches reach private, loopback and link-local
	// addresses and plain http (SWITCHBOARD_ALLOW_PRIVATE_FETCH=true; for
	// tests and closed networks). Without it only https to public
	// addresses is fetched, checked at connect time so that a host name
	// that resolves to an internal address (DNS rebinding) is refused too.
	AllowPrivate bool
	Timeout      time.Duration // whole fetch; default 60 s
	// Header is added to the request (a provider's authorization).
	Header http.Header
}

// ErrForbiddenAddress is a fetch refused because it would reach an
// internal address.
var ErrForbiddenAddress = errors.New("files: the address is private, loopback or link-local")

// publicOnly refuses connections to addresses that are not public
// unicast ones.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) || netip.MustParsePrefix("fc00::/7").Contains(ip) {
		return ErrForbiddenAddress
	}
	return nil
}

// FetchClient is an HTTP client for fetching media: at most 5
// redirects, each checked like the first URL, and, unless private
// addresses are allowed, connections only to public addresses.
func FetchClient(o FetchOptions) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = publicOnly
	}
	tr := &http.Transport{
		Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
		TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 30 * time.Second, MaxIdleConnsPerHost: 4,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("files: too many redirects")
		}
		return checkFetchURL(req.URL, o.AllowPrivate)
	}}
}

func checkFetchURL(u *url.URL, allowPrivate bool) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	default:
		return fmt.Errorf("files: only https URLs are fetched, not %q", u.Scheme)
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("files: %q is not a URL to fetch", u.Redacted())
	}
	return nil
}

// Fetch downloads rawURL with client and stores it as a file (Save), in
// the workspace of the actor ctx carries; the size limit is the
// Service's. The file's name is the URL's last path element unless name
// is given; its type is checked against the one the server declared.
func (s *Service) Fetch(ctx context.Context, client *http.Client, rawURL, name string, o FetchOptions, who New) (*ent.File, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("files: %q is not a URL", rawURL)
	}
	if err := checkFetchURL(u, o.AllowPrivate); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range o.Header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("files: fetching %s: %w", u.Redacted(), err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("files: fetching %s: the server answered %d", u.Redacted(), res.StatusCode)
	}
	if res.ContentLength > s.o.MaxBytes {
		return nil, fmt.Errorf("files: fetching %s: %d bytes is more than the %d MiB limit", u.Redacted(), res.ContentLength, s.o.MaxBytes>>20)
	}
	if name == "" {
		name = path.Base(u.Path)
		if name == "/" || name == "." {
			name = ""
		}
	}
	who.Name, who.DeclaredType, who.Body = name, res.Header.Get("Content-Type"), res.Body
	return s.Save(ctx, who)
}
