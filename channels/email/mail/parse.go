package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// Mail is one parsed message. Every string in it is valid UTF-8 without
// NUL bytes.
type Mail struct {
	MessageID  string   // without angle brackets; "" when missing
	InReplyTo  []string // ids, no brackets
	References []string
	From       *Address // first From; nil when missing
	ReplyTo    []Address
	To, Cc     []Address
	Subject    string    // decoded
	Date       time.Time // zero when missing or unparseable

	// Text is the whole text body: the text/plain parts, or else text
	// derived from the HTML.
	Text string
	// HTML is the text/html parts sanitised (bluemonday UGC policy, cid:
	// image sources kept); "" when the mail has none.
	HTML string
	// Attachments holds attachments and inline parts (images referenced
	// by Content-ID), in order.
	Attachments []Part

	AutoSubmitted bool    // sent by a machine: do not auto-answer it
	Bounce        *Bounce // set for a delivery status notification

	// Problems says what could not be decoded, for logs.
	Problems []string
}

// Part is an attachment or an inline part.
type Part struct {
	Name        string // decoded filename; "" when the mail gives none
	ContentType string // media type without parameters, lower case
	ContentID   string // without angle brackets
	Inline      bool   // shown in the HTML (has a Content-ID, not an attachment)
	Data        []byte
}

// ErrNoHeader is returned by Parse for input without a single header field.
var ErrNoHeader = errors.New("mail: no header")

// Limits that keep a hostile message from costing more than its size.
const (
	maxDepth = 20   // multipart nesting
	maxParts = 1000 // leaf parts
)

// Parse reads one raw RFC 5322 message. It never panics; it returns an
// error only when raw has no header at all. A broken part is skipped (or
// kept as far as it decodes) and noted in Mail.Problems.
func Parse(raw []byte) (m *Mail, err error) {
	p := &parser{m: &Mail{}, budget: int64(len(raw))}
	defer func() {
		// A last resort for a bug on hostile input; the fuzz test fails on it.
		if r := recover(); r != nil {
			p.problem(fmt.Sprintf("panic: %v", r))
			m, err = p.m, nil
		}
	}()
	br := bufio.NewReader(bytes.NewReader(raw))
	h, herr := textproto.ReadHeader(br)
	if h.Len() == 0 {
		if herr != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoHeader, herr)
		}
		return nil, ErrNoHeader
	}
	if herr != nil {
		p.problem("header: " + herr.Error())
	}
	p.entity(h, br, 0, false)
	p.finish(h)
	return p.m, nil
}

// finish fills the fields that depend on the whole message.
func (p *parser) finish(h textproto.Header) {
	m := p.m
	d := wordDecoder{fallback: p.fallback, problem: p.problem}
	if v := ids(h.Get("Message-Id")); len(v) > 0 {
		m.MessageID = v[0]
	}
	m.InReplyTo = ids(h.Get("In-Reply-To"))
	m.References = ids(strings.Join(h.Values("References"), " "))
	if from := d.addresses(h.Get("From")); len(from) > 0 {
		m.From = &from[0]
	}
	m.ReplyTo = d.addresses(h.Get("Reply-To"))
	m.To = d.addresses(strings.Join(h.Values("To"), ", "))
	m.Cc = d.addresses(strings.Join(h.Values("Cc"), ", "))
	m.Subject = oneLine(d.decode(h.Get("Subject")))
	m.Date = date(h.Get("Date"))

	m.Text = tidyText(strings.Join(p.plain, "\n"))
	html := strings.Join(p.html, "\n")
	if m.Text == "" && html != "" {
		m.Text = tidyText(htmlToText(html))
	}
	if html != "" {
		m.HTML = sanitizeHTML(html)
	}
	m.Bounce = p.bounce
	m.AutoSubmitted = autoSubmitted(h, m, p.report)
}

// tidyText normalises line ends and trims blank space around a body.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimRight(s, " \t\n")
	return strings.TrimLeft(s, "\n")
}

// oneLine turns the line breaks and tabs an encoded word may carry into
// spaces.
func oneLine(s string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\t", " ").Replace(s))
}
