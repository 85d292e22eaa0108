package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
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
var ErrForbiddenAddress = errors.New("the address is private, loopback or link-local, which is not fetched (SWITCHBOARD_ALLOW_PRIVATE_FETCH)")

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
		return fmt.Errorf("only https URLs are fetched, not %q", u.Scheme)
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not a URL to fetch", u.Redacted())
	}
	return nil
}

// Get opens rawURL with client for a fetch: the body (closing it ends
// the fetch's time limit) and the type the server declared. A URL that
// can never be fetched (not https, an internal address, a 4xx other than
// 408 and 429, larger than maxBytes) is a PermanentError. Errors name the
// URL without its query, which may hold credentials.
func Get(ctx context.Context, client *http.Client, rawURL string, o FetchOptions, maxBytes int64) (io.ReadCloser, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", Permanent(fmt.Errorf("%q is not a URL", shown(rawURL)))
	}
	if err := checkFetchURL(u, o.AllowPrivate); err != nil {
		return nil, "", Permanent(err)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, "", Permanent(err)
	}
	for k, v := range o.Header {
		req.Header[k] = v
	}
	where := shownURL(u)
	res, err := client.Do(req)
	if err != nil {
		cancel()
		if errors.Is(err, ErrForbiddenAddress) {
			return nil, "", Permanent(fmt.Errorf("fetching %s: %w", where, ErrForbiddenAddress))
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message repeats the whole URL
		}
		return nil, "", fmt.Errorf("fetching %s: %w", where, err)
	}
	fail := func(err error) (io.ReadCloser, string, error) {
		res.Body.Close()
		cancel()
		return nil, "", err
	}
	switch {
	case res.StatusCode == http.StatusOK:
	case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return fail(fmt.Errorf("fetching %s: the server answered %d", where, res.StatusCode))
	default:
		return fail(Permanent(fmt.Errorf("fetching %s: the server answered %d", where, res.StatusCode)))
	}
	if res.ContentLength > maxBytes {
		return fail(Permanent(fmt.Errorf("fetching %s: %d bytes is more than the %d MiB limit", where, res.ContentLength, maxBytes>>20)))
	}
	return cancelOnClose{res.Body, cancel}, res.Header.Get("Content-Type"), nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// shownURL is u without credentials, query or fragment.
func shownURL(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	return v.String()
}

func shown(raw string) string {
	raw, _, _ = strings.Cut(raw, "?")
	return truncate(raw, 200)
}

// Fetch downloads rawURL with client (Get) and stores it as a file
// (Save), in the workspace of the actor ctx carries; the size limit is
// the Service's. The file's name is the URL's last path element unless
// name is given; its type is checked against the one the server declared.
func (s *Service) Fetch(ctx context.Context, client *http.Client, rawURL, name string, o FetchOptions, who New) (*ent.File, error) {
	body, declared, err := Get(ctx, client, rawURL, o, s.o.MaxBytes)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if name == "" {
		name = URLName(rawURL)
	}
	who.Name, who.DeclaredType, who.Body = name, declared, body
	return s.Save(ctx, who)
}

// URLName is the last element of a URL's path, or "".
func URLName(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." {
		return ""
	}
	return name
}
