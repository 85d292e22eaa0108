package auth

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/apitoken"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// SignUpInput creates a workspace and its first admin.
type SignUpInput struct {
	WorkspaceName, Name, Email, Password string
}

// SignUp creates a workspace and its first admin, when sign-up is open.
// Attempts are limited per client address (SignUpsPerHour), whatever
// their outcome.
func (s *Service) SignUp(ctx context.Context, in SignUpInput, addr string) (*Session, error) {
	if !s.signupOpen {
		return nil, apperr.New(apperr.Forbidden, "sign-up is closed on this server")
	}
	if err := s.throttle.signUp(addr); err != nil {
		return nil, err
	}
	ag, err := s.CreateWorkspace(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.session(ctx, ag)
}

// CreateWorkspace creates a workspace and its first admin, whatever the
// sign-up setting (start-up and operators use it).
func (s *Service) CreateWorkspace(ctx context.Context, in SignUpInput) (*ent.Agent, error) {
	hash, err := s.HashPassword("password", in.Password)
	if err != nil {
		return nil, err
	}
	email := NormalizeEmail(in.Email)
	ctx = system(ctx)
	var ag *ent.Agent
	err = store.InTx(ctx, s.client, func(ctx context.Context) error {
		c := store.Client(ctx, s.client)
		ws, err := c.Workspace.Create().
			SetName(strings.TrimSpace(in.WorkspaceName)).
			SetSlug(slugify(in.WorkspaceName)).
			Save(ctx)
		if err != nil {
			return fieldError(err, "workspaceName")
		}
		ag, err = c.Agent.Create().
			SetWorkspaceID(ws.ID).
			SetName(strings.TrimSpace(in.Name)).
			SetEmail(email).
			SetPasswordHash(hash).
			SetRole(agent.RoleADMIN).
			Save(ctx)
		if err != nil {
			return fieldError(err, "")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Detach the agent from the finished transaction: the sign-up payload
	// loads its edges (agent { workspace }) after the commit.
	return ag.Unwrap(), nil
}

// fieldError turns a unique violation on agents' email into CONFLICT and
// passes other errors on (the error presenter maps validation errors).
func fieldError(err error, field string) error {
	if isConstraint(err) {
		if field == "" {
			field = "email"
		}
		return &apperr.Error{Code: apperr.Conflict, Field: field, Message: field + " is already taken"}
	}
	return err
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugify makes a unique-enough workspace slug from its name.
func slugify(name string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" {
		s = "workspace"
	}
	return s + "-" + strings.ToLower(string(gid.New("Workspace"))[len(gid.New("Workspace"))-6:])
}

// db is the client of the transaction ctx carries, or the base client.
func (s *Service) db(ctx context.Context) *ent.Client { return store.Client(ctx, s.client) }

// DefaultAdminEmail is the first admin's email when none is configured.
const DefaultAdminEmail = "admin@example.com"

// Bootstrap creates the first workspace and admin on an empty database.
// Without a configured password it generates a one-time password, which
// must be changed at the first sign-in, and returns it so that the caller
// logs it once. It reports whether it created anything.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (created bool, generated string, err error) {
	n, err := s.client.Agent.Query().Count(system(ctx))
	if err != nil {
		return false, "", fmt.Errorf("auth: bootstrap: %w", err)
	}
	if n > 0 {
		return false, "", nil
	}
	if email == "" {
		email = DefaultAdminEmail
	}
	if password == "" {
		if password, err = oneTimePassword(); err != nil {
			return false, "", err
		}
		generated = password
	}
	ag, err := s.CreateWorkspace(ctx, SignUpInput{WorkspaceName: "Default", Name: "Admin", Email: email, Password: password})
	if err != nil {
		return false, "", fmt.Errorf("auth: bootstrap: %w", err)
	}
	if generated != "" {
		// It reached the log: a one-time password.
		if err := s.client.Agent.UpdateOneID(ag.ID).SetMustChangePassword(true).Exec(system(ctx)); err != nil {
			return false, "", fmt.Errorf("auth: bootstrap: %w", err)
		}
	}
	return true, generated, nil
}

// NewAgent is what createAgent takes.
type NewAgent struct {
	Name, Email, Password string
	Role                  *agent.Role
	Capacity              *int
	Skills                []schematype.Skill
	AvatarURL             *string
	TeamIDs               []gid.ID
}

// CreateAgent adds an agent to the actor's workspace. The password is
// hashed before any transaction starts.
func (s *Service) CreateAgent(ctx context.Context, in NewAgent) (*ent.Agent, error) {
	hash, err := s.HashPassword("password", in.Password)
	if err != nil {
		return nil, err
	}
	if err := ValidateSkills(in.Skills); err != nil {
		return nil, err
	}
	ag, err := s.client.Agent.Create().
		SetName(in.Name).
		SetEmail(NormalizeEmail(in.Email)).
		SetPasswordHash(hash).
		SetNillableRole(in.Role).
		SetNillableCapacity(in.Capacity).
		SetSkills(in.Skills).
		SetNillableAvatarURL(in.AvatarURL).
		AddTeamIDs(in.TeamIDs...).
		Save(ctx)
	if isConstraint(err) && s.deactivatedEmail(ctx, in.Email) {
		return nil, &apperr.Error{Code: apperr.Conflict, Field: "email", Message: "email belongs to a deactivated agent; reactivate it"}
	}
	if err != nil {
		return nil, fieldError(err, "email")
	}
	return ag, nil
}

// deactivatedEmail reports whether email is a deactivated agent's in the
// actor's workspace (emails stay reserved by their agents; another
// workspace's agents are not told about).
func (s *Service) deactivatedEmail(ctx context.Context, email string) bool {
	ok, err := s.client.Agent.Query().Where(agent.Email(NormalizeEmail(email)), agent.Active(false)).Exist(ctx)
	return err == nil && ok
}

// ReactivateAgent lets a deactivated agent sign in again, with the same
// password; the API tokens revoked when it was deactivated stay revoked.
// It runs in the caller's transaction.
func (s *Service) ReactivateAgent(ctx context.Context, id gid.ID) (*ent.Agent, error) {
	return s.db(ctx).Agent.UpdateOneID(id).SetActive(true).Save(ctx)
}

// ValidateSkills checks skill names and levels.
func ValidateSkills(skills []schematype.Skill) error {
	seen := map[string]bool{}
	for _, sk := range skills {
		name := strings.TrimSpace(sk.Name)
		if name == "" || len(name) > 64 {
			return apperr.Invalid("skills", "skill names must be 1 to 64 characters")
		}
		if seen[name] {
			return apperr.Invalid("skills", "skill %q is listed twice", name)
		}
		seen[name] = true
		if sk.Level != nil && (*sk.Level < 1 || *sk.Level > 10) {
			return apperr.Invalid("skills", "skill levels are 1 to 10")
		}
	}
	return nil
}

// DeactivateAgent deactivates an agent and revokes the API tokens the agent
// created; the agent's session tokens stop working at once because every
// request checks that the agent is active, and once the transaction
// commits every instance ends the agent's websockets and its tokens'. It
// runs in the transaction ctx carries.
func (s *Service) DeactivateAgent(ctx context.Context, id gid.ID, now time.Time) (*ent.Agent, error) {
	client := s.db(ctx)
	if a := viewer.FromContext(ctx); a != nil && a.AgentID == id {
		return nil, apperr.New(apperr.Conflict, "you cannot deactivate yourself")
	}
	ag, err := client.Agent.UpdateOneID(id).SetActive(false).SetStatus(agent.StatusOFFLINE).Save(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := client.ApiToken.Update().
		Where(apitoken.CreatedByID(id), apitoken.RevokedAtIsNil()).
		SetRevokedAt(now).Save(ctx); err != nil {
		return nil, fmt.Errorf("auth: revoke tokens of deactivated agent: %w", err)
	}
	// The agent's id also names the sockets of the tokens acting for it.
	SignalCredentialsChanged(ctx, s.events, ag.WorkspaceID, CredentialsChanged{AgentID: id})
	return ag, nil
}

// UpdateAgent changes an agent's profile in the caller's transaction. A
// role change re-authenticates the agent's websockets, and its tokens', on
// every instance once it commits: a demoted agent's subscriptions end.
func (s *Service) UpdateAgent(ctx context.Context, id gid.ID, in ent.UpdateAgentInput) (*ent.Agent, error) {
	client := s.db(ctx)
	if in.Email != nil {
		e := NormalizeEmail(*in.Email)
		in.Email = &e
	}
	ag, err := client.Agent.UpdateOneID(id).SetInput(in).Save(ctx)
	if err != nil {
		return nil, err
	}
	if in.Role != nil {
		SignalCredentialsChanged(ctx, s.events, ag.WorkspaceID, CredentialsChanged{AgentID: id})
	}
	return ag, nil
}

// CreateAPIToken creates a token in the actor's workspace and returns its
// secret, which is never stored and cannot be shown again.
func (s *Service) CreateAPIToken(ctx context.Context, name string, scopes []string) (string, *ent.ApiToken, error) {
	client := s.db(ctx)
	if len(scopes) == 0 {
		return "", nil, apperr.Invalid("scopes", "give at least one scope")
	}
	a := viewer.FromContext(ctx)
	secret := newSecret()
	t, err := client.ApiToken.Create().
		SetName(name).
		SetTokenHash(hashToken(secret)).
		SetTokenPrefix(secret[:len(APITokenPrefix)+6]).
		SetScopes(uniq(scopes)).
		SetNillableCreatedByID(nonEmpty(a.AgentID)).
		Save(ctx)
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// RevokeAPIToken revokes a token; revoking twice keeps the first time.
// Once the transaction commits, every instance ends the token's websockets.
func (s *Service) RevokeAPIToken(ctx context.Context, id gid.ID, now time.Time) (*ent.ApiToken, error) {
	client := s.db(ctx)
	t, err := client.ApiToken.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.RevokedAt != nil {
		return t, nil
	}
	t, err = t.Update().SetRevokedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	SignalCredentialsChanged(ctx, s.events, t.WorkspaceID, CredentialsChanged{TokenID: id})
	return t, nil
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func nonEmpty(id gid.ID) *gid.ID {
	if id == "" {
		return nil
	}
	return &id
}
