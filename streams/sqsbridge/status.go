package sqsbridge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Status is the bridge's state as GET /api/v1/bridge serves it.
type Status struct {
	Enabled  bool           `json:"enabled"`
	Mode     string         `json:"mode"` // "off" or "sqs"
	Reason   *string        `json:"reason"`
	Outbound OutboundStatus `json:"outbound"`
	Inbound  InboundStatus  `json:"inbound"`
}

// QueueStatus is one outbound queue; Priority is nil when the queue serves
// several priorities (they are told apart by the priority attribute).
type QueueStatus struct {
	Priority *int   `json:"priority"`
	URL      string `json:"url"`
	FIFO     bool   `json:"fifo"`
}

// OutboundStatus counts triggers sent to SQS. Sent counts entries SQS
// accepted, Failed entries (or whole calls' entries) it refused or could not
// be reached for, per attempt; InFlight the triggers in hand (fetched, not
// yet acked); Backlog the triggers not yet fetched.
type OutboundStatus struct {
	Queues        []QueueStatus `json:"queues"`
	Sent          int64         `json:"sent"`
	Failed        int64         `json:"failed"`
	InFlight      int64         `json:"inFlight"`
	LastSuccessAt *time.Time    `json:"lastSuccessAt"`
	LastError     *string       `json:"lastError"`
	Backlog       uint64        `json:"backlog"`
}

// InboundStatus counts messages received from the inbound queue: Appended
// are new events (a redelivered message already appended is not counted
// again), Invalid messages left to the queue's redrive policy.
type InboundStatus struct {
	QueueURL      *string    `json:"queueUrl"`
	Received      int64      `json:"received"`
	Appended      int64      `json:"appended"`
	Invalid       int64      `json:"invalid"`
	LastSuccessAt *time.Time `json:"lastSuccessAt"`
	LastError     *string    `json:"lastError"`
}

// direction holds one direction's health.
type direction struct {
	mu          sync.Mutex
	lastSuccess time.Time
	lastError   string
	lastErrorAt time.Time
}

func (d *direction) success() {
	d.mu.Lock()
	d.lastSuccess = time.Now().UTC()
	d.mu.Unlock()
}

func (d *direction) fail(msg string) {
	d.mu.Lock()
	d.lastError, d.lastErrorAt = msg, time.Now().UTC()
	d.mu.Unlock()
}

// note records an error that says nothing of the bridge's health (an
// invalid inbound message: the producer's fault).
func (d *direction) note(msg string) {
	d.mu.Lock()
	d.lastError = msg
	d.mu.Unlock()
}

func (d *direction) snapshot() (success *time.Time, lastErr *string, failing bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.lastSuccess.IsZero() {
		t := d.lastSuccess
		success = &t
	}
	if d.lastError != "" {
		e := d.lastError
		lastErr = &e
	}
	return success, lastErr, !d.lastErrorAt.IsZero() && d.lastErrorAt.After(d.lastSuccess)
}

func (d *direction) lastSuccessSeconds() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lastSuccess.IsZero() {
		return 0
	}
	return float64(d.lastSuccess.UnixNano()) / 1e9
}

// counters are the bridge's numbers, exported in Status and /metrics.
type counters struct {
	sent, failed, claimChecks, inFlight atomic.Int64
	backlog                             atomic.Uint64
	received, appended, duplicates      atomic.Int64
	invalid                             atomic.Int64
	invalidBy                           *prometheus.CounterVec
}

