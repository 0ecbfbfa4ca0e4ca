package runner

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/hookstream/hookstream"
)

// BreakerState is what GET /api/v1/breakers shows of one destination.
type BreakerState struct {
	Host                string     `json:"host"`
	State               string     `json:"state"`
	ConsecutiveFailures uint32     `json:"consecutiveFailures"`
	OpenedAt            *time.Time `json:"openedAt"`
	NextProbeAt         *time.Time `json:"nextProbeAt"`
}

// breakers holds one circuit breaker per (tenant, destination host). The
// failure threshold is that of the workflow making the attempt (so a
// workflow that tolerates many failures does not trip a host others see
// as healthy); the cool-down is that of the first workflow to reach the
// host. A breaker lives in this node's memory (each node learns a host's health by
// itself, as with any client-side breaker).
type breakers struct {
	mu sync.Mutex
	m  map[breakerKey]*hostBreaker
}

type breakerKey struct{ tenant, host string }

type hostBreaker struct {
	cb        *gobreaker.TwoStepCircuitBreaker[struct{}]
	cooldown  time.Duration
	threshold atomic.Uint32

	mu       sync.Mutex
	openedAt time.Time
}

func newBreakers() *breakers { return &breakers{m: map[breakerKey]*hostBreaker{}} }

func (b *breakers) get(tenant, host string, p hookstream.BreakerPolicy) *hostBreaker {
	p = p.WithDefaults()
	k := breakerKey{tenant, host}
	threshold := uint32(p.FailureThreshold)
	b.mu.Lock()
	defer b.mu.Unlock()
	if hb, ok := b.m[k]; ok {
		hb.threshold.Store(threshold)
		return hb
	}
	hb := &hostBreaker{cooldown: time.Duration(p.CooldownMs) * time.Millisecond}
	hb.threshold.Store(threshold)
	hb.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        host,
		MaxRequests: 1,
		Timeout:     hb.cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= hb.threshold.Load() },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			hb.mu.Lock()
			if to == gobreaker.StateOpen {
				hb.openedAt = time.Now()
			}
			hb.mu.Unlock()
		},
	})
	b.m[k] = hb
	return hb
}

// allow asks to send one request. When the breaker refuses, it returns
// the time of the next probe.
func (hb *hostBreaker) allow() (done func(success bool), nextProbe time.Time, ok bool) {
	report, err := hb.cb.Allow()
	if err == nil {
		return func(success bool) {
			if success {
				report(nil)
			} else {
				report(errAttemptFailed)
			}
		}, time.Time{}, true
	}
	if !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) {
		return nil, time.Now().Add(time.Second), false
	}
	hb.mu.Lock()
	defer hb.mu.Unlock()
	next := hb.openedAt.Add(hb.cooldown)
	if errors.Is(err, gobreaker.ErrTooManyRequests) || !next.After(time.Now()) {
		// Half-open with its probe in flight: look again shortly.
		next = time.Now().Add(min(hb.cooldown, time.Second))
	}
	return nil, next, false
}

var errAttemptFailed = errors.New("attempt failed")

func stateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return "open"
	case gobreaker.StateHalfOpen:
		return "half-open"
	default:
		return "closed"
	}
}

func (hb *hostBreaker) snapshot(host string) BreakerState {
	st := hb.cb.State()
	out := BreakerState{Host: host, State: stateName(st), ConsecutiveFailures: hb.cb.Counts().ConsecutiveFailures}
	if st != gobreaker.StateClosed {
		hb.mu.Lock()
		opened := hb.openedAt.UTC()
		hb.mu.Unlock()
		out.OpenedAt = &opened
		if st == gobreaker.StateOpen {
			next := opened.Add(hb.cooldown)
			out.NextProbeAt = &next
		}
	}
	return out
}

// list returns a tenant's breakers sorted by host.
func (b *breakers) list(tenant string) []BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []BreakerState{}
	for k, hb := range b.m {
		if k.tenant == tenant {
			out = append(out, hb.snapshot(k.host))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

var breakerDesc = prometheus.NewDesc("hookstream_runner_breaker_state",
	"Circuit breaker state per destination host: 0 closed, 1 half-open, 2 open.", []string{"tenant", "host"}, nil)

var breakerFailuresDesc = prometheus.NewDesc("hookstream_runner_breaker_consecutive_failures",
	"Consecutive failed attempts per destination host.", []string{"tenant", "host"}, nil)

// Describe implements prometheus.Collector.
func (b *breakers) Describe(ch chan<- *prometheus.Desc) {
	ch <- breakerDesc
	ch <- breakerFailuresDesc
}

// Collect implements prometheus.Collector.
func (b *breakers) Collect(ch chan<- prometheus.Metric) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, hb := range b.m {
		st := hb.cb.State()
		v := 0.0
		switch st {
		case gobreaker.StateHalfOpen:
			v = 1
		case gobreaker.StateOpen:
			v = 2
		case gobreaker.StateClosed:
		}
		ch <- prometheus.MustNewConstMetric(breakerDesc, prometheus.GaugeValue, v, k.tenant, k.host)
		ch <- prometheus.MustNewConstMetric(breakerFailuresDesc, prometheus.GaugeValue, float64(hb.cb.Counts().ConsecutiveFailures), k.tenant, k.host)
	}
}
