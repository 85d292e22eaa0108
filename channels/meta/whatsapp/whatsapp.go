// Package whatsapp implements the kind "whatsapp": one phone number of a
// WhatsApp Business Account on Meta's WhatsApp Business Cloud API. The
// app-level webhook (hub challenge, X-Hub-Signature-256) brings the
// number's messages and message statuses as "messages" changes; replies go
// through POST /{v}/{phone-number-id}/messages, free text within 24 hours
// of the customer's last message and approved templates at any time;
// inbound media is fetched by its media id.
package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

// Kind is the registry name.
const Kind = "whatsapp"

// The kind's own settings.
const (
	SettingPhoneNumberID = "phoneNumberID"
	SettingWABAID        = "wabaID"
	SettingTemplates     = "templates"
)

// Window: free-form messages only within 24 hours of the customer's last
// message (the customer service window); templates at any time.
const Window = 24 * time.Hour

// maxText is the longest text body the Cloud API sends, in characters.
const maxText = 4096

// Adapter implements channels.Adapter, channels.Templater and
// channels.MediaFetcher for WhatsApp.
type Adapter struct{}

// New returns the WhatsApp adapter.
func New() *Adapter { return &Adapter{} }

var (
	_ channels.Adapter      = (*Adapter)(nil)
	_ channels.Templater    = (*Adapter)(nil)
	_ channels.MediaFetcher = (*Adapter)(nil)

	numericID = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// Describe implements channels.Adapter.
func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: Kind, DisplayName: "WhatsApp", NeedsCredentials: true,
		Settings: meta.Settings(
			channels.Field{Name: SettingPhoneNumberID, Label: "Phone number ID", Required: true, Type: channels.FieldString,
				Description: "the id of the business phone number (Meta app → WhatsApp → API setup → Phone number ID), not the number itself"},
			channels.Field{Name: SettingWABAID, Label: "WhatsApp Business Account ID", Type: channels.FieldString,
				Description: "the WhatsApp Business Account's id (WhatsApp → API setup): its approved message templates are listed from it"},
			channels.Field{Name: SettingTemplates, Label: "Templates", Type: channels.FieldList,
				Description: "optional: the approved templates to offer, as a list of {name, language, body, params} " +
					"(body with {{1}}, {{2}}… placeholders); when empty they are fetched from the WhatsApp Business Account"},
		),
		Secrets: meta.Secrets("Access token", "a System User access token with whatsapp_business_messaging "+
			"(and whatsapp_business_management to list templates)"),
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Templates: true, Attachments: true,
			MaxLength: maxText, ReplyWindow: Window, AddressByPhone: true},
	}
}

// Validate implements channels.Adapter.
func (a *Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	if err := meta.Validate(a.Describe(), settings, secrets); err != nil {
		return err
	}
	if id, _ := settings[SettingPhoneNumberID].(string); !numericID.MatchString(id) {
		return channels.SettingError(SettingPhoneNumberID, "the phone number id is a number, like 106540352242922 (not the phone number)")
	}
	if id, _ := settings[SettingWABAID].(string); id != "" && !numericID.MatchString(id) {
		return channels.SettingError(SettingWABAID, "the WhatsApp Business Account id is a number, like 102290129340398")
	}
	_, err := settingTemplates(settings[SettingTemplates])
	return err
}

// Verify implements channels.Adapter: GET /{v}/{phone-number-id}?fields=
// display_phone_number,verified_name with the token; with a WhatsApp
// Business Account id and no templates in the settings, its templates
// must be readable too (they are cached for sends).
func (a *Adapter) Verify(ctx context.Context, c *channels.Config) error {
	g := meta.GraphOf(c)
	id := c.Setting(SettingPhoneNumberID)
	var number struct {
		ID                 string `json:"id"`
		DisplayPhoneNumber string `json:"display_phone_number"`
		VerifiedName       string `json:"verified_name"`
	}
	q := url.Values{"fields": {"display_phone_number,verified_name"}}
	if err := g.Do(ctx, http.MethodGet, "/"+id, q, nil, &number); err != nil {
		var e *meta.APIError
		switch {
		case errors.As(err, &e) && e.Code == 190:
			return fmt.Errorf("Meta refused the access token: %w", err)
		case errors.As(err, &e):
			return fmt.Errorf("phone number id %s cannot be read with this token (is it the Phone number ID of API setup, and does the System User have the WhatsApp account assigned?): %w", id, err)
		}
		return fmt.Errorf("the Graph API could not be reached: %w", err)
	}
	if number.ID != "" && number.ID != id {
		return fmt.Errorf("the Graph API answered for phone number id %s, not %s", number.ID, id)
	}
	if waba := c.Setting(SettingWABAID); waba != "" && !hasSettingTemplates(c) {
		if _, err := a.refreshTemplates(ctx, c, waba, nil, true); err != nil {
			return fmt.Errorf("the templates of WhatsApp Business Account %s cannot be listed with this token (it needs whatsapp_business_management): %w", waba, err)
		}
	}
	return nil
}

// Handshake implements channels.Adapter: Meta's subscription check.
func (*Adapter) Handshake(_ context.Context, c *channels.Config, r *http.Request) (channels.Response, bool, error) {
	return meta.Handshake(c, r)
}
