package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/oapi-codegen/nullable"
)

const tokenType = "bearer"

// Register creates a user, their organization and a session.
func (s *Server) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	b := req.Body
	user, org, pair, err := s.auth.Register(ctx, b.Email, b.Password, b.Name, b.OrganizationName, userAgentFrom(ctx))
	if err != nil {
		return nil, err
	}
	return api.Register201JSONResponse{
		User: toUser(user), Organization: toOrganization(org),
		AccessToken: pair.Access, RefreshToken: pair.Refresh, TokenType: tokenType, ExpiresIn: s.expiresIn(),
	}, nil
}

// Login starts a session; failures are throttled per client address too.
func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	user, pair, err := s.auth.Login(ctx, req.Body.Email, req.Body.Password, clientAddrFrom(ctx), userAgentFrom(ctx))
	if err != nil {
		return nil, err
	}
	return api.Login200JSONResponse{
		User: toUser(user), AccessToken: pair.Access, RefreshToken: pair.Refresh,
		TokenType: tokenType, ExpiresIn: s.expiresIn(),
	}, nil
}

// RefreshTokens rotates the session's refresh token.
func (s *Server) RefreshTokens(ctx context.Context, req api.RefreshTokensRequestObject) (api.RefreshTokensResponseObject, error) {
	pair, err := s.auth.Refresh(ctx, req.Body.RefreshToken, userAgentFrom(ctx))
	if err != nil {
		return nil, err
	}
	return api.RefreshTokens200JSONResponse{
		AccessToken: pair.Access, RefreshToken: pair.Refresh, TokenType: tokenType, ExpiresIn: s.expiresIn(),
	}, nil
}

// Logout ends the session.
func (s *Server) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	if err := s.auth.Logout(ctx, req.Body.RefreshToken); err != nil {
		return nil, err
	}
	return api.Logout204Response{}, nil
}

// GetMe returns the caller and their memberships.
func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	user, ms, err := s.auth.Me(ctx, p)
	if err != nil {
		return nil, err
	}
	return api.GetMe200JSONResponse(toMe(user, ms)), nil
}

// UpdateMe renames the caller; the answer is GetMe's.
func (s *Server) UpdateMe(ctx context.Context, req api.UpdateMeRequestObject) (api.UpdateMeResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	user, ms, err := s.auth.UpdateName(ctx, p, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return api.UpdateMe200JSONResponse(toMe(user, ms)), nil
}

// ChangePassword replaces the caller's password and ends their other sessions.
func (s *Server) ChangePassword(ctx context.Context, req api.ChangePasswordRequestObject) (api.ChangePasswordResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.auth.ChangePassword(ctx, p, req.Body.CurrentPassword, req.Body.NewPassword, clientAddrFrom(ctx)); err != nil {
		return nil, err
	}
	return api.ChangePassword204Response{}, nil
}

// ListSessions lists the caller's active sessions.
func (s *Server) ListSessions(ctx context.Context, _ api.ListSessionsRequestObject) (api.ListSessionsResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	sessions, err := s.auth.Sessions(ctx, p)
	if err != nil {
		return nil, err
	}
	out := api.ListSessions200JSONResponse{Items: make([]api.Session, len(sessions))}
	for i, ss := range sessions {
		out.Items[i] = api.Session{
			Id: ss.ID, CreatedAt: ss.CreatedAt.UTC(), ExpiresAt: ss.ExpiresAt.UTC(), LastUsedAt: ss.LastUsedAt.UTC(),
			UserAgent: nullableString(ss.UserAgent), Current: ss.Current,
		}
	}
	return out, nil
}

// DeleteSession ends one of the caller's sessions.
func (s *Server) DeleteSession(ctx context.Context, req api.DeleteSessionRequestObject) (api.DeleteSessionResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.auth.RevokeSession(ctx, p, req.SessionId); err != nil {
		return nil, err
	}
	return api.DeleteSession204Response{}, nil
}

// LogoutAll ends every session of the caller, the current one included.
func (s *Server) LogoutAll(ctx context.Context, _ api.LogoutAllRequestObject) (api.LogoutAllResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.auth.LogoutAll(ctx, p); err != nil {
		return nil, err
	}
	return api.LogoutAll204Response{}, nil
}

func toMe(user auth.User, ms []auth.Membership) api.MeResponse {
	out := api.MeResponse{User: toUser(user), Memberships: make([]api.Membership, len(ms))}
	for i, m := range ms {
		out.Memberships[i] = api.Membership{OrganizationId: m.OrganizationID, OrganizationName: m.OrganizationName, Role: api.Role(m.Role)}
	}
	return out
}

func (s *Server) expiresIn() int { return int(s.auth.Tokens().AccessTTL().Seconds()) }

// nullableString is a nullable response field: null for nil.
func nullableString(v *string) nullable.Nullable[string] {
	if v == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(*v)
}
