package api

import (
	"context"

	"github.com/switchboard/switchboard/channels"
)

// templates reads the "templates" setting (channels.ParseTemplates).
func templates(v any) ([]channels.Template, error) {
	return channels.ParseTemplates("templates", v)
}

// Templates implements channels.Templater: the channel's "templates"
// setting.
func (*Adapter) Templates(_ context.Context, c *channels.Config) ([]channels.Template, error) {
	return templates(c.Settings["templates"])
}
