package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/httpapi"
	"github.com/minicrm/crm/internal/ratelimit"
	"github.com/minicrm/crm/internal/ratelimit/ratelimittest"
	"github.com/stretchr/testify/assert"
)

// TestRateLimit_ReplicasShareTheCountersInRedis runs two instances of the service on one Redis:
// a client address's budget is spent across both. Skipped without a Redis (TEST_REDIS_URL, or the
// local default), failed when TEST_REDIS_URL names one that does not answer.
func TestRateLimit_ReplicasShareTheCountersInRedis(t *testing.T) {
	t.Parallel()
	rdb, prefix := ratelimittest.Redis(t)

	limits := httpapi.Limits{AnonPerMinute: 3, Store: ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})}
	a := apptest.NewWithOptions(t, apptest.Options{Limits: limits})
	b := apptest.NewWithOptions(t, apptest.Options{Limits: limits})
	login := func(app *apptest.App) (*http.Response, []byte) {
		return app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login", Body: rlLogin(apptest.UniqueEmail("nobody"))})
	}
	for i, app := range []*apptest.App{a, b, a} {
		res, body := login(app)
		problemOf(t, res, body, http.StatusUnauthorized, "invalid_credentials")
		assert.Equal(t, 2-i, rlBudget(t, res, "anon", 3))
	}
	res, body := login(b)
	rlLimited(t, res, body)
}
