package sqsbridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/schema"
)

// Defaults of Config.
const (
	DurableDefault           = "sqsbridge"
	FetchBatchDefault        = 100
	SendConcurrencyDefault   = 8
	ReceiversDefault         = 4
	AckWaitDefault           = 30 * time.Second
	SendTimeoutDefault       = 15 * time.Second
	RetryMinDefault          = 100 * time.Millisecond
	RetryMaxDefault          = 30 * time.Second
	WaitTimeSecondsDefault   = 20
	ReceiveBatchDefault      = 10
	VisibilityTimeoutDefault = 30 * time.Second
	// MaxMessageBytesDefault is SQS's limit on a message and on a
	// SendMessageBatch call (body and attributes): 256 KiB.
	MaxMessageBytesDefault = 256 * 1024
	// MaxBatchEntries is SQS's limit of entries per batch call.
	MaxBatchEntries = 10
	// MaxDeliverDefault of the outbound consumer: failures are retried
	// in-process while the messages are kept in progress, so deliveries
	// only count crashes and stops.
	MaxDeliverDefault = 1000
)

// API is the part of the SQS client the bridge uses; *sqs.Client.
type API interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

var _ API = (*sqs.Client)(nil)

// Appender appends an event and returns after its PubAck:
// *eventstore.Store or *eventstore.Batcher.
type Appender interface {
	Append(ctx context.Context, ev *hookstream.Event, opts eventstore.AppendOptions) (eventstore.AppendResult, error)
}

// SchemaSource hands out the compiled validator of an event type as a
// tenant sees it (a core type or the tenant's own): *pipeline.Schemas.
// Errors: hookstream.ErrNotFound (ENOTFOUND) for an unknown type; any other
// error is taken as transient (the registry is unreachable).
type SchemaSource interface {
	Validator(ctx context.Context, tenantID, name string, version int) (*schema.Validator, error)
}

// Config configures a Bridge. The bridge is off when Outbound is false and
// InboundQueueURL is empty.
type Config struct {
	// Store is the event store: the outbound consumer reads from it, and
	// inbound events are appended to it when Appender is nil. Required.
	Store    *eventstore.Store
	Appender Appender
	// SQS is the client (required when the bridge is on).
	SQS API

	// Outbound sends workflow.triggered to SQS (HOOKSTREAM_EXECUTOR=sqs).
	// Default false.
	Outbound bool
	// QueueURL is the one outbound queue of every priority without a queue
	// of its own in QueueURLs (indexed by priority 0-3). A URL ending in
	// ".fifo" is a FIFO queue.
	QueueURL  string
	QueueURLs [4]string
	// InboundQueueURL is long-polled for events when set.
	InboundQueueURL string

	// Schemas validates inbound events (required with InboundQueueURL).
	Schemas SchemaSource
	// TenantFunc, when set, checks an inbound event's tenant and returns
	// its retention (the Nats-TTL of the appended event). An error with
	// code ENOTFOUND makes the message invalid; any other error appends
	// with the stream's MaxAge (inbound does not depend on PostgreSQL).
	TenantFunc func(ctx context.Context, tenantID string) (time.Duration, error)

	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// OffReason is what Status says when the bridge is off; default
	// "no SQS configuration".
	OffReason string

	// Durable names the outbound consumer; default "sqsbridge".
	Durable string
	// FetchBatch is how many triggers are fetched at once; default 100.
	FetchBatch int
	// SendConcurrency is the number of SendMessageBatch calls in flight
	// per queue; default 8 (see Bridge.lanes for how order is kept).
	SendConcurrency int
	// AckWait of the outbound consumer; default 30 s. Messages in hand are
	// marked in progress every AckWait/3.
	AckWait time.Duration
	// MaxDeliver of the outbound consumer; default 1000.
	MaxDeliver int
	// SendTimeout bounds one SQS call; default 15 s.
	SendTimeout time.Duration
	// RetryMin and RetryMax bound the full-jitter backoff; defaults 100 ms
	// and 30 s.
	RetryMin, RetryMax time.Duration
	// MaxMessageBytes is the size above which a trigger goes as a claim
	// check, and the limit of one batch call; default 256 KiB.
	MaxMessageBytes int
	// WaitTimeSeconds of inbound long polls; default 20.
	WaitTimeSeconds int32
	// ReceiveBatch is MaxNumberOfMessages of a receive; default 10.
	ReceiveBatch int32
	// Receivers is the number of concurrent long polls of the inbound
	// queue; default 4.
	Receivers int
	// VisibilityTimeout given to received messages and renewed every third
	// of it while their append is slow; default 30 s.
	VisibilityTimeout time.Duration
}

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Appender == nil && c.Store != nil {
		c.Appender = c.Store
	}
	if c.OffReason == "" {
		c.OffReason = "no SQS configuration"
	}
	if c.Durable == "" {
		c.Durable = DurableDefault
	}
	if c.FetchBatch <= 0 {
		c.FetchBatch = FetchBatchDefault
	}
	if c.SendConcurrency <= 0 {
		c.SendConcurrency = SendConcurrencyDefault
	}
	if c.AckWait <= 0 {
		c.AckWait = AckWaitDefault
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = MaxDeliverDefault
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = SendTimeoutDefault
	}
	if c.RetryMin <= 0 {
		c.RetryMin = RetryMinDefault
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(RetryMaxDefault, c.RetryMin)
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = MaxMessageBytesDefault
	}
	if c.WaitTimeSeconds <= 0 {
		c.WaitTimeSeconds = WaitTimeSecondsDefault
	}
	if c.ReceiveBatch <= 0 || c.ReceiveBatch > MaxBatchEntries {
		c.ReceiveBatch = ReceiveBatchDefault
	}
	if c.Receivers <= 0 {
		c.Receivers = ReceiversDefault
	}
	if c.VisibilityTimeout < time.Second {
		c.VisibilityTimeout = VisibilityTimeoutDefault
	}
	return c
}

