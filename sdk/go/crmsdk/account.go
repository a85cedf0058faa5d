package crmsdk

import (
	"context"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// UpdateMe renames the caller (PATCH /api/v1/auth/me; the name is trimmed, 1 to 200 characters,
// a blank one is 400 validation_failed) and returns the caller as [client.MeResponse], memberships
// included. It is not retried after a lost answer (a PATCH without If-Match), but sending the same
// name again is harmless.
func (c *Client) UpdateMe(ctx context.Context, name string) (*client.MeResponse, error) {
	res, err := Ok(c.UpdateMeWithResponse(ctx, client.MeUpdate{Name: name}))
	if err != nil {
		return nil, err
	}
	if res.JSON200 == nil {
		return nil, unexpected(res.StatusCode(), res.Body)
	}
	return res.JSON200, nil
}

// ChangePassword replaces the caller's password (POST /api/v1/auth/password). Every other session
// of the caller ends at once; this client's session stays, and so do its stored tokens, which keep
// working.
//
// A wrong current password is a [*ProblemError] with code "invalid_credentials" and status 403,
// not 401: the token is fine, so the Client neither refreshes nor clears the session. It counts as
// a failed login, and the login locks apply (429 "too_many_attempts"). A new password that breaks
// the registration rules is 400 "validation_failed".
//
// Like every authenticated POST it carries an Idempotency-Key and is retried as [WithRetry]
// describes: a retry after a lost answer gets the stored answer instead of changing the password
// twice.
func (c *Client) ChangePassword(ctx context.Context, currentPassword, newPassword string) error {
	_, err := Ok(c.ChangePasswordWithResponse(ctx, client.PasswordChange{CurrentPassword: currentPassword, NewPassword: newPassword}))
	return err
}

// Sessions returns the caller's active sessions (GET /api/v1/auth/sessions), most recently used
// first, at most 100. The one this client uses has Current set; UserAgent is nil when the client
// that last got the session's tokens sent none.
func (c *Client) Sessions(ctx context.Context) ([]client.Session, error) {
	res, err := Ok(c.ListSessionsWithResponse(ctx))
	if err != nil {
		return nil, err
	}
	if res.JSON200 == nil {
		return nil, unexpected(res.StatusCode(), res.Body)
	}
	return res.JSON200.Items, nil
}

// EndSession ends one of the caller's sessions (DELETE /api/v1/auth/sessions/{session_id}), say
// one that [Client.Sessions] lists: its tokens stop working at once. A session of another user, an
// ended or expired one, or an unknown id is a [*ProblemError] "not_found" ([ErrNotFound]).
//
// When id is the session of this client, its stored tokens are cleared afterwards, as
// [Client.Logout] does (the callback of [WithTokenCallback] gets the zero Tokens). To know which
// session is its own, EndSession first lists the sessions (one GET). Without If-Match, the DELETE
// is not retried after a lost answer (see [WithRetry]).
func (c *Client) EndSession(ctx context.Context, id uuid.UUID) error {
	sess := c.sessionEpoch()
	list, err := c.Sessions(ctx)
	if err != nil {
		return err
	}
	own := false
	for _, s := range list {
		if s.Current && s.Id == id {
			own = true
		}
	}
	if _, err := Ok(c.DeleteSessionWithResponse(ctx, id)); err != nil {
		return err
	}
	if own {
		// Unless the session was replaced meanwhile (a new login): that one is not ours to clear.
		c.clearSession(sess)
	}
	return nil
}

// LogoutAll ends every session of the caller, this client's own included (POST
// /api/v1/auth/logout-all), and then clears the stored tokens as [Client.Logout] does. Log in again
// to go on.
//
// Like every authenticated POST it carries an Idempotency-Key and is retried as [WithRetry]
// describes. A retry after a lost answer finds the session ended: the server answers 401, the
// refresh the Client then tries is refused, which clears the tokens, and the 401 is returned as a
// [*ProblemError] "unauthorized". Since the session may also have ended otherwise (expired, ended
// elsewhere) while other sessions live on, that 401 does not prove that every session ended: log
// in and call LogoutAll again to be sure. On other errors the tokens are kept, so that LogoutAll
// can be tried again.
func (c *Client) LogoutAll(ctx context.Context) error {
	sess := c.sessionEpoch()
	if _, err := Ok(c.LogoutAllWithResponse(ctx)); err != nil {
		return err
	}
	c.clearSession(sess)
	return nil
}
