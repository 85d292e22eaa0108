package mail

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		if raw, err := os.ReadFile(name); err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			return
		}
		checkClean(t, m)
		for _, s := range []string{m.Subject, m.Text} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8: %q", s)
			}
		}
		total := 0
		for _, a := range m.Attachments {
			total += len(a.Data)
		}
		if total > len(raw) {
			t.Fatalf("%d attachment bytes from %d raw", total, len(raw))
		}
		_ = Trim(m.Text)
		_ = ReplySubject(m.Subject)
		_ = ThreadHook(m.Subject)
	})
}
