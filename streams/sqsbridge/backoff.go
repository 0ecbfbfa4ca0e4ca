package sqsbridge

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is full jitter: a random delay in [0, min(max, min·2^attempt)]
// (the same policy as the runner's retries, SPEC §6).
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	ceil := lo
	for range min(attempt, 32) {
		ceil *= 2
		if ceil >= hi {
			ceil = hi
			break
		}
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1)) //nolint:gosec // jitter, not security
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
