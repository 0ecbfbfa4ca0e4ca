package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// outcome is what one unit of work (an HTTP request, a publish) produced.
type outcome struct {
	// status is the HTTP status, or 0 when err is a transport error.
	status int
	// eventID is the id the server answered with on a 2xx, if any.
	eventID string
	// count is how many messages the unit carried (1 for a request; a batch
	// publish carries many). 0 means 1.
	count int
	err   error
}

// opFunc performs one unit of work. It must be safe for concurrent use.
type opFunc func(ctx context.Context) outcome

// Accepted is one 2xx answer: the event id and when the answer arrived.
type Accepted struct {
	EventID string
	At      time.Time
}

// Result is everything one load run recorded. Every response is counted:
// by status, in the latency histogram and (2xx) in Accepted.
type Result struct {
	Name string
	// Mode describes the load: "closed loop, 64 connections" or "open loop, 500/s".
	Mode string
	// Elapsed is the measured window (warm-up excluded).
	Elapsed time.Duration
	// Requests completed in the measured window (each counted once,
	// whatever the answer); Messages counts batch members.
	Requests, Messages uint64
	// Status counts answers by HTTP status over the measured window.
	Status map[int]uint64
	// TransportErrors counts requests that got no HTTP answer.
	TransportErrors uint64
	// FirstError is the first transport error's text.
	FirstError string
	// Latency of the measured window: closed loop from send to answer; open
	// loop from the intended send time to the answer (no coordinated
	// omission).
	Latency *Histogram
	// Accepted lists every 2xx with an event id, warm-up included (the loss
	// check wants them all).
	Accepted []Accepted
	// Late counts open-loop sends that started more than 1 ms after their
	// intended time (the generator or the server fell behind).
	Late uint64
}

// Rate is the measured throughput in units per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// MessageRate is messages per second (differs from Rate for batches).
func (r *Result) MessageRate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Elapsed.Seconds()
}

// OK counts 2xx answers.
func (r *Result) OK() uint64 {
	var n uint64
	for s, c := range r.Status {
		if s >= 200 && s < 300 {
			n += c
		}
	}
	return n
}

// Errors counts non-2xx answers and transport errors.
func (r *Result) Errors() uint64 { return r.Requests - r.OK() }

// StatusCodes returns the statuses seen, sorted.
func (r *Result) StatusCodes() []int { return slices.Sorted(maps.Keys(r.Status)) }

// clock abstracts time for the open-loop scheduler (tests use a fake).
type clock interface {
	Now() time.Time
	// SleepUntil returns when t is reached or ctx ends (with ctx's error).
	SleepUntil(ctx context.Context, t time.Time) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recorder is one worker's private tally, merged at the end.
type recorder struct {
	hist      *Histogram
	status    map[int]uint64
	transport uint64
	firstErr  string
	requests  uint64
	messages  uint64
	late      uint64
	accepted  []Accepted
}

func newRecorder() *recorder {
	return &recorder{hist: NewHistogram(), status: map[int]uint64{}}
}

// record counts one outcome; measured is false during warm-up, when only
// the accepted id is kept.
func (r *recorder) record(o outcome, latency time.Duration, at time.Time, measured bool) {
	if o.err == nil && o.status >= 200 && o.status < 300 && o.eventID != "" {
		r.accepted = append(r.accepted, Accepted{EventID: o.eventID, At: at})
	}
	if !measured {
		return
	}
	r.requests++
	r.messages += uint64(max(o.count, 1))
	r.hist.Record(latency)
	if o.err != nil {
		r.transport++
		if r.firstErr == "" {
			r.firstErr = o.err.Error()
		}
		return
	}
	r.status[o.status]++
}

func merge(name, mode string, elapsed time.Duration, recs []*recorder) *Result {
	res := &Result{Name: name, Mode: mode, Elapsed: elapsed, Status: map[int]uint64{}, Latency: NewHistogram()}
	for _, r := range recs {
		res.Latency.Merge(r.hist)
		for s, c := range r.status {
			res.Status[s] += c
		}
		res.TransportErrors += r.transport
		if res.FirstError == "" {
			res.FirstError = r.firstErr
		}
		res.Requests += r.requests
		res.Messages += r.messages
		res.Late += r.late
		res.Accepted = append(res.Accepted, r.accepted...)
	}
	return res
}

// ClosedLoopConfig configures ClosedLoop.
type ClosedLoopConfig struct {
	Name string
	// Workers is the number of concurrent senders (connections).
	Workers int
	// Warmup runs load that is not measured (its 2xx ids are still kept).
	Warmup time.Duration
	// Duration is the measured window after the warm-up.
	Duration time.Duration
}

// ClosedLoop runs cfg.Workers senders, each sending its next request as
// soon as the previous one is answered, for Warmup + Duration. Requests in
// flight at the end finish and are counted.
func ClosedLoop(ctx context.Context, cfg ClosedLoopConfig, op opFunc) (*Result, error) {
	if cfg.Workers <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("closed loop: workers and duration must be positive")
	}
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	recs := make([]*recorder, cfg.Workers)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = newRecorder()
		rec := recs[i]
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				o := op(ctx)
				t1 := time.Now()
				if ctx.Err() != nil && o.err != nil {
					return // interrupted: not a server error
				}
				rec.record(o, t1.Sub(t0), t1, !t0.Before(measureFrom))
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	elapsed := time.Since(measureFrom)
	return merge(cfg.Name, fmt.Sprintf("closed loop, %d connections", cfg.Workers), elapsed, recs), nil
}

