// Package channelcfg manages channel configuration: creating and updating
// channels, their write-only secrets and their working hours.
package channelcfg

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/secrets"
	"github.com/switchboard/switchboard/internal/store"
)

// Service manages channels.
type Service struct {
	client    *ent.Client // the base client: see db
	kinds     *channels.Registry
	box       *secrets.Box
	publicURL string
	http      *http.Client
	now       func() time.Time
}

// New returns a Service. publicURL is the base of webhook URLs.
func New(db *ent.Client, kinds *channels.Registry, box *secrets.Box, publicURL string, client *http.Client, now func() time.Time) *Service {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Service{client: db, kinds: kinds, box: box, publicURL: publicURL, http: client, now: now}
}

// db is the client of the transaction ctx carries, or the base client.
func (s *Service) db(ctx context.Context) *ent.Client { return store.Client(ctx, s.client) }

// Kinds returns the registry of channel kinds.
func (s *Service) Kinds() *channels.Registry { return s.kinds }

// Capabilities is what a channel kind can do; none for an unknown kind.
func (s *Service) Capabilities(kind string) channels.Capabilities {
	return s.kinds.Capabilities(kind)
}

// PublicURL is the base URL of this server as the internet reaches it.
func (s *Service) PublicURL() string { return s.publicURL }

// WebhookURL is where a channel's provider posts.
func (s *Service) WebhookURL(ch *ent.Channel) string {
	return s.publicURL + "/webhooks/" + ch.Kind + "/" + ch.Key
}

// Adapter returns the adapter of a channel's kind.
func (s *Service) Adapter(ch *ent.Channel) (channels.Adapter, error) {
	a, ok := s.kinds.Lookup(ch.Kind)
	if !ok {
		return nil, fmt.Errorf("channelcfg: channel %s has unregistered kind %q", ch.ID, ch.Kind)
	}
	return a, nil
}

// Config returns the channel as its adapter sees it, secrets decrypted.
func (s *Service) Config(ch *ent.Channel) (*channels.Config, error) {
	sec, err := s.open(ch)
	if err != nil {
		return nil, err
	}
	return &channels.Config{
		ChannelID: string(ch.ID), Key: ch.Key, WebhookURL: s.WebhookURL(ch),
		Settings: ch.Settings, Secrets: sec, HTTP: s.http, Now: s.now, State: s.State(ch),
	}, nil
}

// Input is what create and update take; nil fields are left alone.
type Input struct {
	Kind              string // create only
	Name              *string
	Settings          map[string]any
	Secrets           map[string]any // a nil value removes that secret
	Priority          *int
	TeamID            *gid.ID
	ClearTeam         bool
	WorkingHours      *schematype.WorkingHours
	ClearWorkingHours bool
}

// Create adds a channel. Kinds that need provider credentials, or that
// register with their provider when enabled (channels.Enabler), start
// disabled; web and api channels start enabled.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Channel, error) {
	c := s.db(ctx)
	a, ok := s.kinds.Lookup(in.Kind)
	if !ok {
		return nil, apperr.Invalid("kind", "unknown channel kind %q", in.Kind)
	}
	desc := a.Describe()
	if err := checkWorkingHours(in.WorkingHours); err != nil {
		return nil, err
	}
	if err := validate(a, in.Settings, nil, in.Secrets); err != nil {
		return nil, err
	}
	id := gid.New("Channel")
	create := c.Channel.Create().
		SetID(id).
		SetKind(desc.Kind).
		SetKey(newKey()).
		SetEnabled(startsEnabled(a)).
		SetNillablePriority(in.Priority).
		SetNillableTeamID(in.TeamID).
		SetWorkingHours(in.WorkingHours)
	if in.Name != nil {
		create.SetName(*in.Name)
	}
	if in.Settings != nil {
		create.SetSettings(in.Settings)
	}
	secrets := generated(desc, in.Secrets)
	if len(secrets) > 0 {
		sealed, fields, err := s.seal(id, nil, secrets)
		if err != nil {
			return nil, err
		}
		create.SetSecrets(sealed).SetSecretFields(fields)
	}
	return create.Save(ctx)
}

