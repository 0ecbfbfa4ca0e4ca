package hookstream

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the one retry policy of every loop that retries (river
// internal/serviceutil): exponential with full jitter, so that many
// retriers spread out instead of retrying in lockstep. Attempt n (from 1)
// waits a uniformly random duration in [0, min(Max, Base·2^(n-1))).
type Backoff struct {
	// Base is the ceiling of the first attempt's delay; default
	// BackoffBaseDefault.
	Base time.Duration
	// Max caps the ceiling; default BackoffMaxDefault.
	Max time.Duration
}

// Backoff defaults.
const (
	BackoffBaseDefault = 500 * time.Millisecond
	BackoffMaxDefault  = 30 * time.Second
)

// Ceiling is the upper bound of attempt's delay (no jitter).
func (b Backoff) Ceiling(attempt int) time.Duration {
	base, ceiling := b.Base, b.Max
	if base <= 0 {
		base = BackoffBaseDefault
	}
	if ceiling <= 0 {
		ceiling = BackoffMaxDefault
	}
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// Delay is attempt's delay: uniformly random in [0, Ceiling(attempt)).
func (b Backoff) Delay(attempt int) time.Duration {
	c := b.Ceiling(attempt)
	if c <= 0 {
		return 0
	}
	return rand.N(c) //nolint:gosec // jitter, not a secret
}

// Wait sleeps attempt's delay or until ctx ends; false when ctx ended.
func (b Backoff) Wait(ctx context.Context, attempt int) bool {
	return Sleep(ctx, b.Delay(attempt))
}

// Sleep waits d or until ctx ends; false when ctx ended first. Loops use
// it instead of time.Sleep so that Stop is never held up by a sleep.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
