package mail

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// parser walks a message's MIME tree and collects what Mail holds.
type parser struct {
	m        *Mail
	budget   int64 // decoded bytes still allowed: the raw message's size
	parts    int
	plain    []string
	html     []string
	fallback string // charset of the first text part, for raw 8-bit headers
	report   bool   // a multipart/report was seen
	bounce   *Bounce
}

func (p *parser) problem(s string) {
	if len(p.m.Problems) < 50 {
		p.m.Problems = append(p.m.Problems, clean(s))
	}
}

// entity handles one MIME entity; inReport says it is a direct child of a
// multipart/report.
func (p *parser) entity(h textproto.Header, body io.Reader, depth int, inReport bool) {
	mt, params := mediaType(h.Get("Content-Type"), "text/plain")
	if strings.HasPrefix(mt, "multipart/") {
		if b := params["boundary"]; b != "" && depth < maxDepth {
			p.multipart(mt, params, body, depth)
			return
		}
		if depth >= maxDepth {
			p.problem("multipart: nested too deep; skipped")
			return
		}
		p.problem(mt + ": no boundary; read as text")
		mt, params = "text/plain", nil
	}
	p.parts++
	if p.parts > maxParts {
		if p.parts == maxParts+1 {
			p.problem("too many parts; the rest skipped")
		}
		return
	}
	data, ok := p.decodeBody(h, mt, body)
	if !ok {
		return
	}
	if inReport && p.reportPart(mt, data) {
		return
	}
	p.leaf(h, mt, params, data)
}

func (p *parser) multipart(mt string, params map[string]string, body io.Reader, depth int) {
	isReport := mt == "multipart/report"
	if isReport {
		p.report = true
		if strings.EqualFold(params["report-type"], "delivery-status") && p.bounce == nil {
			p.bounce = &Bounce{}
		}
	}
	mr := textproto.NewMultipartReader(body, params["boundary"])
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			if n == 0 {
				p.problem(mt + ": no parts: " + err.Error())
			} else if !errors.Is(err, io.ErrUnexpectedEOF) && !strings.HasSuffix(err.Error(), "EOF") {
				p.problem(mt + ": " + err.Error())
			} else {
				p.problem(mt + ": missing closing boundary")
			}
			return
		}
		p.entity(part.Header, part, depth+1, isReport)
	}
}

// leaf files a decoded single part as text, HTML or an attachment.
func (p *parser) leaf(h textproto.Header, mt string, params map[string]string, data []byte) {
	disp, dparams := mediaType(h.Get("Content-Disposition"), "")
	d := wordDecoder{fallback: p.fallback, problem: p.problem}
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = d.decode(name)
	if (mt == "text/plain" || mt == "text/html") && disp != "attachment" && name == "" {
		s, ok := decodeText(mt, params["charset"], data)
		if !ok {
			p.problem(fmt.Sprintf("%s: unknown charset %q", mt, params["charset"]))
		}
		if p.fallback == "" {
			p.fallback = params["charset"]
		}
		if mt == "text/html" {
			p.html = append(p.html, s)
		} else {
			p.plain = append(p.plain, unflow(s, params))
		}
		return
	}
	cid := ""
	if v := ids(h.Get("Content-Id")); len(v) > 0 {
		cid = v[0]
	}
	p.m.Attachments = append(p.m.Attachments, Part{
		Name:        name,
		ContentType: mt,
		ContentID:   cid,
		Inline:      cid != "" && disp != "attachment",
		Data:        data,
	})
}

// decodeBody undoes a part's transfer encoding, within the size budget. A
// part that breaks off keeps what decoded (noted); ok is false when the
// part is dropped.
func (p *parser) decodeBody(h textproto.Header, mt string, body io.Reader) (data []byte, ok bool) {
	var r io.Reader = body
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); enc {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, base64Only{body})
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "", "7bit", "8bit", "binary":
	default:
		p.problem(fmt.Sprintf("%s: unknown transfer encoding %q; kept as is", mt, enc))
	}
	data, err := io.ReadAll(io.LimitReader(r, p.budget+1))
	if int64(len(data)) > p.budget {
		p.problem(mt + ": larger than the message; skipped")
		p.budget = 0
		return nil, false
	}
	p.budget -= int64(len(data))
	if err != nil {
		p.problem(fmt.Sprintf("%s: broken after %d bytes: %v", mt, len(data), err))
	}
	return data, true
}

// base64Only drops what cannot be part of base64 text (line breaks,
// spaces, stray characters), as mail readers do.
type base64Only struct{ r io.Reader }

func (b base64Only) Read(p []byte) (int, error) {
	for {
		n, err := b.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
