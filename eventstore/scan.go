package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Scan visits, in stream order, the sequence and storage time of every
// message matching opts up to StopSeq (0: the stream's last sequence when
// Scan started), without transferring payloads: the ordered consumer is
// headers-only. Counting a time range of a subject costs no decoding.
// fn's error ends the scan and is returned (ErrStopRead: nil).
func (s *Store) Scan(ctx context.Context, opts ReadOptions, fn func(seq uint64, stored time.Time) error) error {
	cons, stop, err := s.orderedConsumer(ctx, opts, true)
	if err != nil || cons == nil {
		return err
	}
	for {
		batch, err := cons.FetchNoWait(1024)
		if err != nil {
			return fmt.Errorf("scan %s: %w", opts.Stream, translate(err))
		}
		done, n, ferr := false, 0, error(nil)
		for m := range batch.Messages() {
			if done {
				continue // drain, so the fetch completes
			}
			n++
			md, err := m.Metadata()
			if err != nil {
				done, ferr = true, fmt.Errorf("scan metadata: %w", err)
				continue
			}
			if md.Sequence.Stream > stop {
				done = true
				continue
			}
			if err := fn(md.Sequence.Stream, md.Timestamp); err != nil {
				done = true
				if !errors.Is(err, ErrStopRead) {
					ferr = err
				}
				continue
			}
			if md.Sequence.Stream == stop || md.NumPending == 0 {
				done = true
			}
		}
		if done || ferr != nil {
			return ferr
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("scan %s: %w", opts.Stream, translate(err))
		}
		if n == 0 {
			return ctx.Err()
		}
	}
}