// Enabled reports whether the configuration turns the bridge on.
func (c Config) Enabled() bool { return c.Outbound || c.InboundQueueURL != "" }

func (c Config) validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("sqsbridge: Store is required"))
	}
	if c.SQS == nil {
		errs = append(errs, errors.New("sqsbridge: SQS client is required"))
	}
	if c.Outbound {
		for p, u := range c.QueueURLs {
			if u == "" && c.QueueURL == "" {
				errs = append(errs, fmt.Errorf("sqsbridge: no outbound queue for priority %d (set the one queue or one per priority)", p))
			}
		}
	}
	if c.InboundQueueURL != "" && c.Schemas == nil {
		errs = append(errs, errors.New("sqsbridge: Schemas is required for the inbound queue"))
	}
	return errors.Join(errs...)
}

// IsFIFO reports whether a queue URL names a FIFO queue (its name ends in
// ".fifo", as SQS requires).
func IsFIFO(queueURL string) bool { return strings.HasSuffix(queueURL, ".fifo") }

// queue is an outbound queue.
type queue struct {
	url  string
	fifo bool
	// priority is set when the queue serves one priority only.
	priority *int
}

// queues resolves the outbound queue of each priority: index into the
// returned list, by priority.
func (c Config) queues() ([]queue, [4]int) {
	var list []queue
	var byPriority [4]int
	index := map[string]int{}
	for p := range 4 {
		u := c.QueueURLs[p]
		if u == "" {
			u = c.QueueURL
		}
		i, ok := index[u]
		if !ok {
			i = len(list)
			index[u] = i
			list = append(list, queue{url: u, fifo: IsFIFO(u)})
		}
		byPriority[p] = i
	}
	// A queue that serves exactly one priority is that priority's queue.
	for i := range list {
		var ps []int
		for p := range 4 {
			if byPriority[p] == i {
				ps = append(ps, p)
			}
		}
		if len(ps) == 1 && list[i].url != c.QueueURL {
			p := ps[0]
			list[i].priority = &p
		}
	}
	return list, byPriority
}