func (b *Bridge) registerMetrics(reg prometheus.Registerer) {
	c := &b.n
	c.invalidBy = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_sqsbridge_inbound_invalid_total",
		Help: "Inbound SQS messages refused (left to the queue's redrive policy), by reason.",
	}, []string{"reason"})
	if reg == nil {
		return
	}
	enabled := 0.0
	if b.cfg.Enabled() {
		enabled = 1
	}
	cf := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	gf := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	load := func(a *atomic.Int64) func() float64 { return func() float64 { return float64(a.Load()) } }
	reg.MustRegister(
		gf("hookstream_sqsbridge_enabled", "1 when the SQS bridge runs (either direction).", func() float64 { return enabled }),
		cf("hookstream_sqsbridge_outbound_sent_total", "workflow.triggered events SQS accepted.", load(&c.sent)),
		cf("hookstream_sqsbridge_outbound_failed_total", "Outbound entries refused or not delivered by an SQS call (retried).", load(&c.failed)),
		cf("hookstream_sqsbridge_outbound_claim_checks_total", "Triggers sent as claim checks (over the size limit).", load(&c.claimChecks)),
		gf("hookstream_sqsbridge_outbound_in_flight", "Triggers fetched and not yet accepted by SQS.", load(&c.inFlight)),
		gf("hookstream_sqsbridge_outbound_backlog", "Triggers waiting in the outbound consumer.", func() float64 { return float64(c.backlog.Load()) }),
		gf("hookstream_sqsbridge_outbound_last_success_timestamp_seconds", "Time of the last accepted SendMessageBatch.", b.out.lastSuccessSeconds),
		cf("hookstream_sqsbridge_inbound_received_total", "Messages received from the inbound queue.", load(&c.received)),
		cf("hookstream_sqsbridge_inbound_appended_total", "Inbound messages appended as new events.", load(&c.appended)),
		cf("hookstream_sqsbridge_inbound_duplicates_total", "Inbound messages already appended (redeliveries).", load(&c.duplicates)),
		gf("hookstream_sqsbridge_inbound_last_success_timestamp_seconds", "Time of the last successful inbound receive.", b.in.lastSuccessSeconds),
		c.invalidBy,
	)
}

// Status returns the bridge's state.
func (b *Bridge) Status(ctx context.Context) Status {
	b.refreshBacklog(ctx)
	s := Status{Mode: "off", Outbound: OutboundStatus{Queues: []QueueStatus{}}}
	if !b.cfg.Enabled() {
		r := b.cfg.OffReason
		s.Reason = &r
	} else {
		s.Enabled, s.Mode = true, "sqs"
	}
	if b.cfg.Outbound {
		for _, q := range b.queues {
			s.Outbound.Queues = append(s.Outbound.Queues, QueueStatus{Priority: q.priority, URL: q.url, FIFO: q.fifo})
		}
	}
	s.Outbound.Sent, s.Outbound.Failed = b.n.sent.Load(), b.n.failed.Load()
	s.Outbound.InFlight, s.Outbound.Backlog = b.n.inFlight.Load(), b.n.backlog.Load()
	s.Outbound.LastSuccessAt, s.Outbound.LastError, _ = b.out.snapshot()
	if u := b.cfg.InboundQueueURL; u != "" {
		s.Inbound.QueueURL = &u
	}
	s.Inbound.Received, s.Inbound.Appended, s.Inbound.Invalid = b.n.received.Load(), b.n.appended.Load(), b.n.invalid.Load()
	s.Inbound.LastSuccessAt, s.Inbound.LastError, _ = b.in.snapshot()
	return s
}

// refreshBacklog reads the outbound consumer's pending count.
func (b *Bridge) refreshBacklog(ctx context.Context) {
	b.mu.Lock()
	cons := b.cons
	b.mu.Unlock()
	if cons == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if pending, _, err := cons.Pending(ctx); err == nil {
		b.n.backlog.Store(pending)
	}
}

// Health is a one-line summary for /readyz?verbose; err is set while a
// direction's last error is newer than its last success.
func (b *Bridge) Health(ctx context.Context) (string, error) {
	st := b.Status(ctx)
	if !st.Enabled {
		return "off: " + *st.Reason, nil
	}
	detail := ""
	if b.cfg.Outbound {
		detail = "outbound " + itoa(int64(len(st.Outbound.Queues))) + " queue(s), sent " + itoa(st.Outbound.Sent) +
			", in flight " + itoa(st.Outbound.InFlight) + ", backlog " + itoa(int64(st.Outbound.Backlog))
	}
	if b.cfg.InboundQueueURL != "" {
		if detail != "" {
			detail += "; "
		}
		detail += "inbound received " + itoa(st.Inbound.Received) + ", appended " + itoa(st.Inbound.Appended) + ", invalid " + itoa(st.Inbound.Invalid)
	}
	if _, e, failing := b.out.snapshot(); failing && b.cfg.Outbound {
		return detail, &healthError{"outbound: " + *e}
	}
	if _, e, failing := b.in.snapshot(); failing && b.cfg.InboundQueueURL != "" {
		return detail, &healthError{"inbound: " + *e}
	}
	return detail, nil
}

type healthError struct{ msg string }

func (e *healthError) Error() string { return e.msg }
