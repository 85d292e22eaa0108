package smtp

import (
	"context"
	"fmt"
	"html"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/emersion/go-message"
	"github.com/switchboard/switchboard/channels"
)

// writeBody writes the header h, a Content-Type and the body to w.
func writeBody(ctx context.Context, w io.Writer, h [][2]string, c Config, m Mail) error {
	id, _ := msgID(m.MessageID)
	alt := mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary(id, "alt")})
	top := alt
	if len(m.Attachments) > 0 {
		top = mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary(id, "mixed")})
	}
	mw, err := message.CreateWriter(w, newHeader(append(h, [2]string{"Content-Type", top})...))
	if err != nil {
		return channels.Permanent("smtp: writing the header: %v", err)
	}
	aw := mw
	if len(m.Attachments) > 0 {
		if aw, err = mw.CreatePart(newHeader([2]string{"Content-Type", alt})); err != nil {
			return channels.Permanent("smtp: %v", err)
		}
	}
	text, htm := bodies(m.Text, m.HTML, c.Signature)
	for _, p := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", htm}} {
		if err := writePart(aw, p.typ+"; charset=utf-8", "quoted-printable", strings.NewReader(p.body)); err != nil {
			return channels.Permanent("smtp: writing the %s part: %v", p.typ, err)
		}
	}
	if len(m.Attachments) > 0 {
		if err := aw.Close(); err != nil {
			return channels.Permanent("smtp: %v", err)
		}
	}
	for _, a := range m.Attachments {
		if err := writeAttachment(ctx, mw, a); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return channels.Permanent("smtp: %v", err)
	}
	return nil
}

func writePart(mw *message.Writer, contentType, encoding string, r io.Reader, extra ...[2]string) error {
	fields := append([][2]string{{"Content-Type", contentType}}, extra...)
	fields = append(fields, [2]string{"Content-Transfer-Encoding", encoding})
	pw, err := mw.CreatePart(newHeader(fields...))
	if err != nil {
		return err
	}
	if _, err := io.Copy(pw, r); err != nil {
		pw.Close()
		return err
	}
	return pw.Close()
}

// writeAttachment writes a base64 part. An attachment that cannot be
// opened or read is a transient error (storage may recover); one without
// Open is permanent.
func writeAttachment(ctx context.Context, mw *message.Writer, a channels.Attachment) error {
	if a.Open == nil {
		return channels.Permanent("smtp: attachment %q cannot be read (no Open)", a.Name)
	}
	if err := ctx.Err(); err != nil {
		return channels.Transient(err, "smtp: reading attachment %q", a.Name)
	}
	name := oneLine(a.Name)
	if name == "" {
		name = "attachment"
	}
	rc, err := a.Open(ctx)
	if err != nil {
		return channels.Transient(err, "smtp: opening attachment %q", name)
	}
	defer rc.Close()
	err = writePart(mw, attachmentType(a.ContentType, name)+param("name", name), "base64", rc,
		[2]string{"Content-Disposition", "attachment" + param("filename", name)})
	if err != nil {
		return channels.Transient(err, "smtp: reading attachment %q", name)
	}
	return nil
}

// attachmentType is a clean media type for an attachment (its parameters
// kept, but no name). Multipart and message types become
// application/octet-stream: they may not be base64 encoded.
func attachmentType(contentType, name string) string {
	if contentType == "" {
		contentType = mime.TypeByExtension(path.Ext(name))
	}
	t, params, err := mime.ParseMediaType(contentType)
	if err != nil || strings.HasPrefix(t, "multipart/") || strings.HasPrefix(t, "message/") {
		return "application/octet-stream"
	}
	delete(params, "name")
	if s := mime.FormatMediaType(t, params); s != "" {
		return s
	}
	return "application/octet-stream"
}

// param formats "; key=value": quoted when the value is short ASCII, else
// RFC 2231 encoded in UTF-8, split into continuations so that header lines
// fold short.
func param(key, value string) string {
	if len(value) <= 60 && isPlainASCII(value) {
		return "; " + mime.FormatMediaType("x", map[string]string{key: value})[len("x; "):]
	}
	const chunk = 40
	var parts []string
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		enc := string(c)
		if !isAttrChar(c) {
			enc = fmt.Sprintf("%%%02X", c)
		}
		if b.Len()+len(enc) > chunk {
			parts = append(parts, b.String())
			b.Reset()
		}
		b.WriteString(enc)
	}
	parts = append(parts, b.String())
	if len(parts) == 1 {
		return "; " + key + "*=utf-8''" + parts[0]
	}
	var s strings.Builder
	for i, p := range parts {
		if i == 0 {
			p = "utf-8''" + p
		}
		fmt.Fprintf(&s, "; %s*%d*=%s", key, i, p)
	}
	return s.String()
}

// isAttrChar reports whether c may stand unencoded in an RFC 2231 value.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// bodies returns the text and HTML bodies, each with the signature.
func bodies(text, htm, signature string) (string, string) {
	text = strings.TrimRight(normalizeNewlines(text), " \t\n")
	signature = strings.TrimRight(normalizeNewlines(signature), " \t\n")
	plain := text + "\n"
	if signature != "" {
		plain = text + "\n\n-- \n" + signature + "\n"
	}
	if htm == "" {
		return plain, "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"></head>\n<body>\n" +
			paragraphs(text) + signatureHTML(signature) + "</body>\n</html>\n"
	}
	htm = normalizeNewlines(htm)
	if sig := signatureHTML(signature); sig != "" {
		if i := strings.LastIndex(strings.ToLower(htm), "</body>"); i >= 0 {
			htm = htm[:i] + sig + htm[i:]
		} else {
			htm = strings.TrimRight(htm, "\n") + "\n" + sig
		}
	}
	return plain, htm
}

// paragraphs renders text as HTML: blank lines separate paragraphs, line
// breaks become <br>.
func paragraphs(text string) string {
	var b strings.Builder
	var para []string
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + strings.Join(para, "<br>\n") + "</p>\n")
			para = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		para = append(para, html.EscapeString(line))
	}
	flush()
	return b.String()
}

func signatureHTML(signature string) string {
	if signature == "" {
		return ""
	}
	lines := strings.Split(html.EscapeString(signature), "\n")
	return "<div class=\"signature\">-- <br>\n" + strings.Join(lines, "<br>\n") + "</div>\n"
}

func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
