package hookstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := hookstream.Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{0, 100 * time.Millisecond}, {1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {60, time.Second}} {
		require.Equal(t, tc.want, b.Ceiling(tc.attempt), "attempt %d", tc.attempt)
		for range 50 {
			d := b.Delay(tc.attempt)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.Less(t, d, tc.want)
		}
	}
	require.Equal(t, hookstream.BackoffMaxDefault, hookstream.Backoff{}.Ceiling(100))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.False(t, hookstream.Sleep(ctx, time.Hour), "a cancelled context ends the sleep")
	require.False(t, hookstream.Backoff{Base: time.Hour}.Wait(ctx, 3))
	require.True(t, hookstream.Sleep(t.Context(), 0))
}
