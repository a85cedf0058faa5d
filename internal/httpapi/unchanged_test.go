package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A PATCH that changes nothing writes nothing: the answer is the stored object, updated_at
// included, for every resource with a partial update.
func TestPatch_NothingChangedWritesNothing(t *testing.T) {
	t.Parallel()
	team := apptest.NewTeam(t, nil)
	app, owner, org := team.App, team.Owner, team.Org
	deal := app.NewDeal(t, owner, org, "Deal", "100.00")
	contact := app.NewContact(t, owner, org, "Ada")
	desc := "call back"
	task := app.CreateTask(t, owner, org, client.TaskCreate{DealId: deal.Id, Title: "Call", Description: &desc})
	time.Sleep(5 * time.Millisecond) // a write now would move updated_at visibly

	t.Run("task", func(t *testing.T) {
		for _, body := range []client.TaskUpdate{{Title: &task.Title}, {Title: &task.Title, Description: nullable.NewNullableWithValue(desc), IsDone: &task.IsDone, OwnerId: &owner.ID}} {
			res, err := app.Client.UpdateTaskWithResponse(t.Context(), task.Id, body, owner.In(org)...)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
			assert.Equal(t, task.UpdatedAt, res.JSON200.UpdatedAt)
		}
	})
	t.Run("deal", func(t *testing.T) {
		res, err := app.Client.UpdateDealWithResponse(t.Context(), deal.Id, client.DealUpdate{Title: &deal.Title, Amount: &deal.Amount}, owner.In(org)...)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.Equal(t, deal.UpdatedAt, res.JSON200.UpdatedAt)
	})
	t.Run("contact", func(t *testing.T) {
		res, err := app.Client.UpdateContactWithResponse(t.Context(), contact.Id, client.ContactUpdate{Name: &contact.Name, Email: nullable.NewNullNullable[string]()}, owner.In(org)...)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.Equal(t, contact.UpdatedAt, res.JSON200.UpdatedAt)
	})
}
