package apptest

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// Invite invites email to org with role, acting as admin (an owner or admin of org), and returns
// the invitation with its token.
func (a *App) Invite(t testing.TB, admin User, org uuid.UUID, email string, role client.Role) client.InvitationWithToken {
	t.Helper()
	res, err := a.Client.CreateInvitationWithResponse(t.Context(), org,
		client.CreateInvitationJSONRequestBody{Email: email, Role: role}, admin.Auth())
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	if res.StatusCode() != http.StatusCreated || res.JSON201 == nil {
		t.Fatalf("invite: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// AcceptInvitation accepts the invitation with token as u and returns the membership it gave.
func (a *App) AcceptInvitation(t testing.TB, u User, token string) client.Membership {
	t.Helper()
	res, err := a.Client.AcceptInvitationWithResponse(t.Context(),
		client.AcceptInvitationJSONRequestBody{Token: token}, u.Auth())
	if err != nil {
		t.Fatalf("accept invitation: %v", err)
	}
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
		t.Fatalf("accept invitation: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON200
}
