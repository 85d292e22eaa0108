package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Two-factor sign-in with time-based one-time codes (RFC 6238: SHA-1, six
// digits, 30-second steps, one step of clock skew either way). The secret
// is sealed with the secrets box, bound to its agent; a code is accepted
// once: the agent keeps the step of the last code accepted.

const totpPeriod = 30 // seconds

var (
	errOTPNeeded = &apperr.Error{Code: apperr.Unauthenticated, Field: "otp",
		Message: "this account needs a two-factor code: give otp, the current code of your authenticator app"}
	errOTPWrong = &apperr.Error{Code: apperr.Unauthenticated, Field: "otp",
		Message: "wrong or already used two-factor code (otp)"}
)

// EnableTOTP gives the signed-in agent a new TOTP secret, returned once as
// an otpauth URI and in base32. Sign-in asks for codes once ConfirmTOTP
// has checked one.
func (s *Service) EnableTOTP(ctx context.Context) (uri, secret string, err error) {
	ag, err := s.sessionAgent(ctx)
	if err != nil {
		return "", "", err
	}
	if ag.TotpEnabled {
		return "", "", apperr.New(apperr.Conflict, "two-factor sign-in is on already; disableTotp first")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Switchboard", AccountName: ag.Email, Period: totpPeriod})
	if err != nil {
		return "", "", fmt.Errorf("auth: totp: %w", err)
	}
	sealed, err := s.box.Seal([]byte(key.Secret()), []byte(ag.ID))
	if err != nil {
		return "", "", fmt.Errorf("auth: totp: %w", err)
	}
	if err := s.client.Agent.UpdateOneID(ag.ID).SetTotpSecret(sealed).SetTotpLastStep(0).Exec(system(ctx)); err != nil {
		return "", "", fmt.Errorf("auth: totp: %w", err)
	}
	return key.URL(), key.Secret(), nil
}

// ConfirmTOTP turns two-factor sign-in on with a current code of the
// secret EnableTOTP gave.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) (*ent.Agent, error) {
	ag, err := s.sessionAgent(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case ag.TotpEnabled:
		return nil, apperr.New(apperr.Conflict, "two-factor sign-in is on already")
	case ag.TotpSecret == nil:
		return nil, apperr.New(apperr.Conflict, "call enableTotp first")
	}
	ok, err := s.useCode(ctx, ag, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.Invalid("code", "is not the current code of the new secret")
	}
	return s.client.Agent.UpdateOneID(ag.ID).SetTotpEnabled(true).Save(system(ctx))
}

// DisableTOTP turns the signed-in agent's two-factor sign-in off, after
// checking the password (failures count like failed sign-ins).
func (s *Service) DisableTOTP(ctx context.Context, password, addr string) (*ent.Agent, error) {
	ag, err := s.sessionAgent(ctx)
	if err != nil {
		return nil, err
	}
	done, err := s.throttle.signIn(ctx, ag.Email, addr)
	if err != nil {
		return nil, fmt.Errorf("auth: disable totp: %w", err)
	}
	ok := bcrypt.CompareHashAndPassword([]byte(ag.PasswordHash), []byte(password)) == nil
	done(ok)
	if !ok {
		return nil, apperr.Invalid("password", "is not your password")
	}
	return s.clearTOTP(ctx, ag.ID)
}

// ResetAgentTOTP turns off two-factor sign-in of an agent of the actor's
// workspace, for a lost device.
func (s *Service) ResetAgentTOTP(ctx context.Context, id gid.ID) (*ent.Agent, error) {
	// Through the tenant filters: another workspace's agent is not found.
	if _, err := s.client.Agent.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.clearTOTP(ctx, id)
}

func (s *Service) clearTOTP(ctx context.Context, id gid.ID) (*ent.Agent, error) {
	return s.client.Agent.UpdateOneID(id).SetTotpEnabled(false).ClearTotpSecret().SetTotpLastStep(0).Save(system(ctx))
}

// checkOTP is sign-in's second factor, once the password checked out.
func (s *Service) checkOTP(ctx context.Context, ag *ent.Agent, code *string) error {
	if !ag.TotpEnabled {
		return nil
	}
	if code == nil || strings.TrimSpace(*code) == "" {
		return errOTPNeeded
	}
	ok, err := s.useCode(ctx, ag, *code)
	if err != nil {
		return err
	}
	if !ok {
		return errOTPWrong
	}
	return nil
}

// useCode reports whether code is a current code of the agent's secret
// not used before, and records its step so that it is not accepted again.
func (s *Service) useCode(ctx context.Context, ag *ent.Agent, code string) (bool, error) {
	if ag.TotpSecret == nil {
		return false, nil
	}
	secret, err := s.box.Open(*ag.TotpSecret, []byte(ag.ID))
	if err != nil {
		return false, fmt.Errorf("auth: totp secret of agent %s: %w", ag.ID, err)
	}
	code = strings.TrimSpace(code)
	now := s.now()
	for skew := int64(-1); skew <= 1; skew++ {
		at := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		step := at.Unix() / totpPeriod
		want, err := totp.GenerateCodeCustom(string(secret), at, totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return false, fmt.Errorf("auth: totp: %w", err)
		}
		if want != code {
			continue
		}
		// A conditional update: of two sign-ins with one code, one wins.
		n, err := s.client.Agent.Update().
			Where(agent.ID(ag.ID), agent.TotpLastStepLT(step)).
			SetTotpLastStep(step).
			Save(system(ctx))
		if err != nil {
			return false, fmt.Errorf("auth: totp: %w", err)
		}
		return n == 1, nil
	}
	return false, nil
}

// sessionAgent loads the agent of the signed-in session (API tokens may
// not change an agent's sign-in).
func (s *Service) sessionAgent(ctx context.Context) (*ent.Agent, error) {
	a := viewer.FromContext(ctx)
	if a == nil || a.Kind != viewer.KindAgent {
		return nil, errAgentSession
	}
	ag, err := s.client.Agent.Get(system(ctx), a.AgentID)
	if err != nil {
		return nil, fmt.Errorf("auth: load agent: %w", err)
	}
	return ag, nil
}
