package smtp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/switchboard/switchboard/channels"
)

// Mail is one reply to a customer.
type Mail struct {
	// MessageID is ours, without brackets, e.g. "<outbox item id>@<from
	// domain>": the caller provides it.
	MessageID string
	To        Address // the customer
	Subject   string  // already "Re: ...": the caller decides
	// InReplyTo is the customer's last Message-ID, without brackets; ""
	// for none. It is added to References when they lack it.
	InReplyTo string
	// References are without brackets. More than maxReferences keep the
	// first (the thread's root) and the latest.
	References []string
	ReplyTo    string // optional Reply-To address (reply+<key>@domain)
	Text       string // the agent's text
	// HTML is optional; when "", an HTML part is generated from Text
	// (escaped, paragraphs, <br>).
	HTML        string
	Attachments []channels.Attachment // read through Open
	Date        time.Time             // zero: now
}

// Address is a mailbox with an optional display name.
type Address struct{ Name, Email string }

const (
	dateLayout    = "Mon, 02 Jan 2006 15:04:05 -0700"
	maxReferences = 20
	maxMsgIDLen   = 900 // a header line holds at most 998 characters
)

// Build renders the mail as RFC 5322 bytes, for the Sent-folder copy and
// for tests: multipart/alternative text and HTML (both with the signature),
// inside multipart/mixed when there are attachments. Given the same inputs
// it returns the same bytes. Its errors are *channels.Error: permanent for
// a mail that cannot be built, transient when an attachment cannot be read.
func Build(ctx context.Context, c Config, m Mail) ([]byte, error) {
	h, err := header(c, m)
	if err != nil {
		return nil, channels.Permanent("smtp: %v", err)
	}
	var b bytes.Buffer
	if err := writeBody(ctx, &b, h, c, m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// header is the message header without Content-Type.
func header(c Config, m Mail) ([][2]string, error) {
	if err := checkAddress(c.FromAddress); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := checkAddress(m.To.Email); err != nil {
		return nil, fmt.Errorf("to address: %w", err)
	}
	id, ok := msgID(m.MessageID)
	if !ok {
		return nil, fmt.Errorf("invalid message id %q", m.MessageID)
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	h := [][2]string{
		{"Date", date.Format(dateLayout)},
		{"From", formatAddress(c.FromName, c.FromAddress)},
	}
	if m.ReplyTo != "" {
		if err := checkAddress(m.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to address: %w", err)
		}
		h = append(h, [2]string{"Reply-To", formatAddress(c.FromName, m.ReplyTo)})
	}
	h = append(h,
		[2]string{"To", formatAddress(m.To.Name, m.To.Email)},
		[2]string{"Subject", encodeText(m.Subject)},
		[2]string{"Message-ID", "<" + id + ">"},
	)
	parent, _ := msgID(m.InReplyTo)
	if parent != "" {
		h = append(h, [2]string{"In-Reply-To", "<" + parent + ">"})
	}
	if refs := references(m.References, parent); len(refs) > 0 {
		h = append(h, [2]string{"References", "<" + strings.Join(refs, "> <") + ">"})
	}
	return append(h, [2]string{"MIME-Version", "1.0"}), nil
}

// msgID returns a message id without brackets and whether it is usable:
// printable ASCII without spaces or brackets, with an "@".
func msgID(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "<"), ">")
	if s == "" || len(s) > maxMsgIDLen || !strings.Contains(s, "@") {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b >= 0x7f || b == '<' || b == '>' {
			return "", false
		}
	}
	return s, true
}

// references cleans the ids (unusable ones and duplicates are dropped),
// appends parent when missing and keeps the first and the latest when
// there are too many.
func references(ids []string, parent string) []string {
	var refs []string
	seen := map[string]bool{}
	for _, raw := range append(append([]string(nil), ids...), parent) {
		if id, ok := msgID(raw); ok && !seen[id] {
			seen[id] = true
			refs = append(refs, id)
		}
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1], refs[len(refs)-maxReferences+1:]...)
	}
	return refs
}

// formatAddress formats a mailbox, its display name RFC 2047 encoded when
// it is not ASCII.
func formatAddress(name, email string) string {
	name = oneLine(name)
	if name == "" || !isPlainASCII(name) || strings.Contains(name, "=?") {
		addr := (&mail.Address{Address: email}).String()
		if name == "" {
			return addr
		}
		return encodeText(name) + " " + addr
	}
	return (&mail.Address{Name: name, Address: email}).String()
}

// encodeText encodes an unstructured header value (RFC 2047, B encoding)
// when it is not plain ASCII, in encoded-words short enough that the
// header folds between them under 76 characters.
func encodeText(s string) string {
	s = oneLine(s)
	if isPlainASCII(s) && !strings.Contains(s, "=?") {
		return s
	}
	const maxBytes = 30 // 40 base64 characters, a 52-character word
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n > 0 && n+size > maxBytes {
				break
			}
			n += size
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// oneLine turns line breaks and other controls into spaces, so a value
// cannot start a new header field.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// newHeader makes a header that writes its fields in the order given
// (go-message writes the last field added first).
func newHeader(fields ...[2]string) message.Header {
	var h message.Header
	for i := len(fields) - 1; i >= 0; i-- {
		h.Add(fields[i][0], fields[i][1])
	}
	return h
}

// boundary is the n-th MIME boundary of the message with this id. "=_"
// cannot occur in quoted-printable or base64 text.
func boundary(id, n string) string {
	sum := sha256.Sum256([]byte("switchboard/" + n + "/" + id))
	return "=_" + n + "_" + hex.EncodeToString(sum[:12])
}
