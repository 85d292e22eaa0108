package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard/switchboard/internal/gid"
)

const (
	issuer   = "switchboard"
	audience = "switchboard-api"
	// TokenTTL is how long an agent's session token lasts.
	TokenTTL = 12 * time.Hour
)

type claims struct {
	jwt.RegisteredClaims
	WorkspaceID string `json:"wsp"`
}

// issueJWT signs a session token for an agent.
func (s *Service) issueJWT(agentID, workspaceID gid.ID) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(TokenTTL)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			Subject:   string(agentID),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		WorkspaceID: string(workspaceID),
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.jwtKey)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return tok, exp, nil
}

// parseJWT verifies a session token: HS256 only, our issuer and audience,
// not expired. It returns the agent and workspace ids and the expiry.
func (s *Service) parseJWT(raw string) (agentID, workspaceID gid.ID, exp time.Time, err error) {
	var c claims
	_, err = jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return s.jwtKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil {
		return "", "", time.Time{}, err
	}
	agentID, workspaceID = gid.ID(c.Subject), gid.ID(c.WorkspaceID)
	if !agentID.Valid() || !workspaceID.Valid() {
		return "", "", time.Time{}, errors.New("malformed subject")
	}
	return agentID, workspaceID, c.ExpiresAt.Time, nil
}
