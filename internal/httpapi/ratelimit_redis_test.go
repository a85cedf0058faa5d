package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/httpapi"
	"github.com/minicrm/crm/internal/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRateLimit_ReplicasShareTheCountersInRedis runs two instances of the service on one Redis:
// a client address's budget is spent across both. Skipped without a Redis (TEST_REDIS_URL, or the
// local default), failed when TEST_REDIS_URL names one that does not answer.
func TestRateLimit_ReplicasShareTheCountersInRedis(t *testing.T) {
	t.Parallel()
	url, explicit := os.LookupEnv("TEST_REDIS_URL")
	if !explicit {
		url = "redis://127.0.0.1:6379/0"
	}
	rdb, err := ratelimit.NewRedisClient(url)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if explicit {
			t.Fatalf("TEST_REDIS_URL=%s: %v", url, err)
		}
		t.Skipf("no Redis at %s (set TEST_REDIS_URL to require one): %v", url, err)
	}
	prefix := "crmtest:" + uuid.NewString() + ":"
	t.Cleanup(func() {
		bg := context.Background()
		if keys, err := rdb.Keys(bg, "rate:"+prefix+"*").Result(); err == nil && len(keys) > 0 {
			_ = rdb.Del(bg, keys...).Err()
		}
		_ = rdb.Close()
	})

	limits := httpapi.Limits{AnonPerMinute: 3, Store: ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})}
	a := apptest.NewWithOptions(t, apptest.Options{Limits: limits})
	b := apptest.NewWithOptions(t, apptest.Options{Limits: limits})
	login := func(app *apptest.App) (*http.Response, []byte) {
		return rlDo(t, app, rlRequest{method: http.MethodPost, path: "/api/v1/auth/login", body: rlLogin(apptest.UniqueEmail("nobody"))})
	}
	for i, app := range []*apptest.App{a, b, a} {
		res, body := login(app)
		problemOf(t, res, body, http.StatusUnauthorized, "invalid_credentials")
		assert.Equal(t, 2-i, rlBudget(t, res, "anon", 3))
	}
	res, body := login(b)
	rlLimited(t, res, body)
}
