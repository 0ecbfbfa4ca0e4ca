package runner_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/runner"
)

func TestBackoffFullJitter(t *testing.T) {
	t.Parallel()
	p := hookstream.RetryPolicy{MaxAttempts: 10, InitialIntervalMs: 100, MaxIntervalMs: 1000, Multiplier: 3}
	one := func() float64 { return 0.999999 }
	zero := func() float64 { return 0 }
	for n, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 300 * time.Millisecond, 3: 900 * time.Millisecond, 4: time.Second, 9: time.Second} {
		require.InDelta(t, float64(ceil), float64(runner.Backoff(p, n, one)), float64(time.Millisecond), "attempt %d", n)
		require.Zero(t, runner.Backoff(p, n, zero))
	}
}

// TestRetrySchedule: attempts follow the backoff within the jitter bounds,
// and the next attempt does not start before its announced time.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	b := setup(t)
	wf := b.workflow(t, `[{"type":"http","url":"`+srv.URL+`"}]`, func(w *hookstream.Workflow) {
		w.Retry = hookstream.RetryPolicy{MaxAttempts: 5, InitialIntervalMs: 200, MaxIntervalMs: 500, Multiplier: 2}
	})
	exec := b.trigger(t, wf, hookstream.PriorityNormal, `{}`)
	evs := b.waitEnd(t, exec, 60*time.Second)
	require.Equal(t, []string{
		"execution.started",
		"step.started", "step.retrying",
		"step.started", "step.retrying",
		"step.started", "step.retrying",
		"step.started", "step.completed",
		"execution.completed",
	}, types(evs))
	ceilings := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond}
	for i, idx := range []int{2, 4, 6} {
		d := stepData(t, evs[idx])
		require.Equal(t, i+1, d.Attempt)
		require.Equal(t, 503, d.StatusCode)
		require.NotNil(t, d.NextAttemptAt)
		wait := d.NextAttemptAt.Sub(evs[idx].Time)
		require.GreaterOrEqual(t, wait, -5*time.Millisecond, "attempt %d", i+1)
		require.LessOrEqual(t, wait, ceilings[i]+5*time.Millisecond, "attempt %d", i+1)
		next := evs[idx+1]
		require.False(t, next.Time.Before(*d.NextAttemptAt), "attempt %d started before its time", i+2)
		require.Equal(t, i+2, stepData(t, next).Attempt)
	}
	require.EqualValues(t, 4, hits.Load())
}

// TestRetryAfterHonouredAndCapped: Retry-After replaces the backoff, capped
// at maxIntervalMs.
func TestRetryAfterHonouredAndCapped(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	b := setup(t, func(c *runner.Config) { c.RandFunc = func() float64 { return 0 } })
	wf := b.workflow(t, `[{"type":"http","url":"`+srv.URL+`"}]`, func(w *hookstream.Workflow) {
		w.Retry = hookstream.RetryPolicy{MaxAttempts: 3, InitialIntervalMs: 10, MaxIntervalMs: 700, Multiplier: 2}
	})
	exec := b.trigger(t, wf, hookstream.PriorityNormal, `{}`)
	evs := b.waitEnd(t, exec, 60*time.Second)
	require.Equal(t, hookstream.EventExecutionCompleted, evs[len(evs)-1].Type)
	d := stepData(t, evs[2])
	require.Equal(t, 429, d.StatusCode)
	wait := d.NextAttemptAt.Sub(evs[2].Time)
	// RandFunc is 0, so without Retry-After the wait would be 0.
	require.InDelta(t, float64(700*time.Millisecond), float64(wait), float64(10*time.Millisecond))
}

