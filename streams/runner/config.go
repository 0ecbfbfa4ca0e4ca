package runner

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Defaults of Config.
const (
	WorkersDefault    = 64
	AckWaitDefault    = 15 * time.Second
	MaxDeliverDefault = 100000
	BucketDefault     = "RUNNER"
	DurableDefault    = "runner"
	FetchWaitDefault  = time.Second
	SLACacheDefault   = 30 * time.Second
)

// LaneWeights are the worker shares of the priority lanes, indexed by
// priority (low, normal, high, critical): 1:2:4:8.
var LaneWeights = [4]int{1, 2, 4, 8}

// Appender appends an event and waits for its PubAck (*eventstore.Store or
// *eventstore.Batcher).
type Appender interface {
	Append(ctx context.Context, ev *hookstream.Event, opts eventstore.AppendOptions) (eventstore.AppendResult, error)
}

// WorkflowSource reads workflows. Get returns an error with code
// hookstream.ENOTFOUND for an unknown workflow or one of another tenant.
type WorkflowSource interface {
	Get(ctx context.Context, tenantID, id string) (hookstream.Workflow, error)
}

// SLASource reads a tenant's SLA targets (defaults when it set none).
type SLASource interface {
	SLATargets(ctx context.Context, tenantID string) (hookstream.SLATargets, error)
}

// Config configures a Runner. Store and Workflows are required.
type Config struct {
	Store     *eventstore.Store
	Appender  Appender // default Store
	Workflows WorkflowSource
	SLA       SLASource // nil: the default targets
	Logger    *slog.Logger
	// Workers is the size of the worker pool shared by the lanes; default 64.
	Workers int
	// AllowCIDRs are destinations let through the outbound guard (default
	// none: every private, loopback, link-local... range is refused).
	AllowCIDRs []netip.Prefix
	// LookupFunc resolves destination hosts; default the system resolver.
	LookupFunc LookupFunc
	// AckWait is how long an execution's trigger stays with one worker
	// without a heartbeat before JetStream hands it to another (a crashed
	// node's executions resume after it); default 15 s.
	AckWait time.Duration
	// MaxDeliver of the lane consumers; default 100 000 (each retry or
	// wait is a delivery). The last delivery fails the execution.
	MaxDeliver int
	// Bucket is the KV bucket of execution state; default RUNNER.
	Bucket string
	// Durable prefixes the lane consumers' names; default "runner".
	Durable string
	// FetchWait bounds one fetch; default 1 s.
	FetchWait time.Duration
	// Registerer receives the runner's metrics; nil: a private registry.
	Registerer prometheus.Registerer
	// TTLFunc returns the Nats-TTL of a tenant's derived events.
	TTLFunc func(ctx context.Context, tenantID string) (time.Duration, error)
	// RandFunc returns a number in [0,1) for the backoff's jitter;
	// default math/rand/v2.
	RandFunc func() float64
}

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Appender == nil && c.Store != nil {
		c.Appender = c.Store
	}
	if c.Workers <= 0 {
		c.Workers = WorkersDefault
	}
	if c.AckWait <= 0 {
		c.AckWait = AckWaitDefault
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = MaxDeliverDefault
	}
	if c.Bucket == "" {
		c.Bucket = BucketDefault
	}
	if c.Durable == "" {
		c.Durable = DurableDefault
	}
	if c.FetchWait <= 0 {
		c.FetchWait = FetchWaitDefault
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	if c.RandFunc == nil {
		c.RandFunc = rand.Float64
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("runner: Store is required")
	case c.Workflows == nil:
		return errors.New("runner: Workflows is required")
	}
	return nil
}
