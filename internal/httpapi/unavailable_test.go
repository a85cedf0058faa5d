package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apptest"
)

// When the database is gone every operation that needs it answers 503 problem+json with
// Retry-After, never 500: the test closes the server's pool and walks every operation of the spec
// with a request that passes validation (the spec's own request example).
func TestUnavailable_EveryOperationAnswers503WhenTheDatabaseIsGone(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	app.Pool.Close()

	spec, err := api.GetSpec()
	require.NoError(t, err)
	param := regexp.MustCompile(`\{[^}]+\}`)
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if strings.EqualFold(op.OperationID, "getHealthz") {
				continue // liveness does not depend on the database
			}
			var body []byte
			contentType := ""
			if op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") == nil {
				contentType, body = exampleBody(t, op) // the CSV import
			} else if op.RequestBody != nil {
				ex := op.RequestBody.Value.Content.Get("application/json").Example
				require.NotNil(t, ex, "%s has a request example", op.OperationID)
				if m, ok := ex.(map[string]any); ok {
					if _, ok := m["refresh_token"]; ok {
						m["refresh_token"] = ada.Refresh // a real token: the check is before the database
					}
				}
				body, err = json.Marshal(ex)
				require.NoError(t, err)
			}
			res, _ := app.Do(t, apptest.Request{Method: method, Body: body, ContentType: contentType, Token: ada.Access, Org: ada.OrgID,
				Path: param.ReplaceAllStringFunc(path, func(string) string { return uuid.NewString() })})
			assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "%s %s", method, path)
			assert.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json"), op.OperationID)
			assert.NotEmpty(t, res.Header.Get("Retry-After"), op.OperationID)
		}
	}
}
