package projections

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
)

// Metrics are the projections' Prometheus metrics. Lag, pending and the
// checkpoint are read at scrape time through the Manager (a Collector).
type Metrics struct {
	applied    *prometheus.CounterVec
	parked     *prometheus.CounterVec
	checkpoint *prometheus.GaugeVec
}

// NewMetrics registers the projection counters on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_projection_events_applied_total", Help: "Events applied by each projection.",
		}, []string{"projection"}),
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_projection_dead_letters_total", Help: "Poison events parked by each projection.",
		}, []string{"projection"}),
		checkpoint: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookstream_projection_checkpoint", Help: "Last stream sequence applied by each projection.",
		}, []string{"projection"}),
	}
	if reg != nil {
		reg.MustRegister(m.applied, m.parked, m.checkpoint)
	}
	return m
}

func (m *Metrics) count(name string, applied, parked int) {
	if m == nil {
		return
	}
	if applied > 0 {
		m.applied.WithLabelValues(name).Add(float64(applied))
	}
	if parked > 0 {
		m.parked.WithLabelValues(name).Add(float64(parked))
	}
}

func (m *Metrics) setCheckpoint(name string, seq uint64) {
	if m == nil {
		return
	}
	m.checkpoint.WithLabelValues(name).Set(float64(seq))
}

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	// Runner is the template of every runner (Projection is set per runner).
	Runner      RunnerConfig
	Projections []Projection
	// Registry, when set, receives the projection metrics and the
	// lag/pending gauges.
	Registry prometheus.Registerer
}

// Manager runs every projection, reports their status and rebuilds them.
type Manager struct {
	runners map[string]*Runner
	names   []string
	pool    RunnerConfig

	mu       sync.Mutex
	rebuilds map[string]*RebuildProgress
	ctx      context.Context //nolint:containedctx // the base context runners restart under after a rebuild
}

// NewManager builds one runner per projection.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	m := &Manager{runners: map[string]*Runner{}, rebuilds: map[string]*RebuildProgress{}, pool: cfg.Runner.WithDefaults()}
	metrics := cfg.Runner.Metrics
	if metrics == nil {
		metrics = NewMetrics(cfg.Registry)
	}
	for _, p := range cfg.Projections {
		rc := cfg.Runner
		rc.Projection, rc.Metrics = p, metrics
		r, err := NewRunner(rc)
		if err != nil {
			return nil, err
		}
		if _, dup := m.runners[p.Name()]; dup {
			return nil, fmt.Errorf("projections: %s registered twice", p.Name())
		}
		m.runners[p.Name()] = r
		m.names = append(m.names, p.Name())
	}
	sort.Strings(m.names)
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(m)
	}
	return m, nil
}

// Start starts every runner.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	m.ctx = context.WithoutCancel(ctx)
	m.mu.Unlock()
	for i, n := range m.names {
		if err := m.runners[n].Start(ctx); err != nil {
			// A failed start is stopped: the runners already started too.
			for _, started := range m.names[:i] {
				m.runners[started].Stop()
			}
			return err
		}
	}
	return nil
}

// Stop stops every runner.
func (m *Manager) Stop() {
	for _, n := range m.names {
		m.runners[n].Stop()
	}
}

// Runner returns the named runner.
func (m *Manager) Runner(name string) (*Runner, bool) {
	r, ok := m.runners[name]
	return r, ok
}

// Names lists the projections.
func (m *Manager) Names() []string { return m.names }

// Status reports every projection.
func (m *Manager) Status(ctx context.Context) []Status {
	out := make([]Status, 0, len(m.names))
	for _, n := range m.names {
		st, _ := m.StatusOf(ctx, n)
		out = append(out, st)
	}
	return out
}

// StatusOf reports one projection; hookstream.ErrNotFound for an unknown name.
func (m *Manager) StatusOf(ctx context.Context, name string) (Status, error) {
	r, ok := m.runners[name]
	if !ok {
		return Status{}, hookstream.Errorf(hookstream.ENOTFOUND, "no projection named %q", name)
	}
	st := r.Status(ctx)
	m.mu.Lock()
	if rb := m.rebuilds[name]; rb != nil {
		if st.Checkpoint >= rb.Target {
			rb.Done = true
		}
		cp := *rb
		st.Rebuild = &cp
	}
	m.mu.Unlock()
	return st, nil
}

// Rebuild stops the projection, deletes its rows and its dead letters,
// resets its checkpoint and starts it again from the stream's beginning.
// It returns once the reset is committed; the replay runs in the
// background and StatusOf reports its progress (Rebuild.Target is the
// stream head when the rebuild began).
func (m *Manager) Rebuild(ctx context.Context, name string) (RebuildProgress, error) {
	r, ok := m.runners[name]
	if !ok {
		return RebuildProgress{}, hookstream.Errorf(hookstream.ENOTFOUND, "no projection named %q", name)
	}
	p := r.cfg.Projection
	head, _, err := r.cfg.Store.StreamInfo(ctx, p.Stream())
	if err != nil {
		return RebuildProgress{}, err
	}
	r.Stop()
	err = InTx(ctx, r.cfg.Pool, func(tx pgx.Tx) error {
		if err := p.Reset(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, q("DeleteDeadLetters"), name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, q("EnsureCheckpoint"), name, p.Stream()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, q("ResetCheckpoint"), name)
		return err
	})
	m.mu.Lock()
	base := m.ctx
	if base == nil {
		base = context.WithoutCancel(ctx)
	}
	m.mu.Unlock()
	if startErr := r.Start(base); startErr != nil && err == nil {
		err = startErr
	}
	if err != nil {
		return RebuildProgress{}, fmt.Errorf("rebuild %s: %w", name, err)
	}
	rb := &RebuildProgress{Target: head, StartedAt: time.Now().UTC(), Done: head == 0}
	m.mu.Lock()
	m.rebuilds[name] = rb
	m.mu.Unlock()
	return *rb, nil
}

var (
	descLag = prometheus.NewDesc("hookstream_projection_lag",
		"Stream messages not yet applied by the projection (stream head - checkpoint).", []string{"projection"}, nil)
	descPending = prometheus.NewDesc("hookstream_projection_consumer_pending",
		"Messages not yet delivered to the projection's durable consumer.", []string{"projection"}, nil)
	descAckPending = prometheus.NewDesc("hookstream_projection_consumer_ack_pending",
		"Messages delivered to the projection but not yet acknowledged.", []string{"projection"}, nil)
	descDead = prometheus.NewDesc("hookstream_projection_dead_letters",
		"Events parked in projection_dead_letters.", []string{"projection"}, nil)
)

// Describe implements prometheus.Collector.
func (m *Manager) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLag
	ch <- descPending
	ch <- descAckPending
	ch <- descDead
}

// Collect implements prometheus.Collector: it reads each status (bounded
// to 2 s).
func (m *Manager) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, st := range m.Status(ctx) {
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(st.Lag), st.Name)
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending), st.Name)
		ch <- prometheus.MustNewConstMetric(descAckPending, prometheus.GaugeValue, float64(st.AckPending), st.Name)
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(st.DeadLetters), st.Name)
	}
}
