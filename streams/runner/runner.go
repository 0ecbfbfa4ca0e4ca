package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Runner runs workflows (see the package doc).
type Runner struct {
	cfg      Config
	log      *slog.Logger
	client   *http.Client
	guard    *Guard
	breakers *breakers
	metrics  *metrics
	sla      *slaCache

	kv    jetstream.KeyValue
	sched *scheduler

	inflightMu sync.Mutex
	inflight   map[string]struct{} // execution ids handled on this node

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a stopped Runner.
func New(cfg Config) (*Runner, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := &Runner{
		cfg:      cfg,
		log:      cfg.Logger,
		guard:    NewGuard(cfg.AllowCIDRs),
		breakers: newBreakers(),
		inflight: map[string]struct{}{},
	}
	r.client = newHTTPClient(r.guard, cfg.LookupFunc)
	m, err := newMetrics(cfg.Registerer, r.breakers)
	if err != nil {
		return nil, err
	}
	r.metrics = m
	r.sla = &slaCache{src: cfg.SLA, m: map[string]slaEntry{}}
	return r, nil
}

// Breakers returns the tenant's circuit breakers on this node.
func (r *Runner) Breakers(tenantID string) []BreakerState { return r.breakers.list(tenantID) }

// LaneStarts returns the executions started per lane (index = priority)
// since Start.
func (r *Runner) LaneStarts() [4]uint64 {
	if r.sched == nil {
		return [4]uint64{}
	}
	return r.sched.starts()
}

func (r *Runner) laneConsumer(p int) eventstore.ConsumerConfig {
	return eventstore.ConsumerConfig{
		Stream:         eventstore.StreamHooks,
		Durable:        fmt.Sprintf("%s-%s", r.cfg.Durable, hookstream.PriorityName(hookstream.Priority(p))),
		FilterSubjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, "", "", hookstream.EventWorkflowTriggered)},
		MaxDeliver:     r.cfg.MaxDeliver,
		BackOff:        []time.Duration{r.cfg.AckWait},
		MaxAckPending:  50000,
	}
}

// Start creates the KV bucket and the four lane consumers and runs the
// worker pool until Stop.
func (r *Runner) Start(ctx context.Context) error {
	kv, err := r.cfg.Store.KeyValue(ctx, r.cfg.Bucket)
	if err != nil {
		return err
	}
	var cons [4]*eventstore.Consumer
	for p := range 4 {
		c, err := r.cfg.Store.Durable(ctx, r.laneConsumer(p))
		if err != nil {
			return err
		}
		cons[p] = c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return nil // already running: a second Start is a no-op (hookstream.StartStop)
	}
	r.kv = kv
	r.sched = newScheduler(r.cfg.Workers)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel, r.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() { r.fetchLane(runCtx, p, cons[p]) })
	}
	for range r.cfg.Workers {
		wg.Go(func() { r.work(runCtx) })
	}
	wg.Go(func() { r.keepQueuedAlive(runCtx) })
	go func() {
		<-runCtx.Done()
		r.sched.wake()
	}()
	done := r.done
	go func() {
		wg.Wait()
		close(done)
	}()
	return nil
}

// Stop ends the workers: executions in hand stop where they are (their
// state is in the KV bucket) and resume from their next delivery.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// fetchLane keeps lane p's queue filled from its consumer, skipping the
// triggers of other priorities (each lane's consumer sees every trigger).
func (r *Runner) fetchLane(ctx context.Context, p int, cons *eventstore.Consumer) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		room := r.sched.room(ctx, p)
		if room <= 0 {
			return
		}
		// Every lane's consumer sees every trigger and skips the other
		// priorities': fetch at least skipBatch at a time so that a lane
		// crosses another lane's backlog quickly (its own triggers are all
		// kept; the queue may briefly exceed its prefetch).
		msgs, err := cons.Fetch(ctx, max(room, skipBatch), r.cfg.FetchWait)
		if err != nil && len(msgs) == 0 {
			if ctx.Err() != nil {
				return
			}
			r.log.WarnContext(ctx, "runner fetch failed", slog.Int("lane", p), slog.String("error", err.Error()))
			sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 200 * time.Millisecond
		keep := msgs[:0]
		for _, m := range msgs {
			switch {
			case m.DecodeErr != nil:
				r.log.ErrorContext(ctx, "runner dropped undecodable trigger", slog.Uint64("seq", m.Event.Sequence), slog.String("error", m.DecodeErr.Error()))
				_ = m.Term()
			case int(clampPriority(m.Event.Priority)) != p:
				_ = m.AckAsync()
			default:
				keep = append(keep, m)
			}
		}
		r.sched.push(p, keep)
	}
}

