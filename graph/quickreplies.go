package graph

import (
	"fmt"

	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/schematype"
)

// quickReplyTemplate maps a quick reply's template input; parameters
// must be texts.
func quickReplyTemplate(in *model.QuickReplyTemplateInput) (*schematype.QuickReplyTemplate, error) {
	if in == nil {
		return nil, nil
	}
	t := &schematype.QuickReplyTemplate{TemplateID: in.TemplateID, Language: deref(in.Language)}
	if len(in.Params) > 0 {
		t.Params = make(map[string]string, len(in.Params))
	}
	for k, v := range in.Params {
		s, ok := v.(string)
		if !ok {
			return nil, apperr.Invalid(fmt.Sprintf("template.params.%s", k), "must be a text (it may hold variables)")
		}
		t.Params[k] = s
	}
	return t, nil
}

// quickReplyTemplateOut is the GraphQL shape of a stored template.
func quickReplyTemplateOut(t *schematype.QuickReplyTemplate) *model.QuickReplyTemplate {
	if t == nil {
		return nil
	}
	out := &model.QuickReplyTemplate{TemplateID: t.TemplateID}
	if t.Language != "" {
		out.Language = &t.Language
	}
	if len(t.Params) > 0 {
		out.Params = make(map[string]any, len(t.Params))
		for k, v := range t.Params {
			out.Params[k] = v
		}
	}
	return out
}
