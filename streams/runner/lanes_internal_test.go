package runner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
)

func msgs(n int) []eventstore.Msg { return make([]eventstore.Msg, n) }

// TestSchedulerShares: with every lane saturated, starts follow 8:4:2:1
// exactly; an idle lane lends its share; a lane that becomes busy gets no
// burst of saved-up credit; low is served in every round.
func TestSchedulerShares(t *testing.T) {
	t.Parallel()
	s := newScheduler(64)
	for p := range 4 {
		s.push(p, msgs(1000))
	}
	var got [4]int
	lowGap, sinceLow := 0, 0
	for range 1500 {
		_, p, ok := s.next(t.Context())
		require.True(t, ok)
		got[p]++
		if p == 0 {
			lowGap, sinceLow = max(lowGap, sinceLow), 0
		} else {
			sinceLow++
		}
	}
	require.Equal(t, [4]int{100, 200, 400, 800}, got)
	require.LessOrEqual(t, lowGap, 15, "low waits at most one round of 15 starts")

	// Only normal and low are busy: they share 2:1 (the idle lanes lend).
	s = newScheduler(64)
	s.push(0, msgs(300))
	s.push(1, msgs(300))
	got = [4]int{}
	for range 300 {
		_, p, _ := s.next(t.Context())
		got[p]++
	}
	require.Equal(t, [4]int{100, 200, 0, 0}, got)

	// Critical arrives late: it starts at once and takes its share from
	// then on, without a burst for the time it was idle.
	s.push(3, msgs(300))
	_, p, _ := s.next(t.Context())
	require.Equal(t, 3, p)
	got = [4]int{}
	for range 110 {
		_, p, _ := s.next(t.Context())
		got[p]++
	}
	require.InDelta(t, 80, got[3], 2)
	require.InDelta(t, 20, got[1], 2)
	require.InDelta(t, 10, got[0], 2)
}

func TestSchedulerPrefetch(t *testing.T) {
	t.Parallel()
	s := newScheduler(64)
	require.Equal(t, [4]int{5, 9, 18, 35}, s.prefetch)
	s.push(3, msgs(35))
	require.Len(t, s.queued(), 35)
	_, _, _ = s.next(t.Context())
	require.Equal(t, 1, s.room(t.Context(), 3))
	require.Equal(t, [4]uint64{0, 0, 0, 1}, s.starts())
}
