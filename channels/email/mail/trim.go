package mail

import (
	"regexp"
	"strings"
)

// Lines that start the quoted history of a reply.
var historyStart = []*regexp.Regexp{
	regexp.MustCompile(`^On\s.{4,}\swrote:\s*$`),                                   // Gmail, Apple Mail
	regexp.MustCompile(`^在.{4,}写道[:：]\s*$`),                                        // 网易, Gmail (Chinese)
	regexp.MustCompile(`^.{2,}于.{4,}写道[:：]\s*$`),                                   // Gmail (Chinese): "张三 <a@b.c> 于2026年11月28日周六 10:00写道："
	regexp.MustCompile(`(?i)^\s*-{2,}\s*(Original Message|原始邮件|原始郵件)\s*-{2,}\s*$`), // Outlook, QQ mail
	regexp.MustCompile(`(?i)^\s*-{2,}\s*Reply message\s*-{2,}\s*$`),
}

var (
	outlookFrom  = regexp.MustCompile(`(?i)^\s*\*?(From|发件人|寄件者|De|Von)\s*\*?\s*[:：]`)
	outlookField = regexp.MustCompile(`(?i)^\s*\*?(Sent|Date|To|Subject|Cc|发送时间|日期|时间|收件人|主题|抄送|寄件日期|傳送時間|主旨)\s*\*?\s*[:：]`)
	underscores  = regexp.MustCompile(`^\s*_{10,}\s*$`)
)

// Trim returns the part of a reply's text the inbox shows: the new text
// without the quoted history ("> " lines at the end; "On <date>, <name>
// wrote:", "在 ... 写道：", "-----Original Message-----", QQ mail's
// "原始邮件" line or an Outlook "From:"/"发件人:" block, and everything
// after them) and without a signature after a "-- " line. A non-empty text
// that is all quote is returned trimmed rather than as "".
func Trim(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	lines = lines[:historyIndex(lines)]
	for i, l := range lines {
		if l == "-- " || l == "--" {
			lines = lines[:i]
			break
		}
	}
	for len(lines) > 0 {
		l := strings.TrimSpace(lines[len(lines)-1])
		if l != "" && !strings.HasPrefix(l, ">") {
			break
		}
		lines = lines[:len(lines)-1]
	}
	out := strings.TrimSpace(strings.Join(lines, "\n"))
	if out == "" {
		return strings.TrimSpace(text)
	}
	return out
}

// historyIndex is the index of the line where the quoted history starts,
// or len(lines).
func historyIndex(lines []string) int {
	for i, l := range lines {
		t := strings.TrimSpace(l)
		for _, re := range historyStart {
			if re.MatchString(t) {
				return i
			}
		}
		// "On ..." wrapped onto a second line by the sender's client.
		if i+1 < len(lines) && strings.HasPrefix(t, "On ") && historyStart[0].MatchString(t+" "+strings.TrimSpace(lines[i+1])) {
			return i
		}
		if outlookFrom.MatchString(t) && outlookBlock(lines[i+1:]) {
			if i > 0 && underscores.MatchString(lines[i-1]) {
				return i - 1
			}
			return i
		}
	}
	return len(lines)
}

// outlookBlock reports whether the lines after a "From:" line carry at
// least two more header-like fields, as a quoted Outlook header does.
func outlookBlock(rest []string) bool {
	n := 0
	for _, l := range rest[:min(len(rest), 6)] {
		if outlookField.MatchString(l) {
			n++
		}
	}
	return n >= 2
}
