package crmsdk

import (
	"context"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// AuthService starts and ends the session of the [Client]: /api/v1/auth/register, login, refresh,
// logout and logout-all. Its methods are those of the Client of the same names, which keep the
// tokens ([WithTokenCallback] hears of every change).
type AuthService service

// Register creates a user and their first organization; see [Client.Register].
func (s *AuthService) Register(ctx context.Context, body RegisterRequest) (*RegisterResult, error) {
	return s.c.Register(ctx, body)
}

// Login starts a session; see [Client.Login].
func (s *AuthService) Login(ctx context.Context, email, password string) (*LoginResult, error) {
	return s.c.Login(ctx, email, password)
}

// Refresh renews the tokens now; see [Client.Refresh].
func (s *AuthService) Refresh(ctx context.Context) error { return s.c.Refresh(ctx) }

// Logout ends the session; see [Client.Logout].
func (s *AuthService) Logout(ctx context.Context) error { return s.c.Logout(ctx) }

// LogoutAll ends every session of the caller; see [Client.LogoutAll].
func (s *AuthService) LogoutAll(ctx context.Context) error { return s.c.LogoutAll(ctx) }

// AccountService handles the caller's own account: /api/v1/auth/me, password and sessions.
type AccountService service

// Get returns the caller and their memberships.
func (s *AccountService) Get(ctx context.Context, opts ...RequestOption) (*MeResponse, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetMeResponse, error) {
		return s.c.GetMeWithResponse(ctx, o...)
	}, func(r *client.GetMeResponse) *MeResponse { return r.JSON200 })
}

// Update renames the caller; see [Client.UpdateMe].
func (s *AccountService) Update(ctx context.Context, name string) (*MeResponse, error) {
	return s.c.UpdateMe(ctx, name)
}

// ChangePassword replaces the caller's password and ends their other sessions; see
// [Client.ChangePassword].
func (s *AccountService) ChangePassword(ctx context.Context, currentPassword, newPassword string) error {
	return s.c.ChangePassword(ctx, currentPassword, newPassword)
}

// Sessions lists the caller's active sessions; see [Client.Sessions].
func (s *AccountService) Sessions(ctx context.Context) ([]Session, error) { return s.c.Sessions(ctx) }

// EndSession ends one of the caller's sessions; see [Client.EndSession].
func (s *AccountService) EndSession(ctx context.Context, id uuid.UUID) error {
	return s.c.EndSession(ctx, id)
}

// HealthService reads the service's probes: /healthz and /readyz.
type HealthService service

// Live reports whether the process answers (GET /healthz).
func (s *HealthService) Live(ctx context.Context, opts ...RequestOption) (*Health, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetHealthzResponse, error) {
		return s.c.GetHealthzWithResponse(ctx, o...)
	}, func(r *client.GetHealthzResponse) *Health { return r.JSON200 })
}

// Ready reports whether the service can serve requests, its database reachable (GET /readyz); a
// 503 is a [*ProblemError] or, without a problem document, one with code "http_503".
func (s *HealthService) Ready(ctx context.Context, opts ...RequestOption) (*Health, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetReadyzResponse, error) {
		return s.c.GetReadyzWithResponse(ctx, o...)
	}, func(r *client.GetReadyzResponse) *Health { return r.JSON200 })
}
