// Package messenger implements the kinds "messenger" (a Facebook Page's
// conversations) and "instagram" (an Instagram professional account's
// direct messages, which reach apps through the same Messenger platform):
// the Messenger-style webhook with its object ("page" or "instagram"),
// and the Send API with the 24-hour standard window and the HUMAN_AGENT
// tag for 7 days after the customer's last message.
package messenger

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

// Windows: free replies (messaging_type RESPONSE) within 24 hours of the
// customer's last message; a human agent may answer with the HUMAN_AGENT
// tag for 7 days; after that nothing can be sent.
const (
	StandardWindow = 24 * time.Hour
	HumanAgent     = 7 * 24 * time.Hour
)

// maxText is the Send API's limit on a text message, in characters.
const maxText = 2000

// Adapter implements channels.Adapter for one of the two kinds.
type Adapter struct {
	kind        string // "messenger" or "instagram"
	object      string // the webhook's object
	accountID   string // the setting naming the account: "pageID" or "accountID"
	displayName string
}

// New returns the Messenger adapter (kind "messenger").
func New() *Adapter {
	return &Adapter{kind: "messenger", object: "page", accountID: "pageID", displayName: "Facebook Messenger"}
}

// NewInstagram returns the Instagram adapter (kind "instagram").
func NewInstagram() *Adapter {
	return &Adapter{kind: "instagram", object: "instagram", accountID: "accountID", displayName: "Instagram"}
}

var (
	_      channels.Adapter = (*Adapter)(nil)
	digits                  = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// Describe implements channels.Adapter.
func (a *Adapter) Describe() channels.Description {
	account := channels.Field{Name: "pageID", Label: "Page ID", Required: true,
		Description: "the Facebook Page's id (Page → About → Page transparency, or the Page's settings in Meta Business Suite)"}
	token := "the Page access token of the Page (Meta app → Messenger → Settings → Access tokens), with pages_messaging"
	if a.kind == "instagram" {
		account = channels.Field{Name: "accountID", Label: "Instagram account ID", Required: true,
			Description: "the Instagram professional account's id (the entry id of its webhooks; Meta app → Instagram → API setup)"}
		token = "the access token of the Facebook Page linked to the Instagram account, with instagram_manage_messages"
	}
	return channels.Description{
		Kind: a.kind, DisplayName: a.displayName, NeedsCredentials: true,
		Settings: meta.Settings(account),
		Secrets:  meta.Secrets("Page access token", token),
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Attachments: true,
			MaxLength: maxText, ReplyWindow: HumanAgent},
	}
}

// Validate implements channels.Adapter.
func (a *Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	if err := meta.Validate(a.Describe(), settings, secrets); err != nil {
		return err
	}
	if id, _ := settings[a.accountID].(string); !digits.MatchString(id) {
		return channels.SettingError(a.accountID, "the account id is a number, like 104987654321098")
	}
	return nil
}

// Verify implements channels.Adapter: the token must open the account.
// Messenger: GET /me answers the Page the token is for; Instagram: GET
// /{account id}?fields=id,username (Unconfirmed: that a Page token reads
// the linked account this way is from the Instagram Graph API's docs, not
// the spec).
func (a *Adapter) Verify(ctx context.Context, c *channels.Config) error {
	g := meta.GraphOf(c)
	want := c.Setting(a.accountID)
	var me struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Username string `json:"username"`
	}
	path := "/me"
	if a.kind == "instagram" {
		path = "/" + want
	}
	if err := g.Do(ctx, http.MethodGet, path, fieldsQuery(a.kind), nil, &me); err != nil {
		return fmt.Errorf("the access token does not work: %w", err)
	}
	if me.ID != want {
		return fmt.Errorf("the access token is for account %s (%s), not %s", me.ID, me.Name, want)
	}
	return nil
}

func fieldsQuery(kind string) map[string][]string {
	if kind == "instagram" {
		return map[string][]string{"fields": {"id,username"}}
	}
	return map[string][]string{"fields": {"id,name"}}
}

// Handshake implements channels.Adapter: Meta's subscription check.
func (a *Adapter) Handshake(_ context.Context, c *channels.Config, r *http.Request) (channels.Response, bool, error) {
	return meta.Handshake(c, r)
}

// Receive implements channels.Adapter: the signature over the raw body,
// then every entry of the account and every item in it.
func (a *Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if err := meta.Authenticate(c, r, body); err != nil {
		return nil, err
	}
	env, err := meta.ParseEnvelope(body, a.object)
	if err != nil {
		return nil, err
	}
	return meta.MessagingDelivery(env, c.Setting(a.accountID)), nil
}
