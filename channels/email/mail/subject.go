package mail

import (
	"regexp"
	"strings"
)

var hook = regexp.MustCompile(`\[#([0-9a-z]{20,32})\]`)

// ThreadHook finds a conversation hook in a subject, "[#<key>]" with a
// lower-case base32 key of 20 to 32 characters, and returns the key or "".
func ThreadHook(subject string) string {
	if m := hook.FindStringSubmatch(subject); m != nil {
		return m[1]
	}
	return ""
}

// replyPrefix matches one reply prefix: Re, RE, Re[2], Re(2), AW (German),
// SV (Nordic), Antw (Dutch), 回复/回覆/答复/答覆, with an ASCII or full-width
// colon. Forward prefixes (Fwd, FW, 转发) are not reply prefixes.
var replyPrefix = regexp.MustCompile(`^\s*(?i:re|aw|sv|antw|回复|回覆|答复|答覆)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*`)

// ReplySubject is "Re: <subject>" without stacking reply prefixes.
func ReplySubject(subject string) string {
	s := strings.TrimSpace(subject)
	for {
		loc := replyPrefix.FindStringIndex(s)
		if loc == nil {
			break
		}
		s = s[loc[1]:]
	}
	return strings.TrimSpace("Re: " + s)
}
