package schema

import (
	"errors"
	"net/mail"
	"regexp"
	"time"
	_ "time/tzdata" // time zones must resolve on hosts without a tz database

	entschema "entgo.io/ent/schema"

	"github.com/switchboard/switchboard/internal/gid"
)

type schemaAnnotation = entschema.Annotation

// gid0 is the Go type of every id column.
var gid0 = gid.ID("")

var (
	slugPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	// attributeNamePattern: a custom attribute's key, such as plan or signup_date.
	attributeNamePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)
)

func validTimezone(s string) error {
	if _, err := time.LoadLocation(s); err != nil || s == "" || s == "Local" {
		return errors.New("unknown time zone")
	}
	return nil
}

func validEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return errors.New("not a plain email address")
	}
	return nil
}
