package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
)

// ReadOptions select the events Read visits.
type ReadOptions struct {
	Stream string
	// Subjects filter the stream (see SubjectFilter); empty = all.
	Subjects []string
	// StartSeq starts at this sequence (inclusive); StartTime at the first
	// message at or after this time. Neither: from the beginning.
	StartSeq  uint64
	StartTime time.Time
	// StopSeq stops after this sequence (inclusive); 0 = the stream's last
	// sequence when Read started, so Read always terminates.
	StopSeq uint64
}

// ErrStopRead may be returned by a Read callback to end the read early
// without an error.
var ErrStopRead = errors.New("stop read")

// Read visits, in stream order, every matching event from the start
// position up to StopSeq with an ordered (ephemeral) consumer. fn's error
// ends the read and is returned (ErrStopRead: nil).
func (s *Store) Read(ctx context.Context, opts ReadOptions, fn func(*hookstream.Event) error) error {
	cons, stop, err := s.orderedConsumer(ctx, opts, false)
	if err != nil || cons == nil {
		return err
	}
	for {
		batch, err := cons.FetchNoWait(512)
		if err != nil {
			return fmt.Errorf("read %s: %w", opts.Stream, translate(err))
		}
		done, n, err := readBatch(batch, opts.Stream, stop, fn)
		// Drain what is left of a batch ended early, so its fetch completes.
		for range batch.Messages() {
		}
		if done || err != nil {
			return err
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("read %s: %w", opts.Stream, translate(err))
		}
		if n == 0 {
			// Nothing matches between the position and the stream's head,
			// unless the consumer says otherwise: on a cluster an empty
			// fetch can also mean it is being reset (a leader change).
			more, err := pendingLeft(ctx, cons)
			if err != nil {
				return fmt.Errorf("read %s: %w", opts.Stream, err)
			}
			if !more {
				return ctx.Err()
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// pendingLeft asks whether an ordered consumer still has matching messages
// to deliver, waiting out a consumer reset for a few seconds.
func pendingLeft(ctx context.Context, cons jetstream.Consumer) (bool, error) {
	var last error
	for range 50 {
		info, err := cons.Info(ctx)
		if err == nil {
			return info.NumPending > 0, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return false, translate(last)
}

// orderedConsumer creates the ordered consumer of a Read or Scan and
// resolves the stop sequence; a nil consumer means there is nothing to read.
func (s *Store) orderedConsumer(ctx context.Context, opts ReadOptions, headersOnly bool) (jetstream.Consumer, uint64, error) {
	st, err := s.js.Stream(ctx, opts.Stream)
	if err != nil {
		return nil, 0, fmt.Errorf("stream %s: %w", opts.Stream, translate(err))
	}
	stop := opts.StopSeq
	if stop == 0 {
		info, err := st.Info(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("stream info %s: %w", opts.Stream, translate(err))
		}
		stop = info.State.LastSeq
	}
	if stop == 0 || opts.StartSeq > stop {
		return nil, 0, nil
	}
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: opts.Subjects, DeliverPolicy: jetstream.DeliverAllPolicy, HeadersOnly: headersOnly}
	switch {
	case opts.StartSeq > 0:
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, opts.StartSeq
	case !opts.StartTime.IsZero():
		t := opts.StartTime
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	cons, err := st.OrderedConsumer(ctx, cc)
	if err != nil {
		return nil, 0, fmt.Errorf("ordered consumer %s: %w", opts.Stream, translate(err))
	}
	return cons, stop, nil
}

// readBatch feeds one fetched batch to fn; done is true when the read is over.
func readBatch(batch jetstream.MessageBatch, stream string, stop uint64, fn func(*hookstream.Event) error) (done bool, n int, err error) {
	for m := range batch.Messages() {
		n++
		md, err := m.Metadata()
		if err != nil {
			return true, n, fmt.Errorf("read metadata: %w", err)
		}
		if md.Sequence.Stream > stop {
			return true, n, nil
		}
		ev, err := DecodeMsg(m.Headers(), m.Data(), stream, md.Sequence.Stream)
		if err != nil {
			return true, n, err
		}
		if err := fn(ev); err != nil {
			if errors.Is(err, ErrStopRead) {
				return true, n, nil
			}
			return true, n, err
		}
		if md.Sequence.Stream == stop || md.NumPending == 0 {
			return true, n, nil
		}
	}
	return false, n, nil
}