// TestPermanentAndExhausted: a 4xx other than 408/425/429 fails at once; a
// 5xx until maxAttempts fails the execution after exactly maxAttempts.
func TestPermanentAndExhausted(t *testing.T) {
	t.Parallel()
	var notFound, failing atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			notFound.Add(1)
			http.NotFound(w, r)
		case "/500":
			failing.Add(1)
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	b := setup(t)
	retry := func(w *hookstream.Workflow) {
		w.Retry = hookstream.RetryPolicy{MaxAttempts: 3, InitialIntervalMs: 20, MaxIntervalMs: 50, Multiplier: 2}
	}
	wf404 := b.workflow(t, `[{"type":"http","url":"`+srv.URL+`/404"}]`, retry)
	wf500 := b.workflow(t, `[{"type":"http","url":"`+srv.URL+`/500"}]`, retry)
	e404 := b.trigger(t, wf404, hookstream.PriorityNormal, `{}`)
	e500 := b.trigger(t, wf500, hookstream.PriorityNormal, `{}`)

	evs := b.waitEnd(t, e404, 60*time.Second)
	require.Equal(t, []string{"execution.started", "step.started", "step.failed", "execution.failed"}, types(evs))
	require.Equal(t, 404, stepData(t, evs[2]).StatusCode)
	require.EqualValues(t, 1, notFound.Load())

	evs = b.waitEnd(t, e500, 60*time.Second)
	require.Equal(t, []string{
		"execution.started", "step.started", "step.retrying", "step.started", "step.retrying",
		"step.started", "step.failed", "execution.failed",
	}, types(evs))
	require.Contains(t, stepData(t, evs[6]).Error, "after 3 attempts")
	require.Equal(t, "boom\n", stepData(t, evs[6]).ResponseExcerpt)
	require.EqualValues(t, 3, failing.Load())
}

// TestCircuitBreaker: a failing destination opens the breaker after the
// configured count; while open no request reaches it and steps wait with
// reason circuit_open (not counted as attempts); after the cool-down one
// probe goes, and its success closes the breaker.
func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	b := setup(t)
	wf := b.workflow(t, `[{"type":"http","url":"`+srv.URL+`"}]`, func(w *hookstream.Workflow) {
		w.Retry = hookstream.RetryPolicy{MaxAttempts: 10, InitialIntervalMs: 10, MaxIntervalMs: 20, Multiplier: 2}
		w.Breaker = hookstream.BreakerPolicy{FailureThreshold: 3, CooldownMs: 3000}
	})
	first := b.trigger(t, wf, hookstream.PriorityNormal, `{}`)

	// Wait for the first circuit_open wait.
	var circuit *hookstream.Event
	poll(t, func() bool {
		for _, ev := range b.events(t, first) {
			if ev.Type == hookstream.EventStepRetrying && stepData(t, ev).Reason == hookstream.ReasonCircuitOpen {
				circuit = ev
				return true
			}
		}
		return false
	})
	require.EqualValues(t, 3, hits.Load(), "the breaker opened after 3 failures")
	states := b.runner.Breakers(b.tenant)
	require.Len(t, states, 1)
	require.Equal(t, "open", states[0].State)
	require.Equal(t, "127.0.0.1", states[0].Host)
	require.NotNil(t, states[0].NextProbeAt)
	d := stepData(t, circuit)
	require.Equal(t, 4, d.Attempt, "a circuit wait names the next attempt and does not count one")

	// A second execution for the same host waits without a request.
	second := b.trigger(t, wf, hookstream.PriorityNormal, `{}`)
	poll(t, func() bool {
		for _, ev := range b.events(t, second) {
			if ev.Type == hookstream.EventStepRetrying {
				return stepData(t, ev).Reason == hookstream.ReasonCircuitOpen
			}
		}
		return false
	})
	require.EqualValues(t, 3, hits.Load(), "no request while open")
	healthy.Store(true)

	for _, exec := range []string{first, second} {
		evs := b.waitEnd(t, exec, 60*time.Second)
		require.Equal(t, hookstream.EventExecutionCompleted, evs[len(evs)-1].Type)
	}
	require.EqualValues(t, 5, hits.Load(), "one probe, then the second execution")
	states = b.runner.Breakers(b.tenant)
	require.Equal(t, "closed", states[0].State)
	// The probe went after the cool-down.
	evs := b.events(t, first)
	var probe *hookstream.Event
	for _, ev := range evs {
		if ev.Type == hookstream.EventStepStarted && stepData(t, ev).Attempt == 4 {
			probe = ev
		}
	}
	require.NotNil(t, probe)
	require.False(t, probe.Time.Before(*d.NextAttemptAt))
}

func poll(t *testing.T, cond func() bool) {
	t.Helper()
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, cond, func() string { return "condition not reached" })
}
