// Package ratelimittest connects the tests of the rate limiter, its own and the HTTP API's, to a
// Redis of their own key prefix.
package ratelimittest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/ratelimit"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is used when TEST_REDIS_URL is not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// Redis connects to the Redis of TEST_REDIS_URL (or the local default) and returns a key prefix
// of its own, whose keys are deleted at the end of the test. Without TEST_REDIS_URL and without a
// Redis on the default address the test is skipped; with TEST_REDIS_URL set (CI), an unreachable
// Redis fails it.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url, explicit := os.LookupEnv("TEST_REDIS_URL")
	if !explicit {
		url = DefaultRedisURL
	}
	rdb, err := ratelimit.NewRedisClient(url)
	if err != nil {
		t.Fatal(err)
	}
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
	// One cleanup that deletes the keys and then closes the client: a deferred Close would run
	// before t.Cleanup and the deletion would silently hit a closed client.
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := rdb.Keys(ctx, "rate:"+prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = rdb.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up %s keys: %v", prefix, err)
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}
