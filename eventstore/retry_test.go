package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
)

// lostAnswer appends through the real store but, for the first lose
// calls, reports the event store unavailable afterwards: a PubAck lost on
// the way back, as when the leader dies right after storing.
type lostAnswer struct {
	inner interface {
		Append(context.Context, *hookstream.Event, eventstore.AppendOptions) (eventstore.AppendResult, error)
	}
	lose  int32
	calls atomic.Int32
}

func (l *lostAnswer) Append(ctx context.Context, ev *hookstream.Event, opts eventstore.AppendOptions) (eventstore.AppendResult, error) {
	res, err := l.inner.Append(ctx, ev, opts)
	if l.calls.Add(1) <= l.lose && err == nil {
		return eventstore.AppendResult{}, fmt.Errorf("append: %w: answer lost", hookstream.ErrUnavailable)
	}
	return res, err
}

// TestRetrierLostAnswer: an append whose first answer was lost is retried
// with the same Nats-Msg-Id; the retry finds its own earlier attempt and
// reports it stored (not a duplicate) at that sequence, once in the stream.
// A sender's redelivery (another event, same delivery id) stays a duplicate.
func TestRetrierLostAnswer(t *testing.T) {
	t.Parallel()
	b := eventstoretest.New(t)
	for _, batched := range []bool{false, true} {
		t.Run(fmt.Sprintf("batched=%v", batched), func(t *testing.T) {
			var inner interface {
				Append(context.Context, *hookstream.Event, eventstore.AppendOptions) (eventstore.AppendResult, error)
			} = b.Store
			if batched {
				bt := eventstore.NewBatcher(b.Store, eventstore.BatcherConfig{})
				require.NoError(t, bt.Start(t.Context()))
				t.Cleanup(bt.Stop)
				inner = bt
			}
			lossy := &lostAnswer{inner: inner, lose: 1}
			r := eventstore.NewRetrier(lossy, b.Store, eventstore.RetryConfig{})
			delivery := fmt.Sprintf("lost-%v", batched)
			opts := eventstore.AppendOptions{MsgID: eventstore.MsgIDForDelivery(tenantA, webhook1, delivery)}
			ev := received(tenantA, webhook1, 1)
			res, err := r.Append(t.Context(), ev, opts)
			require.NoError(t, err)
			require.False(t, res.Duplicate, "the retry of a stored append is not a duplicate")
			require.Equal(t, int32(2), lossy.calls.Load())
			got, err := b.Store.Get(t.Context(), res.Stream, res.Seq)
			require.NoError(t, err)
			require.Equal(t, ev.ID, got.ID)

			again := received(tenantA, webhook1, 1)
			res2, err := r.Append(t.Context(), again, opts)
			require.NoError(t, err)
			require.True(t, res2.Duplicate, "a redelivery is a duplicate")
			require.Equal(t, res.Seq, res2.Seq)
		})
	}
}

// failing always answers with err.
type failing struct {
	err   error
	calls atomic.Int32
}

func (f *failing) Append(context.Context, *hookstream.Event, eventstore.AppendOptions) (eventstore.AppendResult, error) {
	f.calls.Add(1)
	return eventstore.AppendResult{}, f.err
}

// TestRetrierGivesUp: retryable errors are retried until the deadline and
// then returned (503); others (the stream full) at once.
func TestRetrierGivesUp(t *testing.T) {
	t.Parallel()
	st := eventstoretest.New(t).Store
	unavailable := &failing{err: fmt.Errorf("append: %w", hookstream.ErrUnavailable)}
	r := eventstore.NewRetrier(unavailable, st, eventstore.RetryConfig{Deadline: 300 * time.Millisecond})
	_, err := r.Append(t.Context(), received(tenantA, webhook1, 1), eventstore.AppendOptions{})
	require.ErrorIs(t, err, hookstream.ErrUnavailable)
	require.Greater(t, unavailable.calls.Load(), int32(1))

	full := &failing{err: fmt.Errorf("append: %w", hookstream.ErrStreamFull)}
	r = eventstore.NewRetrier(full, st, eventstore.RetryConfig{})
	_, err = r.Append(t.Context(), received(tenantA, webhook1, 2), eventstore.AppendOptions{})
	require.ErrorIs(t, err, hookstream.ErrStreamFull)
	require.Equal(t, int32(1), full.calls.Load())

	off := &failing{err: fmt.Errorf("append: %w", hookstream.ErrUnavailable)}
	r = eventstore.NewRetrier(off, st, eventstore.RetryConfig{Deadline: -1})
	_, err = r.Append(t.Context(), received(tenantA, webhook1, 3), eventstore.AppendOptions{})
	require.True(t, errors.Is(err, hookstream.ErrUnavailable))
	require.Equal(t, int32(1), off.calls.Load())
}
