package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// Changing or resetting a password raises the agent's token generation,
// which every session token carries: Authenticate refuses older tokens, so
// every other session ends, and a credentials signal ends the agent's open
// websockets on every instance at once. These run outside any transaction
// (bcrypt is slow).

var errAgentSession = apperr.New(apperr.Forbidden, "sign in as the agent: API tokens cannot change an agent's sign-in")

// ChangePassword changes the signed-in agent's password from the client
// address addr, after checking the current one (failures count like
// failed sign-ins, see throttle), clears a reset's must-change flag and
// returns a fresh session.
func (s *Service) ChangePassword(ctx context.Context, current, next, addr string) (*Session, error) {
	if err := checkPassword("newPassword", next); err != nil {
		return nil, err
	}
	ag, err := s.sessionAgent(ctx)
	if err != nil {
		return nil, err
	}
	done, err := s.throttle.signIn(ctx, ag.Email, addr)
	if err != nil {
		return nil, fmt.Errorf("auth: change password: %w", err)
	}
	ok := false
	defer func() { done(ok) }()
	if bcrypt.CompareHashAndPassword([]byte(ag.PasswordHash), []byte(current)) != nil {
		return nil, apperr.Invalid("currentPassword", "is not your current password")
	}
	ok = true
	if current == next {
		return nil, apperr.Invalid("newPassword", "must differ from the current password")
	}
	hash, err := s.HashPassword("newPassword", next)
	if err != nil {
		return nil, err
	}
	ag, err = s.setPassword(ctx, ag.ID, hash, false)
	if err != nil {
		return nil, err
	}
	return s.session(ctx, ag)
}

// ResetAgentPassword gives an agent of the actor's workspace a new
// one-time password, returned once: the agent signs in with it and must
// change it before doing anything else.
func (s *Service) ResetAgentPassword(ctx context.Context, id gid.ID) (string, *ent.Agent, error) {
	// Through the tenant filters: another workspace's agent is not found.
	ag, err := s.client.Agent.Get(ctx, id)
	if err != nil {
		return "", nil, err
	}
	return s.resetPassword(ctx, ag)
}

// ResetPasswordByEmail is ResetAgentPassword for an operator locked out of
// the API (switchboard admin reset-password EMAIL): it finds the agent by
// email in any workspace.
func (s *Service) ResetPasswordByEmail(ctx context.Context, email string) (string, *ent.Agent, error) {
	ag, err := s.client.Agent.Query().Where(agent.Email(NormalizeEmail(email))).Only(system(ctx))
	if ent.IsNotFound(err) {
		return "", nil, apperr.New(apperr.NotFound, "no agent has the email %s", NormalizeEmail(email))
	}
	if err != nil {
		return "", nil, fmt.Errorf("auth: reset password: %w", err)
	}
	return s.resetPassword(system(ctx), ag)
}

func (s *Service) resetPassword(ctx context.Context, ag *ent.Agent) (string, *ent.Agent, error) {
	password, err := oneTimePassword()
	if err != nil {
		return "", nil, err
	}
	hash, err := s.HashPassword("password", password)
	if err != nil {
		return "", nil, err
	}
	ag, err = s.setPassword(ctx, ag.ID, hash, true)
	if err != nil {
		return "", nil, err
	}
	return password, ag, nil
}

// setPassword stores a password hash, raises the token generation and
// signals the change to every instance.
func (s *Service) setPassword(ctx context.Context, id gid.ID, hash string, mustChange bool) (*ent.Agent, error) {
	ag, err := s.client.Agent.UpdateOneID(id).
		SetPasswordHash(hash).
		SetMustChangePassword(mustChange).
		AddTokenGeneration(1).
		Save(system(ctx))
	if err != nil {
		return nil, fmt.Errorf("auth: set password: %w", err)
	}
	s.credentialsChanged(ctx, ag)
	return ag, nil
}

// credentialsChanged tells every instance that the agent's sessions
// changed, so that they re-check its websockets at once.
func (s *Service) credentialsChanged(ctx context.Context, ag *ent.Agent) {
	SignalCredentialsChanged(ctx, s.events, ag.WorkspaceID, CredentialsChanged{AgentID: ag.ID})
}

// oneTimePassword returns 120 random bits, in 20 URL-safe characters.
func oneTimePassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: one-time password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// checkPassword checks a new password's length.
func checkPassword(field, password string) error {
	if len(password) < 8 {
		return apperr.Invalid(field, "must be at least 8 characters")
	}
	if len(password) > 72 {
		return apperr.Invalid(field, "must be at most 72 bytes")
	}
	return nil
}
