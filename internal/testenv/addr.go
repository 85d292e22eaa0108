package testenv

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"
)

// DoAt is Do sent from the client address addr, a loopback address such as
// 127.0.0.2, so that the server sees another client (it trusts no
// forwarding header).
func (s *Server) DoAt(t testing.TB, addr, token, query string, vars map[string]any) *Response {
	t.Helper()
	ip := net.ParseIP(addr)
	if ip == nil || !ip.IsLoopback() {
		t.Fatalf("DoAt: %q is not a loopback address", addr)
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return s.postVia(t, client, "", token, body)
}
