package autoreply

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/autoreplyconfig"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/store"
)

// Limits of a configuration.
const (
	MaxKeywords     = 50
	MaxPattern      = 200 // characters of a keyword pattern
	MaxCooldown     = 24 * 60
	DefaultCooldown = 10 // minutes
)

// The variables each text may use.
var (
	welcomeVars    = render.Conversation
	keywordVars    = render.Conversation
	outOfHoursVars = render.Conversation.With("channel.nextOpen")
	busyVars       = render.Conversation.With("queue.position")
)

// Input is a whole configuration; an absent text is disabled and empty.
type Input struct {
	Welcome, OutOfHours, AllAgentsBusy *schematype.AutoReplyText
	Keywords                           []*schematype.KeywordReply
	CooldownMinutes                    *int // default DefaultCooldown
}

// Of returns a channel's configuration, nil when it has none; read as the
// caller.
func (s *Service) Of(ctx context.Context, channelID gid.ID) (*ent.AutoReplyConfig, error) {
	c, err := store.Client(ctx, s.client).AutoReplyConfig.Query().Where(autoreplyconfig.ChannelID(channelID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// Set validates and stores a channel's whole configuration, in the
// transaction ctx carries.
func (s *Service) Set(ctx context.Context, channelID gid.ID, in Input) (*ent.AutoReplyConfig, error) {
	c := store.Client(ctx, s.client)
	if _, err := c.Channel.Get(ctx, channelID); err != nil {
		if ent.IsNotFound(err) {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: "channelID", Message: "channel not found"}
		}
		return nil, err
	}
	welcome, err := text("input.welcome", in.Welcome, welcomeVars)
	if err != nil {
		return nil, err
	}
	ooh, err := text("input.outOfHours", in.OutOfHours, outOfHoursVars)
	if err != nil {
		return nil, err
	}
	busy, err := text("input.allAgentsBusy", in.AllAgentsBusy, busyVars)
	if err != nil {
		return nil, err
	}
	keywords, err := checkKeywords(in.Keywords)
	if err != nil {
		return nil, err
	}
	cooldown := DefaultCooldown
	if in.CooldownMinutes != nil {
		cooldown = *in.CooldownMinutes
	}
	if cooldown < 0 || cooldown > MaxCooldown {
		return nil, apperr.Invalid("input.cooldownMinutes", "must be between 0 and %d", MaxCooldown)
	}
	existing, err := c.AutoReplyConfig.Query().Where(autoreplyconfig.ChannelID(channelID)).Only(ctx)
	var saved *ent.AutoReplyConfig
	switch {
	case ent.IsNotFound(err):
		saved, err = c.AutoReplyConfig.Create().SetChannelID(channelID).
			SetWelcome(welcome).SetOutOfHours(ooh).SetAllAgentsBusy(busy).
			SetKeywords(keywords).SetCooldownMinutes(cooldown).Save(ctx)
	case err == nil:
		saved, err = c.AutoReplyConfig.UpdateOne(existing).
			SetWelcome(welcome).SetOutOfHours(ooh).SetAllAgentsBusy(busy).
			SetKeywords(keywords).SetCooldownMinutes(cooldown).Save(ctx)
	}
	if err != nil {
		return nil, err
	}
	ws := saved.WorkspaceID
	s.events.AfterCommit(ctx, func() { s.forget(ws) })
	return saved, nil
}

// text checks one auto-reply's text: an enabled one needs a body, and
// every body must parse and use only the variables vars knows.
func text(field string, in *schematype.AutoReplyText, vars render.Vars) (schematype.AutoReplyText, error) {
	if in == nil {
		return schematype.AutoReplyText{}, nil
	}
	if err := body(field+".body", in.Body, vars, in.Enabled); err != nil {
		return schematype.AutoReplyText{}, err
	}
	return *in, nil
}

func body(field, b string, vars render.Vars, required bool) error {
	if required && strings.TrimSpace(b) == "" {
		return apperr.Invalid(field, "must not be empty")
	}
	if len(b) > schematype.MaxBody {
		return apperr.Invalid(field, "must be at most %d bytes", schematype.MaxBody)
	}
	if err := render.Validate(b, vars); err != nil {
		return apperr.Invalid(field, "%s", err.Error())
	}
	return nil
}

func checkKeywords(in []*schematype.KeywordReply) ([]schematype.KeywordReply, error) {
	if len(in) > MaxKeywords {
		return nil, apperr.Invalid("input.keywords", "at most %d keyword rules", MaxKeywords)
	}
	out := make([]schematype.KeywordReply, 0, len(in))
	for i, k := range in {
		field := fmt.Sprintf("input.keywords[%d]", i)
		if k.Match != schematype.MatchRegex {
			k.Pattern = strings.TrimSpace(k.Pattern)
		}
		if k.Pattern == "" || len([]rune(k.Pattern)) > MaxPattern {
			return nil, apperr.Invalid(field+".pattern", "a pattern of 1 to %d characters", MaxPattern)
		}
		switch k.Match {
		case schematype.MatchExact, schematype.MatchContains:
		case schematype.MatchRegex:
			if _, err := regexp.Compile(k.Pattern); err != nil {
				return nil, apperr.Invalid(field+".pattern", "not a valid regular expression: %s", err.Error())
			}
		default:
			return nil, apperr.Invalid(field+".match", "EXACT, CONTAINS or REGEX")
		}
		if err := body(field+".body", k.Body, keywordVars, true); err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, nil
}
