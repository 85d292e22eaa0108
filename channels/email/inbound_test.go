package email

import (
	"testing"
	"time"
)

// TestInboundThreading: a reply finds its conversation by our
// plus-address on To or Cc, else by a subject hook; other addresses and
// other domains are no key; In-Reply-To and References are passed on,
// oldest first.
func TestInboundThreading(t *testing.T) {
	const key = "6xobpwzt5fj6mrlgzowzhwkgwa"
	for _, c := range []struct {
		name, headers, want string
	}{
		{"plus-address on To", "To: Support <reply+" + key + "@reply.acme.test>\r\nSubject: Re: order", key},
		{"plus-address on Cc", "To: someone@else.test\r\nCc: reply+" + key + "@REPLY.acme.test\r\nSubject: Re: order", key},
		{"another domain", "To: reply+" + key + "@evil.test\r\nSubject: Re: order", ""},
		{"subject hook", "To: support@acme.test\r\nSubject: Re: order [#" + key + "]", key},
		{"nothing", "To: support@acme.test\r\nSubject: Re: order", ""},
	} {
		raw := []byte("From: Ann <ann@customer.test>\r\n" + c.headers + "\r\nMessage-ID: <a@customer.test>\r\n" +
			"In-Reply-To: <x@acme.test>\r\nReferences: <w@acme.test> <x@acme.test>\r\n\r\nthanks\r\n")
		in, receipt := inbound(raw, time.Now(), "reply.acme.test")
		if in == nil || receipt != nil {
			t.Fatalf("%s: not a message", c.name)
		}
		if in.ThreadKey != c.want {
			t.Errorf("%s: thread key %q, want %q", c.name, in.ThreadKey, c.want)
		}
		if len(in.InReplyTo) != 2 || in.InReplyTo[0] != "w@acme.test" || in.InReplyTo[1] != "x@acme.test" || in.Sender.Email != "ann@customer.test" || in.Sender.Verified {
			t.Errorf("%s: %+v", c.name, in)
		}
	}
}
