package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With members_see_all=false a member learns nothing about the records they cannot see: not their
// ids through a conflict, and not their existence through a reference.
func TestVisibility_HiddenRecordsLeakNeitherIDsNorExistence(t *testing.T) {
	t.Parallel()
	team := apptest.NewTeam(t, nil)
	team.MembersSeeAll(t, false)
	app, owner, org, member := team.App, team.Owner, team.Org, team.Member(t)

	email := "hidden@example.com"
	hidden := app.CreateContact(t, owner, org, client.ContactCreate{Name: "Hidden", Email: &email})
	mine := app.NewContact(t, member, org, "Mine")

	t.Run("an email taken by a hidden contact: 409 without existing_id", func(t *testing.T) {
		t.Parallel()
		res, err := app.Client.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Dup", Email: &email}, member.In(org)...)
		require.NoError(t, err)
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
		assert.Nil(t, p.ExistingId)
		var raw map[string]any
		require.NoError(t, json.Unmarshal(res.Body, &raw))
		assert.NotContains(t, raw, "existing_id")

		upd, err := app.Client.UpdateContactWithResponse(t.Context(), mine.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue(email)}, member.In(org)...)
		require.NoError(t, err)
		p = problemOf(t, upd.HTTPResponse, upd.Body, http.StatusConflict, "contact_email_taken")
		assert.Nil(t, p.ExistingId)
	})
	t.Run("the owner, who sees it, still gets existing_id", func(t *testing.T) {
		t.Parallel()
		res, err := app.Client.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Dup", Email: &email}, owner.In(org)...)
		require.NoError(t, err)
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
		require.NotNil(t, p.ExistingId)
		assert.Equal(t, hidden.Id, *p.ExistingId)
	})
	t.Run("a deal on a hidden contact is answered like one on an unknown contact", func(t *testing.T) {
		t.Parallel()
		var bodies []map[string]any
		for _, contact := range []uuid.UUID{hidden.Id, uuid.New()} {
			res, err := app.Client.CreateDealWithResponse(t.Context(), client.DealCreate{ContactId: contact, Title: "Sneaky"}, member.In(org)...)
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
			assert.Equal(t, []string{"contact_id"}, fieldsOf(p))
			bodies = append(bodies, withoutRequestID(t, res.Body))
		}
		assert.Equal(t, bodies[0], bodies[1])

		deal := app.CreateDeal(t, member, org, client.DealCreate{ContactId: mine.Id, Title: "Mine"})
		upd, err := app.Client.UpdateDealWithResponse(t.Context(), deal.Id, client.DealUpdate{ContactId: &hidden.Id}, member.In(org)...)
		require.NoError(t, err)
		p := problemOf(t, upd.HTTPResponse, upd.Body, http.StatusBadRequest, "invalid_reference")
		assert.Equal(t, []string{"contact_id"}, fieldsOf(p))
	})
}
