package webhooks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNextRetry_FollowsTheScheduleWithAtMostAFifthOfJitter(t *testing.T) {
	t.Parallel()
	failed := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	want := []time.Duration{5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	for i, d := range want {
		for range 50 {
			at, ok := NextRetry(i+1, failed)
			assert.True(t, ok)
			assert.GreaterOrEqual(t, at.Sub(failed), d)
			assert.LessOrEqual(t, at.Sub(failed), d+d/5)
		}
	}
	_, ok := NextRetry(len(want)+1, failed)
	assert.False(t, ok, "after the last retry the delivery has failed")
	assert.Equal(t, 9, MaxAttempts)
	first, _ := NextRetry(1, failed)
	assert.LessOrEqual(t, first.Sub(failed), 6*time.Second, "the first retry reaches the receiver within 12 s of the failure")
}
