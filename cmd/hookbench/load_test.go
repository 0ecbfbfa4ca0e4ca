package main

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a manual clock: SleepUntil jumps to the target time, and
// operations advance it by their service time. Only used with one worker,
// so its order of events is deterministic.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestScheduleAtAndCount(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	s := Schedule{Start: start, Rate: 400}
	require.Equal(t, start, s.At(0))
	require.Equal(t, start.Add(2500*time.Microsecond), s.At(1))
	require.Equal(t, start.Add(time.Second), s.At(400))
	require.Equal(t, uint64(400), s.Count(time.Second))
	require.Equal(t, uint64(4), s.Count(7500*time.Microsecond+1))
	require.Equal(t, uint64(0), s.Count(0))
	// Fractional rates keep their spacing without drift.
	s = Schedule{Start: start, Rate: 3}
	require.Equal(t, start.Add(10*time.Second), s.At(30))
	require.Equal(t, uint64(2), s.Count(500*time.Millisecond))
}

func TestOpenLoopMeasuresFromIntendedSendTime(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Unix(1000, 0)}
	// 10/s (every 100 ms) against a server that takes 250 ms: with one
	// worker each request starts later than intended, and that wait counts.
	var calls atomic.Int64
	op := func(context.Context) outcome {
		calls.Add(1)
		clk.advance(250 * time.Millisecond)
		return outcome{status: http.StatusAccepted, eventID: "e"}
	}
	var accepted []Accepted
	res, err := OpenLoop(t.Context(), OpenLoopConfig{Rate: 10, Duration: 500 * time.Millisecond, Workers: 1, Clock: clk,
		OnAccepted: func(a Accepted) { accepted = append(accepted, a) }}, op)
	require.NoError(t, err)
	require.Equal(t, int64(5), calls.Load())
	require.Equal(t, uint64(5), res.Requests)
	require.Equal(t, uint64(5), res.Status[http.StatusAccepted])
	require.Len(t, accepted, 5)
	// Request i is intended at i×100 ms and completes at (i+1)×250 ms.
	// Latencies: 250, 400, 550, 700, 850 ms.
	require.Equal(t, 250*time.Millisecond, res.Latency.Min())
	require.Equal(t, 850*time.Millisecond, res.Latency.Max())
	require.Equal(t, 550*time.Millisecond, res.Latency.Mean())
	require.Equal(t, uint64(4), res.Late) // all but the first started late
	require.Equal(t, 1250*time.Millisecond, res.Elapsed)
}

func TestOpenLoopKeepsScheduleWhenFast(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Unix(1000, 0)}
	op := func(context.Context) outcome {
		clk.advance(time.Millisecond)
		return outcome{status: http.StatusAccepted}
	}
	res, err := OpenLoop(t.Context(), OpenLoopConfig{Rate: 100, Duration: time.Second, Workers: 1, Clock: clk}, op)
	require.NoError(t, err)
	require.Equal(t, uint64(100), res.Requests)
	require.Equal(t, time.Millisecond, res.Latency.Max())
	require.Zero(t, res.Late)
	require.Equal(t, 991*time.Millisecond, res.Elapsed) // last due at 990 ms, done 1 ms later
}

func TestOpenLoopCountsErrors(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Unix(1000, 0)}
	var n atomic.Int64
	op := func(context.Context) outcome {
		switch n.Add(1) % 3 {
		case 0:
			return outcome{err: errors.New("connection refused")}
		case 1:
			return outcome{status: http.StatusServiceUnavailable}
		}
		return outcome{status: http.StatusAccepted, eventID: "x"}
	}
	res, err := OpenLoop(t.Context(), OpenLoopConfig{Rate: 30, Duration: time.Second, Workers: 1, Clock: clk}, op)
	require.NoError(t, err)
	require.Equal(t, uint64(30), res.Requests)
	require.Equal(t, uint64(10), res.TransportErrors)
	require.Equal(t, uint64(10), res.Status[http.StatusServiceUnavailable])
	require.Equal(t, uint64(10), res.OK())
	require.Equal(t, uint64(20), res.Errors())
	require.Equal(t, "connection refused", res.FirstError)
	require.Len(t, res.Accepted, 10)
}

func TestOpenLoopValidates(t *testing.T) {
	t.Parallel()
	_, err := OpenLoop(t.Context(), OpenLoopConfig{Rate: 0, Duration: time.Second}, nil)
	require.Error(t, err)
	_, err = ClosedLoop(t.Context(), ClosedLoopConfig{Workers: 0, Duration: time.Second}, nil)
	require.Error(t, err)
}

func TestClosedLoopRecordsEveryAnswer(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	op := func(context.Context) outcome {
		if n.Add(1)%2 == 0 {
			return outcome{status: http.StatusTooManyRequests}
		}
		return outcome{status: http.StatusAccepted, eventID: "id"}
	}
	res, err := ClosedLoop(t.Context(), ClosedLoopConfig{Workers: 4, Duration: 50 * time.Millisecond}, op)
	require.NoError(t, err)
	require.Equal(t, res.Requests, res.Status[http.StatusAccepted]+res.Status[http.StatusTooManyRequests])
	require.Equal(t, res.Requests, res.Latency.Count())
	require.Equal(t, int(res.OK()), len(res.Accepted))
	require.Positive(t, res.Rate())
}

func TestSignerMakesUniqueSignedRequests(t *testing.T) {
	t.Parallel()
	for _, scheme := range []string{"hmac", "standard-webhooks", "github", "stripe", "shopify", "slack"} {
		secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		s := newSigner(Target{URL: "http://127.0.0.1:1/api/v1/webhooks/x", Scheme: scheme, Secret: []byte(secret), BodySize: 1024})
		seen := map[string]bool{}
		for range 3 {
			req, err := s.next(t.Context())
			require.NoError(t, err, scheme)
			require.Equal(t, int64(1024), req.ContentLength, scheme)
			id := deliveryIDOf(t, scheme, req)
			require.NotEmpty(t, id, scheme)
			require.False(t, seen[id], scheme)
			seen[id] = true
		}
	}
}
