package httpapi

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/stretchr/testify/assert"
)

func TestStatusOf_EveryKindHasOneStatus(t *testing.T) {
	t.Parallel()
	seen := map[int]apperr.Kind{}
	for k := apperr.KindInternal; k <= apperr.KindUnavailable; k++ {
		status, ok := statusOf[k]
		if assert.True(t, ok, "kind %d has no status", k) {
			prev, dup := seen[status]
			assert.False(t, dup, "kinds %d and %d share status %d", prev, k, status)
			seen[status] = k
		}
	}
	assert.Len(t, statusOf, len(seen))
}

func TestClientError_EchosOwnFailuresGetKinds(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{
		http.StatusNotFound:              "not_found",
		http.StatusMethodNotAllowed:      "method_not_allowed",
		http.StatusRequestEntityTooLarge: "payload_too_large",
		http.StatusUnsupportedMediaType:  "unsupported_media_type",
		http.StatusBadRequest:            "malformed_request",
		http.StatusUnauthorized:          "unauthorized",
		http.StatusServiceUnavailable:    "service_unavailable",
		http.StatusInternalServerError:   "internal_error",
	} {
		ae := clientError(echo.NewHTTPError(code))
		assert.Equal(t, want, ae.Code, "echo %d", code)
		assert.Equal(t, code, statusOf[ae.Kind], "echo %d keeps its status", code)
	}
	wrapped := echo.NewHTTPError(http.StatusBadRequest).SetInternal(apperr.ErrNotAMember)
	assert.Equal(t, "not_a_member", clientError(wrapped).Code, "an *apperr.Error inside echo's error wins")
	assert.Equal(t, apperr.KindInternal, clientError(assert.AnError).Kind)
}
