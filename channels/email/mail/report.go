package mail

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Bounce is what a delivery status notification (RFC 3464) says about the
// mail it returns.
type Bounce struct {
	// OriginalMessageID is the Message-ID of the mail that bounced, from
	// the returned message or its headers (never Original-Envelope-Id).
	OriginalMessageID string
	Action            string // failed, delayed, delivered, relayed, expanded
	Status            string // e.g. 5.1.1
	Recipient         string // Final-Recipient (or Original-Recipient) address
	Diagnostic        string // Diagnostic-Code text, without its type
}

// reportPart reads a machine-readable part of a multipart/report; false
// when the part is not one (the human-readable text, say).
func (p *parser) reportPart(mt string, data []byte) bool {
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		if p.bounce != nil {
			p.deliveryStatus(data)
		}
		return true
	case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
		if p.bounce != nil && p.bounce.OriginalMessageID == "" {
			h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
			if v := ids(h.Get("Message-Id")); len(v) > 0 {
				p.bounce.OriginalMessageID = v[0]
			}
		}
		return true
	}
	return false
}

// deliveryStatus reads the per-message and per-recipient field blocks of a
// message/delivery-status part, keeping the first failed recipient (or the
// first recipient when none failed).
func (p *parser) deliveryStatus(data []byte) {
	br := bufio.NewReader(bytes.NewReader(data))
	var chosen *textproto.Header
	for i := 0; i < 100; i++ {
		h, err := textproto.ReadHeader(br)
		if h.Len() > 0 && (h.Has("Action") || h.Has("Final-Recipient") || h.Has("Status")) {
			if chosen == nil || !failed(*chosen) && failed(h) {
				chosen = &h
			}
		}
		if err != nil {
			break
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
	}
	if chosen == nil {
		p.problem("message/delivery-status: no recipient fields")
		return
	}
	h := *chosen
	p.bounce.Action = strings.ToLower(field(h.Get("Action")))
	if f := strings.Fields(field(h.Get("Status"))); len(f) > 0 {
		p.bounce.Status = f[0]
	}
	rcpt := typed(h.Get("Final-Recipient"))
	if rcpt == "" {
		rcpt = typed(h.Get("Original-Recipient"))
	}
	p.bounce.Recipient = normalizeEmail(strings.Trim(rcpt, "<>"))
	p.bounce.Diagnostic = typed(h.Get("Diagnostic-Code"))
}

func failed(h textproto.Header) bool {
	return strings.EqualFold(field(h.Get("Action")), "failed")
}

// field is a DSN field's value without a trailing comment.
func field(v string) string {
	if i := strings.IndexByte(v, '('); i >= 0 {
		v = v[:i]
	}
	return clean(strings.TrimSpace(v))
}

// typed drops the type of a typed DSN field: "rfc822; a@b.c" -> "a@b.c".
func typed(v string) string {
	if _, rest, ok := strings.Cut(v, ";"); ok {
		v = rest
	}
	return clean(strings.TrimSpace(v))
}
