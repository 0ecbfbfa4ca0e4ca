package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/pipeline"
	"github.com/hookstream/hookstream/streams/sqsbridge"
)

// The SQS bridge area (SPEC §8): workflow.triggered to SQS with
// HOOKSTREAM_EXECUTOR=sqs, events from HOOKSTREAM_SQS_INBOUND_QUEUE_URL,
// GET /api/v1/bridge, a /readyz component and /metrics.
func init() {
	addWiring(Wiring{Name: "sqsbridge", Order: 60, Build: buildSQSBridge})
}

// Executors (HOOKSTREAM_EXECUTOR).
const (
	ExecutorLocal = "local"
	ExecutorSQS   = "sqs"
)

// executor returns the configured executor, "local" when unset.
func (c Config) executor() (string, error) {
	switch e := strings.ToLower(strings.TrimSpace(c.Executor)); e {
	case "", ExecutorLocal:
		return ExecutorLocal, nil
	case ExecutorSQS:
		return ExecutorSQS, nil
	default:
		return "", fmt.Errorf("HOOKSTREAM_EXECUTOR: want local or sqs, got %q", c.Executor)
	}
}

func buildSQSBridge(ctx context.Context, m *Main) ([]handlers.Module, []Component, error) {
	exec, err := m.Config.executor()
	if err != nil {
		return nil, nil, err
	}
	logger := m.Logger().With("component", "sqsbridge")
	cfg := sqsbridge.Config{
		Store:           m.Store(),
		Outbound:        exec == ExecutorSQS,
		QueueURL:        m.Config.SQSQueueURL,
		QueueURLs:       m.Config.SQSQueueURLs,
		InboundQueueURL: m.Config.SQSInboundQueueURL,
		Logger:          logger,
		Registerer:      m.Registry(),
		OffReason:       "no SQS configuration: HOOKSTREAM_EXECUTOR is local and HOOKSTREAM_SQS_INBOUND_QUEUE_URL is empty",
	}
	hasQueues := cfg.QueueURL != ""
	for _, u := range cfg.QueueURLs {
		hasQueues = hasQueues || u != ""
	}
	if hasQueues && !cfg.Outbound {
		logger.WarnContext(ctx, "SQS queue URLs are set but HOOKSTREAM_EXECUTOR is not sqs: triggers are not sent to SQS")
	}
	if cfg.Enabled() {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("aws configuration: %w", err)
		}
		// The bridge owns retries (full-jitter backoff, messages kept in
		// progress): one attempt per SDK call.
		cfg.SQS = sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
		appender, err := m.Appender()
		if err != nil {
			return nil, nil, err
		}
		cfg.Appender = appender
		cfg.Schemas = pipeline.NewSchemas(eventTypeSource{projections.NewEventTypes(m.Pool())})
		// The tenant must exist (ENOTFOUND: invalid); with PostgreSQL
		// down the event is appended with the stream's MaxAge.
		cfg.TenantFunc = newRetentionTTL(m.Accounts()).TTL
	}
	b, err := sqsbridge.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	m.AddReadyCheck(handlers.ReadyCheck{Name: "sqsbridge", Check: b.Health})
	if !cfg.Enabled() {
		logger.DebugContext(ctx, "sqs bridge configuration", slog.String("executor", exec))
	}
	return []handlers.Module{handlers.NewBridge(b)}, []Component{b}, nil
}
