package identity

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/ent/customeridentity"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		kind       customeridentity.Kind
		in, region string
		want       string
		wantErr    bool
	}{
		{customeridentity.KindEMAIL, "  Ann.Lee@Example.COM ", "", "ann.lee@example.com", false},
		{customeridentity.KindEMAIL, "not an email", "", "", true},
		{customeridentity.KindEMAIL, "Ann <ann@example.com>", "", "", true},
		{customeridentity.KindEMAIL, "\tBOB+Tag@Example.Org\n", "", "bob+tag@example.org", false},
		{customeridentity.KindEMAIL, "bob@", "", "", true},
		{customeridentity.KindEMAIL, "@example.com", "", "", true},
		{customeridentity.KindEMAIL, "a b@example.com", "", "", true},
		{customeridentity.KindEMAIL, strings.Repeat("a", MaxValue) + "@example.com", "", "", true},
		{customeridentity.KindPHONE, "13800138000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "138 0013 8000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "138-0013-8000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "+86 138 0013 8000", "US", "+8613800138000", false},
		{customeridentity.KindPHONE, "0086 138 0013 8000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "+8613800138000", "", "+8613800138000", false},
		{customeridentity.KindPHONE, "(415) 555-2671", "US", "+14155552671", false},
		{customeridentity.KindPHONE, "020 7946 0018", "GB", "+442079460018", false},
		{customeridentity.KindPHONE, "+86 138-0013-8000", "US", "+8613800138000", false},
		{customeridentity.KindPHONE, "+86 (138) 0013 8000", "GB", "+8613800138000", false},
		{customeridentity.KindPHONE, "0086-138-0013-8000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "00 86 138 0013 8000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "008613800138000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "138.0013.8000", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "\t138 0013 8000\n", "CN", "+8613800138000", false},
		{customeridentity.KindPHONE, "13800138000", "cn", "+8613800138000", false},
		{customeridentity.KindPHONE, "010 1234 5678", "CN", "+861012345678", false},
		{customeridentity.KindPHONE, "+1 415 555 2671", "CN", "+14155552671", false},
		{customeridentity.KindPHONE, "011 86 138 0013 8000", "US", "+8613800138000", false},
		{customeridentity.KindPHONE, "hello", "CN", "", true},
		{customeridentity.KindPHONE, "12", "CN", "", true},
		{customeridentity.KindEXTERNAL_ID, " crm-42 ", "", "crm-42", false},
		{customeridentity.KindEXTERNAL_ID, "   ", "", "", true},
	} {
		got, err := Normalize("value", c.kind, c.in, c.region)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("Normalize(%s, %q, %s) = %q, %v; want %q, error %v", c.kind, c.in, c.region, got, err, c.want, c.wantErr)
		}
	}
}
