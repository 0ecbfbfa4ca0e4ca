package projections

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLatencyQuantiles(t *testing.T) {
	t.Parallel()
	require.Nil(t, quantile(make([]int64, len(LatencyBucketBounds)+1), 0.5))
	hist := make([]int64, len(LatencyBucketBounds)+1)
	// 98 fast deliveries (~1 ms), 2 slow ones (~500 ms).
	hist[latencyBucket(1)] += 98
	hist[latencyBucket(500)] += 2
	p50, p99 := quantile(hist, 0.5), quantile(hist, 0.99)
	require.NotNil(t, p50)
	require.NotNil(t, p99)
	// A quantile is the bucket's upper bound: at most 25 % above the value.
	require.GreaterOrEqual(t, *p50, 1.0)
	require.LessOrEqual(t, *p50, 1.25)
	require.GreaterOrEqual(t, *p99, 500.0)
	require.LessOrEqual(t, *p99, 625.0)
	// Slower than the last bound lands in the overflow bucket.
	require.Equal(t, len(LatencyBucketBounds), latencyBucket(1e9))
}
