package graph

import (
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/auth"
)

// authPayload is what signIn, signUp and changePassword return.
func authPayload(s *auth.Session) *model.AuthPayload {
	return &model.AuthPayload{Token: s.Token, ExpiresAt: s.ExpiresAt, Agent: s.Agent, MustChangePassword: s.Agent.MustChangePassword}
}
