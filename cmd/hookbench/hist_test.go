package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHistogramBucketsCoverEveryValue(t *testing.T) {
	t.Parallel()
	// Every value lands in a bucket whose bounds contain it, and bucket
	// indexes grow with the value.
	prev := -1
	for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 1000, 1 << 20, 123456789, math.MaxInt64 / 3, math.MaxInt64} {
		i := bucketOf(v)
		require.Less(t, i, histBuckets, "value %d", v)
		require.GreaterOrEqual(t, bucketHigh(i), v, "value %d", v)
		if i > 0 {
			require.Less(t, bucketHigh(i-1), v, "value %d", v)
		}
		require.GreaterOrEqual(t, i, prev)
		prev = i
	}
}

func TestHistogramPercentilesWithinPrecision(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	// 1..100000 µs, shuffled.
	vals := make([]time.Duration, 100000)
	for i := range vals {
		vals[i] = time.Duration(i+1) * time.Microsecond
	}
	rand.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
	for _, v := range vals {
		h.Record(v)
	}
	require.Equal(t, uint64(100000), h.Count())
	require.Equal(t, time.Microsecond, h.Min())
	require.Equal(t, 100*time.Millisecond, h.Max())
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 50 * time.Millisecond},
		{0.9, 90 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.999, 99900 * time.Microsecond},
		{1, 100 * time.Millisecond},
	} {
		got := h.Quantile(c.q)
		// Never below the true value, at most one bucket (1/128) above.
		require.GreaterOrEqual(t, got, c.want, "q=%v", c.q)
		require.LessOrEqual(t, float64(got), float64(c.want)*(1+1.0/128), "q=%v", c.q)
	}
	require.InDelta(t, float64(50000500*time.Nanosecond), float64(h.Mean()), float64(time.Microsecond))
}

func TestHistogramExactBelow256ns(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	for v := range 200 {
		h.Record(time.Duration(v))
	}
	require.Equal(t, time.Duration(99), h.Quantile(0.5))
	require.Equal(t, time.Duration(0), h.Quantile(0))
	require.Equal(t, time.Duration(199), h.Quantile(1))
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	require.Equal(t, Percentiles{}, h.Summary())
	require.Zero(t, h.Min())
	require.Zero(t, h.Mean())
	h.Record(-time.Second)
	require.Equal(t, time.Duration(0), h.Max())
	require.Equal(t, uint64(1), h.Count())
}

func TestHistogramMergeEqualsRecordingAll(t *testing.T) {
	t.Parallel()
	all, a, b := NewHistogram(), NewHistogram(), NewHistogram()
	r := rand.New(rand.NewPCG(1, 2))
	var vals []time.Duration
	for i := range 5000 {
		v := time.Duration(r.ExpFloat64() * float64(3*time.Millisecond))
		vals = append(vals, v)
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(b)
	a.Merge(nil)
	a.Merge(NewHistogram())
	require.Equal(t, all.Summary(), a.Summary())
	require.Equal(t, all.Min(), a.Min())
	slices.Sort(vals)
	require.Equal(t, vals[len(vals)-1], a.Max())
	// The p99 is the true p99 within the bucket precision.
	trueP99 := vals[int(math.Ceil(0.99*float64(len(vals))))-1]
	require.GreaterOrEqual(t, a.Quantile(0.99), trueP99)
	require.LessOrEqual(t, float64(a.Quantile(0.99)), float64(trueP99)*(1+1.0/128))
}
