// Package identity normalises the identifiers customers are recognised by,
// so that one person's email or phone number written in different forms is
// one value: emails trimmed and lower-cased, phone numbers in E.164 (read
// in the workspace's default region when written nationally).
package identity

import (
	"net/mail"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/schematype"
)

// MaxValue is the longest identity value, in bytes.
const MaxValue = schematype.MaxIdentityValue

// Normalize returns the canonical form of an identity value, or an
// INVALID_INPUT error for field naming what is wrong. region is the ISO
// 3166 region national phone numbers are read in (the workspace's
// default_phone_region).
func Normalize(field string, kind customeridentity.Kind, value, region string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", apperr.Invalid(field, "must not be empty")
	}
	if len(value) > MaxValue {
		return "", apperr.Invalid(field, "must be at most %d bytes", MaxValue)
	}
	switch kind {
	case customeridentity.KindEMAIL:
		e := strings.ToLower(value)
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return "", apperr.Invalid(field, "%q is not an email address", value)
		}
		return e, nil
	case customeridentity.KindPHONE:
		p, ok := Phone(value, region)
		if !ok {
			return "", apperr.Invalid(field, "%q is not a phone number", value)
		}
		return p, nil
	}
	return value, nil
}

// Phone returns a phone number in E.164, reading national numbers in
// region; "00" and other international prefixes are understood.
func Phone(value, region string) (string, bool) {
	region = strings.ToUpper(region)
	if region == "" {
		region = "US"
	}
	n, err := phonenumbers.Parse(value, region)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// Exclusive kinds identify one person only: two different verified values
// of one such kind on two customers mean two people, so they never merge
// automatically.
func Exclusive(kind customeridentity.Kind) bool {
	return kind == customeridentity.KindEXTERNAL_ID
}
