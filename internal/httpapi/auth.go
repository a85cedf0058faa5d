package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/tenancy"
)

const tokenType = "bearer"

// Register creates a user, their organization and a session.
func (s *Server) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	b := req.Body
	user, org, pair, err := s.auth.Register(ctx, b.Email, b.Password, b.Name, b.OrganizationName)
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
	user, pair, err := s.auth.Login(ctx, req.Body.Email, req.Body.Password, clientAddrFrom(ctx))
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
	pair, err := s.auth.Refresh(ctx, req.Body.RefreshToken)
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
	out := api.GetMe200JSONResponse{User: toUser(user), Memberships: make([]api.Membership, len(ms))}
	for i, m := range ms {
		out.Memberships[i] = api.Membership{OrganizationId: m.OrganizationID, OrganizationName: m.OrganizationName, Role: api.Role(m.Role)}
	}
	return out, nil
}

func (s *Server) expiresIn() int { return int(s.auth.Tokens().AccessTTL().Seconds()) }