// generated returns the secrets a new channel starts with: those given,
// plus a random value for each generated secret not given.
func generated(desc channels.Description, given map[string]any) map[string]any {
	out := make(map[string]any, len(given))
	for k, v := range given {
		out[k] = v
	}
	for _, f := range desc.Secrets {
		if _, ok := out[f.Name]; f.Generated && !ok {
			out[f.Name] = newSecretValue()
		}
	}
	return out
}

// newSecretValue returns a generated secret: 256 random bits, hex.
func newSecretValue() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("channelcfg: reading random bytes: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// RotateSecret replaces a generated secret of a channel with a new random
// value and returns the value (to be shown once).
func (s *Service) RotateSecret(ctx context.Context, id gid.ID, field string) (*ent.Channel, string, error) {
	c := s.db(ctx)
	ch, err := c.Channel.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	a, err := s.Adapter(ch)
	if err != nil {
		return nil, "", err
	}
	ok := false
	for _, f := range a.Describe().Secrets {
		ok = ok || (f.Name == field && f.Generated)
	}
	if !ok {
		return nil, "", apperr.Invalid("field", "%s channels have no generated secret %q", ch.Kind, field)
	}
	current, err := s.open(ch)
	if err != nil {
		return nil, "", err
	}
	value := newSecretValue()
	sealed, fields, err := s.seal(ch.ID, current, map[string]any{field: value})
	if err != nil {
		return nil, "", err
	}
	ch, err = c.Channel.UpdateOne(ch).SetSecrets(sealed).SetSecretFields(fields).Save(ctx)
	if err != nil {
		return nil, "", err
	}
	return ch, value, nil
}

// Update changes a channel. Changing secrets resets its verification.
func (s *Service) Update(ctx context.Context, id gid.ID, in Input) (*ent.Channel, error) {
	c := s.db(ctx)
	ch, err := c.Channel.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := checkWorkingHours(in.WorkingHours); err != nil {
		return nil, err
	}
	a, err := s.Adapter(ch)
	if err != nil {
		return nil, err
	}
	current, err := s.open(ch)
	if err != nil {
		return nil, err
	}
	settings := ch.Settings
	if in.Settings != nil {
		settings = in.Settings
	}
	if in.Settings != nil || len(in.Secrets) > 0 {
		if err := validate(a, settings, current, in.Secrets); err != nil {
			return nil, err
		}
	}
	upd := c.Channel.UpdateOne(ch).
		SetNillableName(in.Name).
		SetNillablePriority(in.Priority).
		SetNillableTeamID(in.TeamID)
	if in.Settings != nil {
		upd.SetSettings(in.Settings)
	}
	if in.ClearTeam {
		upd.ClearTeam()
	}
	if in.WorkingHours != nil {
		upd.SetWorkingHours(in.WorkingHours)
	} else if in.ClearWorkingHours {
		upd.ClearWorkingHours()
	}
	if len(in.Secrets) > 0 {
		sealed, fields, err := s.seal(ch.ID, current, in.Secrets)
		if err != nil {
			return nil, err
		}
		upd.SetSecrets(sealed).SetSecretFields(fields).
			SetVerificationState("UNVERIFIED").ClearVerificationError().ClearVerifiedAt()
	}
	return upd.Save(ctx)
}

// validate asks the adapter to check settings and the secrets as they
// will be after the change.
func validate(a channels.Adapter, settings map[string]any, current map[string]string, changes map[string]any) error {
	merged := map[string]string{}
	for k, v := range current {
		merged[k] = v
	}
	for k, v := range changes {
		if s, ok := v.(string); ok {
			merged[k] = s
		} else {
			delete(merged, k)
		}
	}
	if err := a.Validate(settings, merged); err != nil {
		// The adapter names the field (channels.FieldError); an error
		// that names none is about the settings as a whole.
		var fe *channels.FieldError
		switch {
		case errors.As(err, &fe) && fe.Secret:
			return apperr.Invalid("secrets."+fe.Field, "%s", fe.Message)
		case errors.As(err, &fe):
			return apperr.Invalid("settings."+fe.Field, "%s", fe.Message)
		}
		return apperr.Invalid("settings", "%s", err.Error())
	}
	return nil
}

func (s *Service) open(ch *ent.Channel) (map[string]string, error) {
	out := map[string]string{}
	if len(ch.Secrets) == 0 {
		return out, nil
	}
	pt, err := s.box.Open(ch.Secrets, []byte(ch.ID))
	if err != nil {
		return nil, fmt.Errorf("channelcfg: channel %s secrets: %w", ch.ID, err)
	}
	if err := json.Unmarshal(pt, &out); err != nil {
		return nil, fmt.Errorf("channelcfg: channel %s secrets: %w", ch.ID, err)
	}
	return out, nil
}

// seal merges changes into current and encrypts the result.
func (s *Service) seal(id gid.ID, current map[string]string, changes map[string]any) ([]byte, []string, error) {
	merged := map[string]string{}
	for k, v := range current {
		merged[k] = v
	}
	for k, v := range changes {
		if k == "" || len(k) > 64 {
			return nil, nil, apperr.Invalid("secrets", "secret names must be 1 to 64 characters")
		}
		switch v := v.(type) {
		case nil:
			delete(merged, k)
		case string:
			if len(v) > 16<<10 {
				return nil, nil, apperr.Invalid("secrets", "secret %q is too long", k)
			}
			merged[k] = v
		default:
			return nil, nil, apperr.Invalid("secrets", "secret %q must be a string or null", k)
		}
	}
	pt, err := json.Marshal(merged)
	if err != nil {
		return nil, nil, err
	}
	sealed, err := s.box.Seal(pt, []byte(id))
	if err != nil {
		return nil, nil, err
	}
	fields := make([]string, 0, len(merged))
	for k := range merged {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	return sealed, fields, nil
}

func newKey() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic("channelcfg: reading random bytes: " + err.Error())
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

var weekdays = map[string]bool{
	"MONDAY": true, "TUESDAY": true, "WEDNESDAY": true, "THURSDAY": true,
	"FRIDAY": true, "SATURDAY": true, "SUNDAY": true,
}

func checkWorkingHours(wh *schematype.WorkingHours) error {
	if wh == nil {
		return nil
	}
	if _, err := time.LoadLocation(wh.Timezone); err != nil || wh.Timezone == "" || wh.Timezone == "Local" {
		return apperr.Invalid("workingHours.timezone", "unknown time zone %q", wh.Timezone)
	}
	for _, iv := range wh.Weekly {
		if !weekdays[iv.Day] {
			return apperr.Invalid("workingHours.weekly", "unknown day %q", iv.Day)
		}
		start, ok1 := minutes(iv.Start)
		end, ok2 := minutes(iv.End)
		if !ok1 || !ok2 || start >= end {
			return apperr.Invalid("workingHours.weekly", "%s %s-%s is not an interval of HH:MM times", iv.Day, iv.Start, iv.End)
		}
	}
	for _, d := range wh.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return apperr.Invalid("workingHours.holidays", "%q is not a YYYY-MM-DD date", d)
		}
	}
	return nil
}

// minutes parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
func minutes(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil {
		return 0, false
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// startsEnabled reports whether a new channel of a's kind is enabled at
// once: not when it needs credentials verified first, nor when enabling
// it registers with the provider (which must not happen inside the
// transaction that creates it).
func startsEnabled(a channels.Adapter) bool {
	_, hooked := a.(channels.Enabler)
	return !a.Describe().NeedsCredentials && !hooked
}
