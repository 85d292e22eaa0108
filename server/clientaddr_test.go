package server

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddr: the client's address is the TCP peer's unless the peer
// is a trusted proxy; then it is the last X-Forwarded-For hop that is not a
// trusted proxy, so a client cannot choose its address by sending the
// header itself.
func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
	for _, c := range []struct {
		name, peer string
		xff        []string
		proxies    []netip.Prefix
		want       string
	}{
		{"no proxies configured", "203.0.113.9:5555", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"untrusted peer forging the header", "203.0.113.9:5555", []string{"198.51.100.1"}, proxies, "203.0.113.9"},
		{"one trusted proxy", "10.1.2.3:5555", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"client prepends a forged hop", "10.1.2.3:5555", []string{"1.2.3.4, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"two trusted proxies", "10.1.2.3:5555", []string{"198.51.100.1, 192.168.1.7"}, proxies, "198.51.100.1"},
		{"headers repeated", "10.1.2.3:5555", []string{"1.2.3.4", "198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"garbage hop", "10.1.2.3:5555", []string{"198.51.100.1, not-an-ip"}, proxies, "10.1.2.3"},
		{"no header", "10.1.2.3:5555", nil, proxies, "10.1.2.3"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, proxies, "2001:db8::1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/graphql", nil)
			r.RemoteAddr = c.peer
			for _, h := range c.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := clientAddr(r, c.proxies); got != c.want {
				t.Fatalf("clientAddr = %q, want %q", got, c.want)
			}
		})
	}
}
