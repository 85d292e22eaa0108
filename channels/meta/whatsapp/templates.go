package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

// Template caching: the list fetched from the WhatsApp Business Account is
// kept in the channel's State for cacheFor; a fetch takes at most
// fetchTimeout (Templates may run inside a request).
const (
	cacheKey     = "templates"
	cacheFor     = 10 * time.Minute
	fetchTimeout = 10 * time.Second
	writeTimeout = 15 * time.Second
	maxTemplates = 500
	maxPages     = 20
)

var (
	templateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	languageCode = regexp.MustCompile(`^[a-z]{2,3}(_[A-Za-z]{2,4})?$`)
	paramName    = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	placeholder  = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)
)

// Templates implements channels.Templater: the "templates" setting when
// it lists any; else the approved templates of the WhatsApp Business
// Account (wabaID), from the channel's State when fetched less than 10
// minutes ago. A template's ID is its WhatsApp name (what a send names),
// its Language the language code; a name approved in several languages is
// listed once per language. Params are the body's placeholders: "1", "2"…
// in order (or the names of a template with named parameters).
func (a *Adapter) Templates(ctx context.Context, c *channels.Config) ([]channels.Template, error) {
	if hasSettingTemplates(c) {
		return settingTemplates(c.Settings[SettingTemplates])
	}
	waba := c.Setting(SettingWABAID)
	if waba == "" {
		return nil, nil
	}
	cached := readCache(ctx, c, waba)
	if cached != nil && c.Time().Sub(cached.FetchedAt) < cacheFor && !cached.FetchedAt.After(c.Time()) {
		return cached.Templates, nil
	}
	return a.refreshTemplates(ctx, c, waba, cached, false)
}

// templateCache is what the State keeps under cacheKey.
type templateCache struct {
	WABA      string              `json:"waba"`
	FetchedAt time.Time           `json:"fetchedAt"`
	Templates []channels.Template `json:"templates"`
	version   int64
}

func readCache(ctx context.Context, c *channels.Config, waba string) *templateCache {
	if c.State == nil {
		return nil
	}
	raw, ver, err := c.State.Get(ctx, cacheKey)
	if err != nil || raw == nil {
		return nil
	}
	var tc templateCache
	if json.Unmarshal(raw, &tc) != nil || tc.WABA != waba {
		return &templateCache{version: ver} // unusable: replaced on the next fetch
	}
	tc.version = ver
	return &tc
}

// refreshTemplates fetches the account's templates and caches them. A
// failed fetch falls back on a stale list when there is one. The cache is
// written at once when sync (Verify, outside any transaction), else by a
// short-lived goroutine: Templates may run inside the caller's database
// transaction, which on SQLite holds the only write lock.
func (a *Adapter) refreshTemplates(ctx context.Context, c *channels.Config, waba string, stale *templateCache, sync bool) ([]channels.Template, error) {
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	list, err := fetchTemplates(fctx, meta.GraphOf(c), waba)
	if err != nil {
		if stale != nil && stale.WABA == waba {
			return stale.Templates, nil
		}
		return nil, err
	}
	if c.State == nil {
		return list, nil
	}
	var version int64
	if stale != nil {
		version = stale.version
	} else if _, v, err := c.State.Get(ctx, cacheKey); err == nil {
		version = v
	}
	raw, _ := json.Marshal(templateCache{WABA: waba, FetchedAt: c.Time(), Templates: list})
	if len(raw) > channels.MaxStateValue {
		return list, nil // Unconfirmed: an account with that many templates is fetched every time
	}
	write := func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		// ErrStale: another instance cached a list just now; either is fine.
		_, _ = c.State.CompareAndSet(ctx, cacheKey, raw, version)
	}
	if sync {
		write(ctx)
	} else {
		go write(context.WithoutCancel(ctx))
	}
	return list, nil
}

// graphTemplate is a template as GET /{waba}/message_templates lists it.
type graphTemplate struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Language   string `json:"language"`
	Status     string `json:"status"`
	Components []struct {
		Type    string `json:"type"`   // HEADER, BODY, FOOTER, BUTTONS
		Format  string `json:"format"` // a header's: TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION
		Text    string `json:"text"`
		Buttons []struct {
			Type string `json:"type"` // QUICK_REPLY, URL, PHONE_NUMBER, OTP, COPY_CODE, FLOW...
			URL  string `json:"url"`
		} `json:"buttons"`
	} `json:"components"`
}

// fetchTemplates lists the account's APPROVED templates, following the
// paging cursors.
func fetchTemplates(ctx context.Context, g meta.Graph, waba string) ([]channels.Template, error) {
	var out []channels.Template
	after := ""
	for range maxPages {
		q := url.Values{"fields": {"name,language,status,components"}, "limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Data   []graphTemplate `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := g.Do(ctx, http.MethodGet, "/"+waba+"/message_templates", q, nil, &page); err != nil {
			return nil, err
		}
		for _, t := range page.Data {
			if tp, ok := usable(t); ok && len(out) < maxTemplates {
				out = append(out, tp)
			}
		}
		if page.Paging.Next == "" || page.Paging.Cursors.After == "" || page.Paging.Cursors.After == after {
			break
		}
		after = page.Paging.Cursors.After
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || (out[i].Name == out[j].Name && out[i].Language < out[j].Language)
	})
	return out, nil
}

