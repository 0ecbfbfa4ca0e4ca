package sqsbridge

import (
	"context"
	"time"

	"github.com/hookstream/hookstream"
)

// backoff is the one policy every retry loop uses (hookstream.Backoff,
// full jitter): a random delay in [0, min(hi, lo·2^attempt)], attempt
// counting from 0.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	return hookstream.Backoff{Base: lo, Max: hi}.Delay(attempt + 1)
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool { return hookstream.Sleep(ctx, d) }
