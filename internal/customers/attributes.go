package customers

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/attributedefinition"
	"github.com/switchboard/switchboard/internal/apperr"
)

// Limits of custom attribute values.
const (
	// MaxAttributes bounds the keys of one change.
	MaxAttributes = 100
	// MaxStringAttribute is the longest STRING value, in characters.
	MaxStringAttribute = 4096
)

// dateLayout is how DATE values are stored and shown.
const dateLayout = "2006-01-02"

// ApplyAttributes checks changes against the workspace's attribute
// definitions and applies them to a copy of current: every key must be
// defined (INVALID_INPUT for field "customAttributes.<key>" otherwise), a
// value must have its definition's type, and a null value removes the key
// (any key the customer has, defined or not).
// Keys of current that changes does not name are kept as they are. The
// result is nil when no key is left.
//
// Values are stored in one form per type: STRING a string, NUMBER a JSON
// number (integers or decimals; strings are refused), BOOLEAN true or
// false, DATE a "YYYY-MM-DD" string (an RFC 3339 time is accepted and
// reduced to its date as written, in its own offset).
func (s *Service) ApplyAttributes(ctx context.Context, current, changes map[string]any) (map[string]any, error) {
	if len(changes) > MaxAttributes {
		return nil, apperr.Invalid("customAttributes", "at most %d attributes may be given at once", MaxAttributes)
	}
	out := maps.Clone(current)
	if out == nil {
		out = map[string]any{}
	}
	if len(changes) > 0 {
		defs, err := s.definitions(ctx, slices.Collect(maps.Keys(changes)))
		if err != nil {
			return nil, err
		}
		for _, key := range slices.Sorted(maps.Keys(changes)) {
			v := changes[key]
			def, ok := defs[key]
			if _, had := out[key]; v == nil && had {
				delete(out, key) // also a value left from before its definition
				continue
			}
			if !ok {
				return nil, apperr.Invalid("customAttributes."+key, "no attribute %q is defined; create it with createAttributeDefinition first", key)
			}
			if v == nil {
				continue
			}
			nv, err := attributeValue(def.Type, v)
			if err != nil {
				return nil, apperr.Invalid("customAttributes."+key, "%s", err.Error())
			}
			out[key] = nv
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// definitions returns the workspace's definitions of the given names.
func (s *Service) definitions(ctx context.Context, names []string) (map[string]*ent.AttributeDefinition, error) {
	c := s.db(ctx)
	defs, err := c.AttributeDefinition.Query().Where(attributedefinition.NameIn(names...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("customers: attribute definitions: %w", err)
	}
	out := make(map[string]*ent.AttributeDefinition, len(defs))
	for _, d := range defs {
		out[d.Name] = d
	}
	return out, nil
}

// attributeValue returns v in the stored form of typ, or an error fit to
// show saying what is wrong.
func attributeValue(typ attributedefinition.Type, v any) (any, error) {
	switch typ {
	case attributedefinition.TypeSTRING:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a string")
		}
		if n := len([]rune(s)); n > MaxStringAttribute {
			return nil, fmt.Errorf("must be at most %d characters", MaxStringAttribute)
		}
		return s, nil
	case attributedefinition.TypeNUMBER:
		f, ok := attributeNumber(v)
		if !ok {
			return nil, fmt.Errorf("must be a number")
		}
		return f, nil
	case attributedefinition.TypeBOOLEAN:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("must be true or false")
		}
		return b, nil
	case attributedefinition.TypeDATE:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a date (YYYY-MM-DD)")
		}
		d, ok := attributeDate(s)
		if !ok {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return d, nil
	}
	return nil, fmt.Errorf("has an unknown type %s", typ)
}

// attributeNumber reads a JSON number as variables (json.Number) or inline
// literals (int64, float64) give it; strings are not numbers.
func attributeNumber(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		x, err := n.Float64()
		if err != nil {
			return 0, false
		}
		f = x
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		f = float64(n)
	case int32:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// attributeDate reads "YYYY-MM-DD", or an RFC 3339 time reduced to its date.
func attributeDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if d, err := time.Parse(dateLayout, s); err == nil {
		return d.Format(dateLayout), true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Format(dateLayout), true
	}
	return "", false
}