// usable is an approved template an agent can send with body parameters
// only. Templates that need more (a media header, a header or URL button
// with a variable, one-time-password and catalog buttons, carousels) are
// left out: Switchboard has nothing to fill them with.
func usable(t graphTemplate) (channels.Template, bool) {
	if t.Status != "APPROVED" || t.Name == "" || t.Language == "" {
		return channels.Template{}, false
	}
	tp := channels.Template{ID: t.Name, Name: t.Name, Language: t.Language}
	for _, c := range t.Components {
		switch strings.ToUpper(c.Type) {
		case "BODY":
			tp.Body = c.Text
		case "HEADER":
			if (c.Format != "" && !strings.EqualFold(c.Format, "TEXT")) || strings.Contains(c.Text, "{{") {
				return channels.Template{}, false
			}
		case "FOOTER":
		case "BUTTONS":
			for _, b := range c.Buttons {
				switch strings.ToUpper(b.Type) {
				case "OTP", "COPY_CODE", "CATALOG", "MPM":
					return channels.Template{}, false
				case "URL":
					if strings.Contains(b.URL, "{{") {
						return channels.Template{}, false
					}
				}
			}
		default: // CAROUSEL, LIMITED_TIME_OFFER...
			return channels.Template{}, false
		}
	}
	tp.Params = bodyParams(tp.Body)
	return tp, true
}

// bodyParams are the placeholders of a body: numbered ones in numeric
// order, named ones in order of appearance.
func bodyParams(body string) []string {
	params := []string{}
	numbered := true
	for _, m := range placeholder.FindAllStringSubmatch(body, -1) {
		if !slices.Contains(params, m[1]) {
			params = append(params, m[1])
		}
		if _, err := strconv.Atoi(m[1]); err != nil {
			numbered = false
		}
	}
	if numbered {
		sort.Slice(params, func(i, j int) bool {
			a, _ := strconv.Atoi(params[i])
			b, _ := strconv.Atoi(params[j])
			return a < b
		})
	}
	return params
}

// hasSettingTemplates reports whether the channel lists its templates in
// its settings.
func hasSettingTemplates(c *channels.Config) bool {
	l, _ := c.Settings[SettingTemplates].([]any)
	if l != nil {
		return len(l) > 0
	}
	return c.Settings[SettingTemplates] != nil
}

// settingTemplate is one entry of the "templates" setting.
type settingTemplate struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Body     string   `json:"body"`
	Params   []string `json:"params"`
}

// settingTemplates reads the "templates" setting; its errors are about it.
func settingTemplates(v any) ([]channels.Template, error) {
	if v == nil {
		return nil, nil
	}
	bad := func(format string, args ...any) error {
		return channels.SettingError(SettingTemplates, format, args...)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, bad("templates must be a list of {name, language, body, params} objects")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var list []settingTemplate
	if err := dec.Decode(&list); err != nil {
		return nil, bad("templates must be a list of {name, language, body, params} objects: %v", err)
	}
	if len(list) > maxTemplates {
		return nil, bad("templates holds %d templates, at most %d", len(list), maxTemplates)
	}
	out := make([]channels.Template, 0, len(list))
	seen := map[string]bool{}
	for i, t := range list {
		switch {
		case !templateName.MatchString(t.Name):
			return nil, bad("templates[%d].name must be the template's WhatsApp name (lowercase letters, digits and _)", i)
		case t.ID != "" && t.ID != t.Name:
			return nil, bad("templates[%d].id must be left out or equal its name (WhatsApp names templates by name)", i)
		case !languageCode.MatchString(t.Language):
			return nil, bad("templates[%d].language must be a WhatsApp language code like en_US or de", i)
		case seen[t.Name+"\x00"+t.Language]:
			return nil, bad("templates[%d]: %s in %s is listed twice", i, t.Name, t.Language)
		}
		seen[t.Name+"\x00"+t.Language] = true
		params := t.Params
		if params == nil {
			params = bodyParams(t.Body)
		}
		for j, p := range params {
			if !paramName.MatchString(p) || slices.Index(params, p) != j {
				return nil, bad("templates[%d].params[%d] must be a unique placeholder name like 1, 2 or first_name", i, j)
			}
		}
		for _, m := range placeholder.FindAllStringSubmatch(t.Body, -1) {
			if !slices.Contains(params, m[1]) {
				return nil, bad("templates[%d].body uses {{%s}}, which is not in its params", i, m[1])
			}
		}
		out = append(out, channels.Template{ID: t.Name, Name: t.Name, Language: t.Language, Params: params, Body: t.Body})
	}
	return out, nil
}
