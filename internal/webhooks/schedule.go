package webhooks

import (
	"math/rand/v2"
	"time"
)

// retryDelays is the schedule after a failed attempt: the n-th retry comes retryDelays[n-1] after
// the failed attempt before it. After the last, the delivery has failed.
var retryDelays = []time.Duration{
	5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// MaxAttempts is the first attempt and one per retry of the schedule.
var MaxAttempts = len(retryDelays) + 1

// jitter is the largest share added to a delay, so that the retries of an outage do not all
// arrive at once.
const jitter = 0.2

// NextRetry is when to try again after failed attempt number attempt (from 1), counted from
// failedAt, with up to 20% jitter; ok is false when the schedule is over.
func NextRetry(attempt int, failedAt time.Time) (at time.Time, ok bool) {
	if attempt < 1 || attempt > len(retryDelays) {
		return time.Time{}, false
	}
	d := retryDelays[attempt-1]
	d += time.Duration(rand.Float64() * jitter * float64(d)) //nolint:gosec // jitter, not a secret
	return failedAt.Add(d), true
}