// skipBatch is the smallest fetch of a lane (see fetchLane).
const skipBatch = 256

func clampPriority(p hookstream.Priority) hookstream.Priority {
	return max(hookstream.PriorityLow, min(p, hookstream.PriorityCritical))
}

// keepQueuedAlive extends the ack deadline of triggers waiting in a lane.
func (r *Runner) keepQueuedAlive(ctx context.Context) {
	t := time.NewTicker(r.cfg.AckWait / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, m := range r.sched.queued() {
				_ = m.InProgress()
			}
		}
	}
}

func (r *Runner) work(ctx context.Context) {
	for {
		m, p, ok := r.sched.next(ctx)
		if !ok {
			return
		}
		r.metrics.laneStarts.WithLabelValues(hookstream.PriorityName(hookstream.Priority(p))).Inc()
		r.handle(ctx, m)
		r.sched.finished(p)
	}
}

// handle runs one delivery of a trigger and settles the message: ack when
// the execution ended, a delayed nak when it waits (retry, delay step,
// open breaker), nothing when another worker owns it.
func (r *Runner) handle(ctx context.Context, m eventstore.Msg) {
	key := m.Event.ID
	r.inflightMu.Lock()
	if _, busy := r.inflight[key]; busy {
		r.inflightMu.Unlock()
		return // a redelivery of a trigger this node is running
	}
	r.inflight[key] = struct{}{}
	r.inflightMu.Unlock()
	defer func() {
		r.inflightMu.Lock()
		delete(r.inflight, key)
		r.inflightMu.Unlock()
	}()

	hbCtx, stopHB := context.WithCancel(ctx)
	var hb sync.WaitGroup
	hb.Go(func() {
		t := time.NewTicker(r.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-hbCtx.Done():
				return
			case <-t.C:
				_ = m.InProgress()
			}
		}
	})
	out := r.execute(ctx, m)
	stopHB()
	hb.Wait()

	switch out.kind {
	case outAck:
		if err := m.Ack(ctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "runner ack failed", slog.String("trigger", m.Event.ID), slog.String("error", err.Error()))
		}
	case outWait:
		_ = m.NakWithDelay(max(out.delay, time.Millisecond))
	case outTerm:
		_ = m.Term()
	case outAbandon:
		if ctx.Err() != nil {
			_ = m.Nak() // stopping: hand it to another node now
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// metrics of the runner (/metrics).
type metrics struct {
	executions *prometheus.CounterVec
	breaches   *prometheus.CounterVec
	toStart    *prometheus.HistogramVec
	laneStarts *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	dead       prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, b *breakers) (*metrics, error) {
	m := &metrics{
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_runner_executions_total", Help: "Executions finished, by status.",
		}, []string{"status"}),
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_runner_sla_breaches_total", Help: "Executions started after their priority's SLA target.",
		}, []string{"priority"}),
		toStart: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookstream_runner_time_to_start_seconds", Help: "Time from receipt to execution.started.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}, []string{"priority"}),
		laneStarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_runner_lane_dispatch_total", Help: "Trigger deliveries handed to a worker, by lane.",
		}, []string{"priority"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_runner_http_attempts_total", Help: "HTTP step attempts by outcome.",
		}, []string{"outcome"}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookstream_runner_dead_letters_total", Help: "Failed executions written as dead letters by this node.",
		}),
	}
	for p := range 4 {
		name := hookstream.PriorityName(hookstream.Priority(p))
		m.breaches.WithLabelValues(name)
		m.laneStarts.WithLabelValues(name)
	}
	for _, c := range []prometheus.Collector{m.executions, m.breaches, m.toStart, m.laneStarts, m.attempts, m.dead, b} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("runner metrics: %w", err)
		}
	}
	return m, nil
}

// slaCache caches tenants' SLA targets.
type slaCache struct {
	src SLASource
	mu  sync.Mutex
	m   map[string]slaEntry
}

type slaEntry struct {
	t       hookstream.SLATargets
	expires time.Time
}

func (c *slaCache) targets(ctx context.Context, tenantID string) hookstream.SLATargets {
	if c.src == nil {
		return hookstream.SLATargetsDefault
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[tenantID]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.t
	}
	t, err := c.src.SLATargets(ctx, tenantID)
	if err != nil {
		if ok {
			return e.t
		}
		return hookstream.SLATargetsDefault
	}
	c.mu.Lock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[tenantID] = slaEntry{t: t, expires: now.Add(SLACacheDefault)}
	c.mu.Unlock()
	return t
}
