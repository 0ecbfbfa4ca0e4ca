package main

import (
	"math"
	"math/bits"
	"time"
)

// histSubBits sets the histogram's precision: 2^histSubBits sub-buckets per
// power of two, so a recorded value is reported within 1/128 (< 0.8 %).
const histSubBits = 7

const (
	histSub     = 1 << histSubBits // sub-buckets per power of two
	histLinear  = 2 * histSub      // values below this are counted exactly
	histBuckets = histLinear + (64-histSubBits-1)*histSub
)

// Histogram is an HDR-style log-linear histogram of non-negative durations
// (nanoseconds): values below 256 ns are counted exactly, larger ones in
// buckets 1/128 of their power of two wide. Recording is O(1) and
// allocation-free; the zero value is not usable, call NewHistogram. It is
// not safe for concurrent use: give each worker its own and Merge them.
type Histogram struct {
	counts   []uint64
	total    uint64
	min, max int64
	sum      float64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, histBuckets), min: math.MaxInt64}
}

// bucketOf returns the bucket index of v (v >= 0).
func bucketOf(v int64) int {
	if v < histLinear {
		return int(v)
	}
	u := uint64(v)
	shift := bits.Len64(u) - histSubBits - 1 // >= 1
	top := u >> shift                        // in [histSub, 2*histSub)
	return histLinear + (shift-1)*histSub + int(top-histSub)
}

// bucketHigh returns the highest value that falls into bucket i.
func bucketHigh(i int) int64 {
	if i < histLinear {
		return int64(i)
	}
	shift := (i-histLinear)/histSub + 1
	top := uint64((i-histLinear)%histSub + histSub)
	hi := (top+1)<<shift - 1
	if hi > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(hi)
}

// Record adds one duration; negative durations count as 0.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(v)]++
	h.total++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Min is the smallest recorded value (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.min)
}

// Max is the largest recorded value (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the exact mean of the recorded values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Quantile returns the value at quantile q in [0, 1]: the highest value of
// the bucket holding the ceil(q·n)-th smallest recorded value, capped at the
// recorded maximum (HDR's "highest equivalent value"). 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		if seen >= rank {
			return time.Duration(min(max(bucketHigh(i), h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// Percentiles is the latency summary every result reports.
type Percentiles struct {
	P50, P90, P99, P999, Max time.Duration
	Count                    uint64
}

// Summary returns p50/p90/p99/p99.9/max.
func (h *Histogram) Summary() Percentiles {
	return Percentiles{
		P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99), P999: h.Quantile(0.999),
		Max: h.Max(), Count: h.total,
	}
}
