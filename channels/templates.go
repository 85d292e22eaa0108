package channels

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
)

// MaxTemplates is the most templates a templates setting may list.
const MaxTemplates = 200

var (
	templateParam       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	templatePlaceholder = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
)

// ParseTemplates reads a templates setting named field: a list of {id,
// name, language, params, body} objects (Template's JSON), ids unique,
// params unique names of letters, digits and _, every {{placeholder}} of
// a body among its params. Its errors are FieldErrors about the setting.
// A nil value is no templates.
func ParseTemplates(field string, v any) ([]Template, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, SettingError(field, "%s must be a list of {id, name, language, params, body} objects", field)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var list []Template
	if err := dec.Decode(&list); err != nil {
		return nil, SettingError(field, "%s must be a list of {id, name, language, params, body} objects: %v", field, err)
	}
	if len(list) > MaxTemplates {
		return nil, SettingError(field, "%s holds %d templates, at most %d", field, len(list), MaxTemplates)
	}
	ids := map[string]bool{}
	for i, t := range list {
		switch {
		case t.ID == "":
			return nil, SettingError(field, "%s[%d].id is required", field, i)
		case ids[t.ID]:
			return nil, SettingError(field, "%s[%d].id %q is used twice", field, i, t.ID)
		case t.Name == "":
			return nil, SettingError(field, "%s[%d].name is required", field, i)
		}
		ids[t.ID] = true
		for j, p := range t.Params {
			if !templateParam.MatchString(p) || slices.Index(t.Params, p) != j {
				return nil, SettingError(field, "%s[%d].params[%d] must be a unique name of letters, digits and _", field, i, j)
			}
		}
		for _, m := range templatePlaceholder.FindAllStringSubmatch(t.Body, -1) {
			if !slices.Contains(t.Params, m[1]) {
				return nil, SettingError(field, "%s[%d].body uses {{%s}}, which is not in its params", field, i, m[1])
			}
		}
		if t.Params == nil {
			list[i].Params = []string{}
		}
	}
	return list, nil
}
