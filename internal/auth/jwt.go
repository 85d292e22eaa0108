package auth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/gid"
)

const (
	issuer = "switchboard"
	// The two kinds of session token Switchboard signs, told apart by
	// their audience: agents' tokens for the API, and website visitors'
	// tokens for the visitor API of one channel.
	audience        = "switchboard-api"
	visitorAudience = "switchboard-visitor"
	// TokenTTL is how long an agent's session token lasts.
	TokenTTL = 12 * time.Hour
)

type claims struct {
	jwt.RegisteredClaims
	WorkspaceID string `json:"wsp"`
	ChannelID   string `json:"chn,omitempty"` // visitor tokens
	// Generation is the agent's token generation when the token was
	// issued: changing or resetting the password raises it, which ends
	// every older session.
	Generation int `json:"gen,omitempty"`
}

func (s *Service) sign(subject, aud string, workspaceID, channelID gid.ID, generation int, ttl time.Duration) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(ttl)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{aud},
			Subject:   subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		WorkspaceID: string(workspaceID),
		ChannelID:   string(channelID),
		Generation:  generation,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.jwtKey)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return tok, exp, nil
}

// issueJWT signs a session token for an agent, of the agent's current
// token generation.
func (s *Service) issueJWT(ag *ent.Agent) (string, time.Time, error) {
	return s.sign(string(ag.ID), audience, ag.WorkspaceID, "", ag.TokenGeneration, TokenTTL)
}

// parseJWT verifies a session token: HS256 only, our issuer, not expired,
// and exactly one of our audiences, which the caller then checks.
func (s *Service) parseJWT(raw string) (*claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return s.jwtKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil {
		return nil, err
	}
	if len(c.Audience) != 1 || !slices.Contains([]string{audience, visitorAudience}, c.Audience[0]) {
		return nil, errors.New("wrong audience")
	}
	if !gid.ID(c.WorkspaceID).Valid() || c.Subject == "" {
		return nil, errors.New("malformed claims")
	}
	return &c, nil
}

func (c *claims) audience() string { return c.Audience[0] }
