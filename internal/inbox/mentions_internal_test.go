package inbox

import (
	"slices"
	"testing"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

func TestDistinctMentions(t *testing.T) {
	a, b, c := gid.New("Agent"), gid.New("Agent"), gid.New("Agent")
	many := make([]gid.ID, MaxMentions+1)
	for i := range many {
		many[i] = gid.New("Agent")
	}
	repeated := append(slices.Clone(many[:MaxMentions]), many[:MaxMentions]...)
	for _, tc := range []struct {
		name    string
		ids     []gid.ID
		private bool
		want    []mention
		code    apperr.Code
	}{
		{name: "none on a reply", ids: nil, private: false},
		{name: "none on a note", ids: []gid.ID{}, private: true},
		{name: "on a reply", ids: []gid.ID{a}, private: false, code: apperr.InvalidInput},
		{name: "in order", ids: []gid.ID{b, a, c}, private: true, want: []mention{{b, 0}, {a, 1}, {c, 2}}},
		{name: "repeats collapse to the first", ids: []gid.ID{a, b, a, c, b}, private: true, want: []mention{{a, 0}, {b, 1}, {c, 3}}},
		{name: "over the cap", ids: many, private: true, code: apperr.InvalidInput},
		{name: "the cap counts distinct ids", ids: repeated, private: true, want: func() []mention {
			out := make([]mention, MaxMentions)
			for i := range out {
				out[i] = mention{many[i], i}
			}
			return out
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := distinctMentions(tc.ids, tc.private)
			if apperr.CodeOf(err) != tc.code || (tc.code == "") != (err == nil) {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
