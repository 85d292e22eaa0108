package mail

import (
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// htmlPolicy is bluemonday's policy for user content plus cid: image
// sources (inline parts). Built once; a policy is safe for concurrent use.
var htmlPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("cid")
	return p
})

func sanitizeHTML(s string) string {
	return clean(htmlPolicy().Sanitize(s))
}

// Elements whose content is not text to read.
var skipped = map[string]bool{
	"script": true, "style": true, "head": true, "title": true,
	"noscript": true, "template": true, "svg": true, "iframe": true, "object": true,
}

// Elements that stand on their own lines (paragraph-like ones get a blank
// line around them).
var blocks = map[string]bool{
	"div": true, "ul": true, "ol": true, "table": true, "tr": true,
	"section": true, "article": true, "header": true, "footer": true,
	"nav": true, "aside": true, "form": true, "dl": true, "dt": true, "dd": true,
	"center": true, "address": true, "figure": true, "main": true,
}
var paragraphs = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "blockquote": true, "pre": true, "hr": true,
}

// htmlToText renders HTML as readable plain text: paragraphs and line
// breaks kept, links as "text (url)", no script or style content.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var w textWriter
	skip, pre := 0, 0
	var links []link
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		name := tok.Data
		switch tt {
		case html.TextToken:
			if skip == 0 {
				w.text(tok.Data, pre > 0)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			if skipped[name] && tt == html.StartTagToken {
				skip++
			}
			if skip > 0 {
				continue
			}
			switch {
			case name == "br":
				w.newline()
			case name == "li":
				w.breakLine()
				w.text("- ", true)
			case name == "td" || name == "th":
				w.gap()
			case name == "a" && tt == html.StartTagToken:
				links = append(links, link{href: attr(tok, "href"), start: w.b.Len()})
			case name == "pre":
				pre++
				w.paragraph()
			case paragraphs[name]:
				w.paragraph()
			case blocks[name]:
				w.breakLine()
			}
		case html.EndTagToken:
			if skipped[name] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case name == "a" && len(links) > 0:
				l := links[len(links)-1]
				links = links[:len(links)-1]
				w.link(l)
			case name == "pre":
				pre = max(pre-1, 0)
				w.paragraph()
			case paragraphs[name]:
				w.paragraph()
			case blocks[name] || name == "li":
				w.breakLine()
			}
		}
	}
	return w.String()
}

type link struct {
	href  string
	start int // where the link's text begins in the output
}

func attr(t html.Token, key string) string {
	for _, a := range t.Attr {
		if a.Key == key {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

// textWriter collects text, collapsing white space as a browser does.
type textWriter struct {
	b        strings.Builder
	newlines int  // trailing newlines written
	space    bool // a space is pending
}

func (w *textWriter) text(s string, verbatim bool) {
	if verbatim {
		w.flushSpace()
		w.write(s)
		return
	}
	for i, f := range strings.Fields(s) {
		if i > 0 || startsWithSpace(s) {
			w.space = true
		}
		w.flushSpace()
		w.write(f)
	}
	if endsWithSpace(s) {
		w.space = true
	}
}

func (w *textWriter) write(s string) {
	if s == "" {
		return
	}
	w.b.WriteString(s)
	if trail := len(s) - len(strings.TrimRight(s, "\n")); trail == len(s) {
		w.newlines += trail
	} else {
		w.newlines = trail
	}
}

func (w *textWriter) flushSpace() {
	if w.space && w.b.Len() > 0 && w.newlines == 0 {
		w.b.WriteByte(' ')
	}
	w.space = false
}

func (w *textWriter) newline() {
	w.space = false
	w.b.WriteByte('\n')
	w.newlines++
}

func (w *textWriter) breakLine() {
	if w.b.Len() > 0 && w.newlines == 0 {
		w.newline()
	}
	w.space = false
}

func (w *textWriter) paragraph() {
	if w.b.Len() == 0 {
		return
	}
	for w.newlines < 2 {
		w.newline()
	}
}

func (w *textWriter) gap() { w.space = true }

func (w *textWriter) link(l link) {
	href := l.href
	text := strings.TrimSpace(w.b.String()[min(l.start, w.b.Len()):])
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") {
		return
	}
	if bare := strings.TrimPrefix(href, "mailto:"); bare == text || href == text || text == "" {
		if text == "" {
			w.flushSpace()
			w.write(href)
		}
		return
	}
	w.space = false
	w.write(" (" + href + ")")
}

var blankLines = regexp.MustCompile(`\n[ \t]+\n`)

func (w *textWriter) String() string {
	s := blankLines.ReplaceAllString(w.b.String(), "\n\n")
	return strings.TrimSpace(s)
}

func startsWithSpace(s string) bool { return s != "" && isWS(s[0]) }
func endsWithSpace(s string) bool   { return s != "" && isWS(s[len(s)-1]) }
func isWS(c byte) bool              { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
