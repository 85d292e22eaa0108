package autoreply

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"time"

	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/workhours"
)

// Rule keys: a conversation's cooldown is kept per rule.
const (
	KeyWelcome    = "welcome"
	KeyOutOfHours = "out_of_hours"
	KeyBusy       = "all_agents_busy"
)

// KeywordKey is a keyword rule's key: its match and pattern, so a rule
// keeps its cooldown when the list is reordered.
func KeywordKey(k schematype.KeywordReply) string {
	h := sha256.Sum256([]byte(string(k.Match) + "\x00" + k.Pattern))
	return "keyword:" + hex.EncodeToString(h[:8])
}

// keyword is a keyword rule ready to match.
type keyword struct {
	rule schematype.KeywordReply
	re   *regexp.Regexp // REGEX only
}

// compileKeywords prepares rules for matching. A REGEX that does not
// compile (it was checked when saved) never matches.
func compileKeywords(rules []schematype.KeywordReply) []keyword {
	out := make([]keyword, 0, len(rules))
	for _, r := range rules {
		k := keyword{rule: r}
		if r.Match == schematype.MatchRegex {
			k.re, _ = regexp.Compile(r.Pattern)
		}
		out = append(out, k)
	}
	return out
}

// matchKeyword returns the first rule that matches text, or nil. EXACT
// and CONTAINS compare the trimmed text and pattern ignoring case; REGEX
// runs on the trimmed text.
func matchKeyword(ks []keyword, text string) *schematype.KeywordReply {
	text = strings.TrimSpace(text)
	lower := strings.ToLower(text)
	for i := range ks {
		k := &ks[i]
		pattern := strings.TrimSpace(k.rule.Pattern)
		var ok bool
		switch k.rule.Match {
		case schematype.MatchExact:
			ok = strings.EqualFold(text, pattern)
		case schematype.MatchContains:
			ok = pattern != "" && strings.Contains(lower, strings.ToLower(pattern))
		case schematype.MatchRegex:
			ok = k.re != nil && k.re.MatchString(text)
		}
		if ok {
			return &k.rule
		}
	}
	return nil
}

// MatchKeyword returns the first of rules that matches text, or nil.
func MatchKeyword(rules []schematype.KeywordReply, text string) *schematype.KeywordReply {
	return matchKeyword(compileKeywords(rules), text)
}

// NextOpenLayout is how {{channel.nextOpen}} shows the next opening time,
// in the channel's time zone: "Tue 2026-12-01 09:00 (Asia/Shanghai)".
const NextOpenLayout = "Mon 2006-01-02 15:04"

// NextOpen is the next time a channel with working hours wh opens after
// t, as {{channel.nextOpen}} shows it; false when it is open at t, has no
// working hours (always open) or never opens.
func NextOpen(wh *schematype.WorkingHours, t time.Time) (string, bool) {
	if wh == nil || workhours.Open(wh, t) {
		return "", false
	}
	at, ok := workhours.NextChange(wh, t)
	if !ok {
		return "", false
	}
	loc, err := time.LoadLocation(wh.Timezone)
	if err != nil {
		return "", false
	}
	return at.In(loc).Format(NextOpenLayout) + " (" + wh.Timezone + ")", true
}
