package eventstore

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
)

// Defaults of RetryConfig.
const (
	// RetryDeadlineDefault is how long an append waits out an unavailable
	// stream: below the 10 s after which GitHub gives up on a delivery
	// (and never redelivers by itself), above a clean leader election.
	RetryDeadlineDefault = 8 * time.Second
	// RetryAttemptDefault bounds one attempt, so that a publish lost with
	// a dead leader's connection is sent again instead of waiting out the
	// whole PubAck timeout.
	RetryAttemptDefault = 2 * time.Second
	retryBackoffMin     = 25 * time.Millisecond
	retryBackoffMax     = 400 * time.Millisecond
)

// RetryConfig configures a Retrier.
type RetryConfig struct {
	// Deadline bounds the whole append, retries included; default
	// RetryDeadlineDefault (8 s). Negative disables retrying.
	Deadline time.Duration
	// Attempt bounds one attempt; default RetryAttemptDefault (2 s), at
	// most Deadline.
	Attempt time.Duration
	// Registerer, when set, receives the retry metrics.
	Registerer prometheus.Registerer
	// Logger; default discards.
	Logger *slog.Logger
}

// WithDefaults fills zero fields with their defaults.
func (c RetryConfig) WithDefaults() RetryConfig {
	if c.Deadline == 0 {
		c.Deadline = RetryDeadlineDefault
	}
	if c.Attempt <= 0 {
		c.Attempt = RetryAttemptDefault
	}
	if c.Deadline > 0 {
		c.Attempt = min(c.Attempt, c.Deadline)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// appender is Store.Append's contract (Store, Batcher).
type appender interface {
	Append(ctx context.Context, ev *hookstream.Event, opts AppendOptions) (AppendResult, error)
}

// Retrier rides out a leader election: an append that fails with a
// retryable error (no responders, no PubAck in time, a JetStream 503, the
// connection reconnecting) is sent again, with the same Nats-Msg-Id, after
// a short backoff, until it is acknowledged or Deadline has passed; only
// then does it return hookstream.ErrUnavailable (503 with Retry-After).
// Every success is still the PubAck of the stream leader, which answers
// only once a quorum of replicas stored the message.
//
// Exactly once: an attempt that timed out may have been stored. Its retry
// then hits the duplicate window and the server answers with the original
// sequence; the Retrier reads that message and, when it is this very event
// (same event id), reports the append as stored rather than duplicate. A
// real redelivery by the sender is a different event and stays a
// duplicate. With group commit a whole batch fails together, so its
// appends are retried together and gather into a batch again with the same
// message ids; a batch that repeats an id already stored is refused whole
// by the server and the Batcher appends its events one by one.
//
// Not retried: the stream full (ErrStreamFull), a refused event, the
// Batcher stopping, or the caller's context ending.
type Retrier struct {
	inner appender
	store *Store
	cfg   RetryConfig

	retried  *prometheus.CounterVec
	waitHist prometheus.Histogram
}

// Verify Retrier appends like Store.
var _ appender = (*Retrier)(nil)

// NewRetrier wraps inner (store itself or a Batcher on it).
func NewRetrier(inner appender, store *Store, cfg RetryConfig) *Retrier {
	cfg = cfg.WithDefaults()
	r := &Retrier{
		inner: inner, store: store, cfg: cfg,
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_eventstore_append_retried_total",
			Help: "Appends that failed with a retryable error (leader election), by outcome: stored or gave_up (answered 503).",
		}, []string{"outcome"}),
		waitHist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookstream_eventstore_append_retry_wait_seconds",
			Help:    "Time from the first attempt to the outcome of a retried append.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10},
		}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(r.retried, r.waitHist)
	}
	return r
}

// Append appends through the inner appender, retrying as the type doc says.
// Errors: as Store.Append.
func (r *Retrier) Append(ctx context.Context, ev *hookstream.Event, opts AppendOptions) (AppendResult, error) {
	if r.cfg.Deadline < 0 {
		return r.inner.Append(ctx, ev, opts)
	}
	start := time.Now()
	deadline := start.Add(r.cfg.Deadline)
	backoff := retryBackoffMin
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithDeadline(ctx, minTime(deadline, time.Now().Add(r.cfg.Attempt)))
		res, err := r.inner.Append(actx, ev, opts)
		cancel()
		if err == nil {
			if attempt > 1 {
				if res.Duplicate {
					res = r.own(ctx, ev, res)
				}
				r.retried.WithLabelValues("stored").Inc()
				r.waitHist.Observe(time.Since(start).Seconds())
				r.cfg.Logger.DebugContext(ctx, "append stored after retries",
					slog.Int("attempts", attempt), slog.Duration("waited", time.Since(start)))
			}
			return res, nil
		}
		if !Retryable(err) || ctx.Err() != nil {
			return res, err
		}
		wait := backoff/2 + rand.N(backoff/2+1) //nolint:gosec // jitter, not a secret
		if time.Now().Add(wait).After(deadline) {
			r.retried.WithLabelValues("gave_up").Inc()
			r.waitHist.Observe(time.Since(start).Seconds())
			r.cfg.Logger.WarnContext(ctx, "append gave up: event store unavailable",
				slog.Int("attempts", attempt), slog.Duration("waited", time.Since(start)), slog.String("error", err.Error()))
			return res, err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return res, err
		case <-timer.C:
		}
		backoff = min(backoff*2, retryBackoffMax)
	}
}

// own reports a duplicate answer to a retry as stored when the message it
// names is this event: an earlier attempt stored it before its answer was
// lost.
func (r *Retrier) own(ctx context.Context, ev *hookstream.Event, res AppendResult) AppendResult {
	stored, err := r.store.Get(ctx, res.Stream, res.Seq)
	if err != nil || stored.ID != ev.ID {
		return res
	}
	res.Duplicate = false
	ev.Sequence, ev.Stream = res.Seq, res.Stream
	return res
}

// Retryable reports whether an append error may clear by itself within
// seconds: the stream unavailable (no leader, no responders, no PubAck in
// time, the connection reconnecting), not the stream being full.
func Retryable(err error) bool {
	return errors.Is(err, hookstream.ErrUnavailable) && !errors.Is(err, hookstream.ErrStreamFull)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
