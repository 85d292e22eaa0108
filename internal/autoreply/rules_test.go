package autoreply

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/schematype"
)

func TestMatchKeyword(t *testing.T) {
	rules := []schematype.KeywordReply{
		{Match: schematype.MatchExact, Pattern: "Hours", Body: "exact"},
		{Match: schematype.MatchContains, Pattern: "refund", Body: "contains"},
		{Match: schematype.MatchRegex, Pattern: `^order\s+#?\d{4,}$`, Body: "regex"},
		{Match: schematype.MatchRegex, Pattern: `(?i)price`, Body: "regex-ci"},
		{Match: schematype.MatchContains, Pattern: "refund policy", Body: "never: an earlier rule wins"},
	}
	for _, tc := range []struct{ text, want string }{
		{"hours", "exact"},
		{"  HOURS \n", "exact"},
		{"opening hours", ""},
		{"I want a REFUND please", "contains"},
		{"refund policy?", "contains"},
		{"order #12345", "regex"},
		{"ORDER 12345", ""}, // RE2 is case-sensitive unless (?i)
		{"  order 9999  ", "regex"},
		{"order 12", ""},
		{"What PRICE?", "regex-ci"},
		{"", ""},
		{"hello", ""},
	} {
		got := ""
		if k := MatchKeyword(rules, tc.text); k != nil {
			got = k.Body
		}
		if got != tc.want {
			t.Errorf("MatchKeyword(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestCheckKeywords(t *testing.T) {
	k := func(m schematype.KeywordMatch, p string) []*schematype.KeywordReply {
		return []*schematype.KeywordReply{{Match: m, Pattern: p, Body: "ok"}}
	}
	for _, tc := range []struct {
		name  string
		in    []*schematype.KeywordReply
		field string // "" when valid
	}{
		{"exact", k(schematype.MatchExact, " hi "), ""},
		{"regex", k(schematype.MatchRegex, `^\d+$`), ""},
		{"bad regex", k(schematype.MatchRegex, `(unclosed`), "input.keywords[0].pattern"},
		{"empty", k(schematype.MatchContains, "   "), "input.keywords[0].pattern"},
		{"at the cap", k(schematype.MatchContains, strings.Repeat("é", MaxPattern)), ""},
		{"over the cap", k(schematype.MatchRegex, strings.Repeat("a", MaxPattern+1)), "input.keywords[0].pattern"},
		{"bad match", k("FUZZY", "x"), "input.keywords[0].match"},
		{"bad body", []*schematype.KeywordReply{{Match: schematype.MatchExact, Pattern: "x", Body: "{{queue.position}}"}}, "input.keywords[0].body"},
		{"empty body", []*schematype.KeywordReply{{Match: schematype.MatchExact, Pattern: "x", Body: " "}}, "input.keywords[0].body"},
	} {
		_, err := checkKeywords(tc.in)
		var ae *apperr.Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (err == nil || !asApp(err, &ae) || ae.Field != tc.field || ae.Code != apperr.InvalidInput):
			t.Errorf("%s: got %v, want INVALID_INPUT on %s", tc.name, err, tc.field)
		}
	}
	if got, _ := checkKeywords(k(schematype.MatchExact, " hi ")); got[0].Pattern != "hi" {
		t.Errorf("EXACT patterns are stored trimmed, got %q", got[0].Pattern)
	}
}

func asApp(err error, ae **apperr.Error) bool {
	e, ok := err.(*apperr.Error)
	*ae = e
	return ok
}

func TestNextOpen(t *testing.T) {
	weekdays := []schematype.WeeklyInterval{}
	for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"} {
		weekdays = append(weekdays, schematype.WeeklyInterval{Day: d, Start: "09:00", End: "18:00"})
	}
	shanghai := &schematype.WorkingHours{Timezone: "Asia/Shanghai", Weekly: weekdays, Holidays: []string{"2026-12-01"}}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		wh   *schematype.WorkingHours
		at   time.Time
		want string // "" when open
	}{
		// Sunday 23:30 UTC is already Monday 07:30 in Shanghai.
		{"across midnight", shanghai, utc("2026-11-29T23:30:00Z"), "Mon 2026-11-30 09:00 (Asia/Shanghai)"},
		{"saturday UTC, sunday local", shanghai, utc("2026-11-28T16:30:00Z"), "Mon 2026-11-30 09:00 (Asia/Shanghai)"},
		{"open", shanghai, utc("2026-11-30T02:00:00Z"), ""},
		// Monday 19:00 local; Tuesday is a holiday.
		{"over a holiday", shanghai, utc("2026-11-30T11:00:00Z"), "Wed 2026-12-02 09:00 (Asia/Shanghai)"},
		{"on the holiday", shanghai, utc("2026-12-01T03:00:00Z"), "Wed 2026-12-02 09:00 (Asia/Shanghai)"},
		{"no working hours", nil, utc("2026-11-29T23:30:00Z"), ""},
		{"never open", &schematype.WorkingHours{Timezone: "UTC"}, utc("2026-11-29T23:30:00Z"), ""},
	} {
		got, ok := NextOpen(tc.wh, tc.at)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: NextOpen = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

func TestKeywordKey(t *testing.T) {
	a := KeywordKey(schematype.KeywordReply{Match: schematype.MatchExact, Pattern: "hi", Body: "one"})
	b := KeywordKey(schematype.KeywordReply{Match: schematype.MatchExact, Pattern: "hi", Body: "two"})
	c := KeywordKey(schematype.KeywordReply{Match: schematype.MatchContains, Pattern: "hi"})
	if a != b || a == c || !strings.HasPrefix(a, "keyword:") {
		t.Errorf("keys: %q %q %q", a, b, c)
	}
}
