package inbox

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

// outgoing is an agent's reply as it will be stored and sent.
type outgoing struct {
	body     string                      // what agents see
	template *schematype.TemplateMessage // set for a template
	files    []gid.ID                    // uploads it carries
	mentions []gid.ID                    // agents a private note mentions (checkMentions)
}

// outgoing checks that an agent's reply on conv can be sent now, as free
// text or as the channel's approved template t, and returns it ready to
// store: free text within the channel's length limit; a template that
// exists, with every parameter given and no other, rendered when the
// channel knows its body. Reply eligibility comes first (see ReplyBlocks):
// only TEMPLATE_REQUIRED lets a template through.
func (s *Service) outgoing(ctx context.Context, conv *ent.Conversation, body string, t *channels.TemplateMessage, files []gid.ID) (outgoing, error) {
	ch, err := s.db(ctx).Channel.Get(ctx, conv.ChannelID)
	if err != nil {
		return outgoing{}, err
	}
	caps := s.capabilities(ch.Kind)
	if t == nil {
		if err := s.checkReply(ctx, conv, ch.Kind, false); err != nil {
			return outgoing{}, err
		}
		if len(files) > 0 && !caps.Attachments {
			return outgoing{}, &apperr.Error{Code: apperr.Conflict, Field: "attachmentIDs",
				Message: fmt.Sprintf("%s channels cannot send files (ChannelCapabilities.attachments)", ch.Kind)}
		}
		return outgoing{body: body, files: files}, checkLength("body", body, caps.MaxLength)
	}
	if !caps.Templates {
		return outgoing{}, apperr.Invalid("template", "%s channels cannot send templates", ch.Kind)
	}
	if strings.TrimSpace(body) != "" {
		return outgoing{}, apperr.Invalid("body", "must be empty when template is set: the template is the message")
	}
	if err := s.checkReply(ctx, conv, ch.Kind, true); err != nil {
		return outgoing{}, err
	}
	list, err := s.templates(ctx, ch)
	if err != nil {
		return outgoing{}, err
	}
	i := slices.IndexFunc(list, func(x channels.Template) bool {
		return x.ID == t.ID && (t.Language == "" || x.Language == t.Language)
	})
	if i < 0 {
		if t.Language != "" {
			return outgoing{}, apperr.Invalid("template.templateID", "the channel has no template %q in language %q", t.ID, t.Language)
		}
		return outgoing{}, apperr.Invalid("template.templateID", "the channel has no template %q", t.ID)
	}
	tmpl := list[i]
	values, err := templateValues(tmpl, t.Params)
	if err != nil {
		return outgoing{}, err
	}
	text := ""
	if tmpl.Body != "" {
		text = renderTemplate(tmpl.Body, values)
		if err := checkLength("template", text, caps.MaxLength); err != nil {
			return outgoing{}, err
		}
	}
	stored := &schematype.TemplateMessage{ID: tmpl.ID, Language: tmpl.Language, Text: text}
	if len(values) > 0 {
		stored.Params = make(map[string]any, len(values))
		for k, v := range values {
			stored.Params[k] = v
		}
	}
	shown := text
	if shown == "" {
		shown = "[template " + cmp.Or(tmpl.Name, tmpl.ID) + "]"
	}
	if err := checkBody(shown); err != nil {
		return outgoing{}, err
	}
	return outgoing{body: shown, template: stored}, nil
}

// templateValues checks the parameters given for tmpl: every one of its
// parameters, no other, each a string, number or boolean.
func templateValues(tmpl channels.Template, params map[string]any) (map[string]string, error) {
	values := make(map[string]string, len(params))
	var unknown []string
	for k, v := range params {
		if !slices.Contains(tmpl.Params, k) {
			unknown = append(unknown, k)
			continue
		}
		switch v := v.(type) {
		case string:
			values[k] = v
		case bool, int, int64, float64, interface{ String() string }:
			values[k] = fmt.Sprint(v)
		default:
			return nil, apperr.Invalid("template.params", "parameter %q must be a string, number or boolean", k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, apperr.Invalid("template.params", "template %q has no parameter %q (it has: %s)",
			tmpl.ID, unknown[0], strings.Join(tmpl.Params, ", "))
	}
	for _, p := range tmpl.Params {
		if _, ok := values[p]; !ok {
			return nil, apperr.Invalid("template.params", "parameter %q of template %q is missing", p, tmpl.ID)
		}
	}
	return values, nil
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

// renderTemplate fills a template body's {{name}} placeholders; an
// unknown name stays as it is.
func renderTemplate(body string, values map[string]string) string {
	return placeholder.ReplaceAllStringFunc(body, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		if v, ok := values[name]; ok {
			return v
		}
		return m
	})
}

// checkLength refuses a text longer than the channel sends.
func checkLength(field, text string, max int) error {
	if n := utf8.RuneCountInString(text); max > 0 && n > max {
		return apperr.Invalid(field, "is %d characters; this channel sends at most %d", n, max)
	}
	return nil
}

// templates lists a channel's templates (Channel.templates).
func (s *Service) templates(ctx context.Context, ch *ent.Channel) ([]channels.Template, error) {
	if s.listTemplates == nil {
		return nil, nil
	}
	return s.listTemplates(ctx, ch)
}
