package api

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"

	"github.com/switchboard/switchboard/channels"
)

const maxTemplates = 200

var (
	paramName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	placeholder = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
)

// templates reads the "templates" setting: a list of {id, name, language,
// params, body} objects. Its errors are about the setting.
func templates(v any) ([]channels.Template, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, channels.SettingError("templates", "templates must be a list of {id, name, language, params, body} objects")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var list []channels.Template
	if err := dec.Decode(&list); err != nil {
		return nil, channels.SettingError("templates", "templates must be a list of {id, name, language, params, body} objects: %v", err)
	}
	if len(list) > maxTemplates {
		return nil, channels.SettingError("templates", "templates holds %d templates, at most %d", len(list), maxTemplates)
	}
	ids := map[string]bool{}
	for i, t := range list {
		switch {
		case t.ID == "":
			return nil, channels.SettingError("templates", "templates[%d].id is required", i)
		case ids[t.ID]:
			return nil, channels.SettingError("templates", "templates[%d].id %q is used twice", i, t.ID)
		case t.Name == "":
			return nil, channels.SettingError("templates", "templates[%d].name is required", i)
		}
		ids[t.ID] = true
		for j, p := range t.Params {
			if !paramName.MatchString(p) || slices.Index(t.Params, p) != j {
				return nil, channels.SettingError("templates", "templates[%d].params[%d] must be a unique name of letters, digits and _", i, j)
			}
		}
		for _, m := range placeholder.FindAllStringSubmatch(t.Body, -1) {
			if !slices.Contains(t.Params, m[1]) {
				return nil, channels.SettingError("templates", "templates[%d].body uses {{%s}}, which is not in its params", i, m[1])
			}
		}
		if t.Params == nil {
			list[i].Params = []string{}
		}
	}
	return list, nil
}

// Templates implements channels.Templater: the channel's "templates"
// setting.
func (*Adapter) Templates(_ context.Context, c *channels.Config) ([]channels.Template, error) {
	return templates(c.Settings["templates"])
}