// Schedule is an open-loop send plan: request i is due at Start + i/Rate,
// whatever happened to the requests before it.
type Schedule struct {
	Start time.Time
	Rate  float64 // requests per second, > 0
}

// At returns the intended send time of request i (0-based).
func (s Schedule) At(i uint64) time.Time {
	return s.Start.Add(time.Duration(float64(i) * float64(time.Second) / s.Rate))
}

// Count returns how many requests are due in [Start, Start+d).
func (s Schedule) Count(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	n := d.Seconds() * s.Rate
	c := uint64(n)
	if float64(c) < n {
		c++
	}
	return c
}

// OpenLoopConfig configures OpenLoop.
type OpenLoopConfig struct {
	Name string
	// Rate is the fixed request rate per second.
	Rate float64
	// Duration of the run: Rate × Duration requests are sent.
	Duration time.Duration
	// Workers bounds requests in flight (and so connections); a request
	// whose time comes while all are busy waits, and that wait counts in its
	// latency. Default 256.
	Workers int
	// Clock defaults to the real clock.
	Clock clock
	// OnAccepted, when set, is called (concurrently) for every 2xx with an
	// event id as it arrives.
	OnAccepted func(Accepted)
}

// OpenLoop sends requests on a fixed schedule (Schedule) independent of the
// answers, and measures each latency from the request's intended send time,
// so a stalled server shows up in the percentiles instead of slowing the
// generator down (no coordinated omission).
func OpenLoop(ctx context.Context, cfg OpenLoopConfig, op opFunc) (*Result, error) {
	if cfg.Rate <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("open loop: rate and duration must be positive")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 256
	}
	clk := cfg.Clock
	if clk == nil {
		clk = realClock{}
	}
	sched := Schedule{Start: clk.Now(), Rate: cfg.Rate}
	total := sched.Count(cfg.Duration)
	var next atomic.Uint64
	recs := make([]*recorder, cfg.Workers)
	var wg sync.WaitGroup
	for w := range recs {
		recs[w] = newRecorder()
		rec := recs[w]
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				due := sched.At(i)
				if err := clk.SleepUntil(ctx, due); err != nil {
					return
				}
				if clk.Now().Sub(due) > time.Millisecond {
					rec.late++
				}
				o := op(ctx)
				done := clk.Now()
				if ctx.Err() != nil && o.err != nil {
					return
				}
				rec.record(o, done.Sub(due), done, true)
				if cfg.OnAccepted != nil && o.err == nil && o.status >= 200 && o.status < 300 && o.eventID != "" {
					cfg.OnAccepted(Accepted{EventID: o.eventID, At: done})
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	elapsed := clk.Now().Sub(sched.Start)
	res := merge(cfg.Name, fmt.Sprintf("open loop, %.0f/s", cfg.Rate), elapsed, recs)
	return res, nil
}
