package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSmoke_RegisterAndMe(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	res, err := app.Client.GetMeWithResponse(t.Context(), ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	assert.Equal(t, ada.ID, res.JSON200.User.Id)
}
