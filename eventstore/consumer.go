package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
)

// Defaults of ConsumerConfig.
const (
	MaxDeliverDefault = 5
	AckWaitDefault    = 30 * time.Second
)

// BackOffDefault spaces redeliveries of a nak'd or unacked message.
var BackOffDefault = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second}

// ConsumerConfig configures a durable pull consumer.
type ConsumerConfig struct {
	Stream  string
	Durable string
	// FilterSubjects restrict the consumer (see SubjectFilter); empty = all.
	FilterSubjects []string
	// MaxDeliver is finite: default 5. BackOff defaults to BackOffDefault and
	// is truncated to MaxDeliver-1 entries as JetStream requires.
	MaxDeliver int
	BackOff    []time.Duration
	// AckWait default 30 s (the first BackOff entry when BackOff is set).
	AckWait time.Duration
	// MaxAckPending default 10 000.
	MaxAckPending int
	// DeliverFrom, when non-zero and the consumer is new, starts at this
	// sequence (used by projection rebuilds to resume from a checkpoint).
	DeliverFrom uint64
}

// Consumer is a durable pull consumer with explicit acks. Several nodes may
// use the same durable: JetStream spreads messages among them.
type Consumer struct {
	cons   jetstream.Consumer
	stream string
	max    int
}

// Msg is one delivered event with its ack handles.
type Msg struct {
	Event *hookstream.Event
	// Delivered counts deliveries of this message, starting at 1.
	Delivered uint64
	// LastAttempt is true on the final delivery (Delivered == MaxDeliver):
	// a handler that fails now should park the event and ack it.
	LastAttempt bool
	// DecodeErr is set when the data could not be decoded (Event is nil).
	DecodeErr error
	raw       jetstream.Msg
}

// Ack acknowledges the message (it will not be redelivered).
func (m Msg) Ack(ctx context.Context) error { return m.raw.DoubleAck(ctx) }

// AckAsync acknowledges the message without waiting for the server's
// confirmation. A connection's acks are processed in order, so a later
// Ack (which waits) confirms the AckAsync calls made before it: ack a batch
// with AckAsync and its last message with Ack.
func (m Msg) AckAsync() error { return m.raw.Ack() }

// Nak asks for redelivery after the consumer's backoff.
func (m Msg) Nak() error { return m.raw.Nak() }

// NakWithDelay asks for redelivery after d (it counts as a delivery).
// The server keeps the schedule: it survives a restart of this process.
func (m Msg) NakWithDelay(d time.Duration) error { return m.raw.NakWithDelay(d) }

// Term stops redelivery without acknowledging.
func (m Msg) Term() error { return m.raw.Term() }

// InProgress extends the ack deadline.
func (m Msg) InProgress() error { return m.raw.InProgress() }

// Durable creates or updates a durable consumer.
func (s *Store) Durable(ctx context.Context, cfg ConsumerConfig) (*Consumer, error) {
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = MaxDeliverDefault
	}
	if cfg.BackOff == nil {
		cfg.BackOff = BackOffDefault
	}
	if len(cfg.BackOff) > cfg.MaxDeliver-1 {
		cfg.BackOff = cfg.BackOff[:max(cfg.MaxDeliver-1, 0)]
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = 10000
	}
	cc := jetstream.ConsumerConfig{
		Durable:        cfg.Durable,
		AckPolicy:      jetstream.AckExplicitPolicy,
		MaxDeliver:     cfg.MaxDeliver,
		BackOff:        cfg.BackOff,
		AckWait:        cfg.AckWait,
		MaxAckPending:  cfg.MaxAckPending,
		FilterSubjects: cfg.FilterSubjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		MaxWaiting:     512,
	}
	if len(cfg.BackOff) > 0 {
		cc.AckWait = 0 // JetStream takes the first backoff as the ack wait
	} else if cc.AckWait == 0 {
		cc.AckWait = AckWaitDefault
	}
	if cfg.DeliverFrom > 0 {
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, cfg.DeliverFrom
	}
	cons, err := s.js.CreateOrUpdateConsumer(ctx, cfg.Stream, cc)
	if err != nil {
		return nil, fmt.Errorf("consumer %s/%s: %w", cfg.Stream, cfg.Durable, translate(err))
	}
	return &Consumer{cons: cons, stream: cfg.Stream, max: cfg.MaxDeliver}, nil
}

// DeleteConsumer removes a durable consumer (used by projection rebuilds).
// A missing consumer is not an error.
func (s *Store) DeleteConsumer(ctx context.Context, stream, durable string) error {
	err := s.js.DeleteConsumer(ctx, stream, durable)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("delete consumer %s/%s: %w", stream, durable, translate(err))
	}
	return nil
}

// Fetch returns at most n messages: at once what is available, otherwise
// the first message to arrive within wait (so an idle consumer reacts in
// milliseconds, and a busy one still gets full batches). It returns an
// empty slice when none arrived.
func (c *Consumer) Fetch(ctx context.Context, n int, wait time.Duration) ([]Msg, error) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = max(time.Until(dl), time.Millisecond)
	}
	batch, err := c.cons.FetchNoWait(n)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", c.stream, translate(err))
	}
	out, err := c.collect(batch)
	if len(out) > 0 || err != nil {
		return out, err
	}
	// Nothing pending: wait for the next message (a pull request for one
	// message completes as soon as it arrives).
	batch, err = c.cons.Fetch(1, jetstream.FetchMaxWait(wait))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", c.stream, translate(err))
	}
	return c.collect(batch)
}

func (c *Consumer) collect(batch jetstream.MessageBatch) ([]Msg, error) {
	var out []Msg
	for m := range batch.Messages() {
		md, err := m.Metadata()
		if err != nil {
			return out, fmt.Errorf("fetch metadata: %w", err)
		}
		msg := Msg{Delivered: md.NumDelivered, LastAttempt: int(md.NumDelivered) >= c.max, raw: m}
		msg.Event, msg.DecodeErr = DecodeMsg(m.Headers(), m.Data(), c.stream, md.Sequence.Stream)
		if msg.Event == nil {
			msg.Event = &hookstream.Event{Sequence: md.Sequence.Stream, Stream: c.stream}
		}
		out = append(out, msg)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		return out, fmt.Errorf("fetch %s: %w", c.stream, translate(err))
	}
	return out, nil
}

// Pending returns the number of messages not yet delivered and the number
// delivered but not yet acked.
func (c *Consumer) Pending(ctx context.Context) (pending uint64, ackPending int, err error) {
	info, err := c.cons.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("consumer info: %w", translate(err))
	}
	return info.NumPending, info.NumAckPending, nil
}
