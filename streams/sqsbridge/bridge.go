package sqsbridge

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Bridge moves workflow.triggered events to SQS and events from SQS into
// JetStream (see the package doc). Start it once; Stop waits for what it
// started.
type Bridge struct {
	cfg        Config
	log        *slog.Logger
	queues     []queue
	byPriority [4]int
	n          counters
	out, in    direction

	mu      sync.Mutex
	cons    *eventstore.Consumer
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New returns a Bridge; with neither direction configured it is off and
// Start only logs so.
func New(cfg Config) (*Bridge, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	b := &Bridge{cfg: cfg, log: cfg.Logger}
	if cfg.Outbound {
		b.queues, b.byPriority = cfg.queues()
	}
	b.registerMetrics(cfg.Registerer)
	return b, nil
}

// ConsumerConfig is the outbound durable consumer: workflow.triggered of
// every tenant, no redelivery backoff (the bridge keeps what it holds in
// progress), AckWait 30 s.
func (b *Bridge) ConsumerConfig() eventstore.ConsumerConfig {
	return eventstore.ConsumerConfig{
		Stream:         eventstore.StreamHooks,
		Durable:        b.cfg.Durable,
		FilterSubjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, "", "", hookstream.EventWorkflowTriggered)},
		MaxDeliver:     b.cfg.MaxDeliver,
		BackOff:        []time.Duration{},
		AckWait:        b.cfg.AckWait,
		MaxAckPending:  max(b.cfg.FetchBatch*4, 1000),
	}
}

// Start creates the outbound consumer (when outbound is on) and starts the
// loops in the background until Stop.
func (b *Bridge) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return nil // already running: a second Start is a no-op (hookstream.StartStop)
	}
	if !b.cfg.Enabled() {
		b.started = true
		b.log.InfoContext(ctx, "sqs bridge off", slog.String("reason", b.cfg.OffReason))
		return nil
	}
	var cons *eventstore.Consumer
	if b.cfg.Outbound {
		var err error
		if cons, err = b.cfg.Store.Durable(ctx, b.ConsumerConfig()); err != nil {
			return err
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.started, b.cancel, b.cons = true, cancel, cons
	if cons != nil {
		urls := make([]string, 0, len(b.queues))
		for _, q := range b.queues {
			urls = append(urls, q.url)
		}
		b.log.InfoContext(ctx, "sqs bridge outbound on", slog.Any("queues", urls))
		b.wg.Go(func() { b.runOutbound(runCtx, cons) })
	}
	if b.cfg.InboundQueueURL != "" {
		b.log.InfoContext(ctx, "sqs bridge inbound on", slog.String("queue", b.cfg.InboundQueueURL))
		for range b.cfg.Receivers {
			b.wg.Go(func() { b.runInbound(runCtx) })
		}
	}
	return nil
}

// Stop ends both loops and waits for them: outbound triggers in hand are
// either accepted by SQS and acked or handed back (nak) for redelivery;
// inbound messages in hand are appended and deleted, or left to reappear
// after their visibility timeout.
func (b *Bridge) Stop() {
	b.mu.Lock()
	cancel := b.cancel
	b.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	b.wg.Wait()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
