package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
)

// The tests of this file are in package eventstore so they can hold the
// collectors back and fill a queue first: the batch composition is then
// deterministic, not a matter of timing.

const (
	batchTenant  = "0193a9b2-0000-7000-8000-0000000000b1"
	batchWebhook = "0193a9b2-0000-7000-8000-0000000000b2"
	batchFlow    = "0193a9b2-0000-7000-8000-0000000000b3"
)

func openTestStore(t testing.TB) *Store {
	t.Helper()
	srv, err := StartEmbedded(EmbeddedConfig{StoreDir: t.TempDir()})
	require.NoError(t, err)
	nc, err := srv.Connect("batch-test")
	if err != nil {
		srv.Shutdown()
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() {
		nc.Close()
		srv.Shutdown()
	})
	st, err := Open(context.Background(), nc, Config{})
	require.NoError(t, err)
	return st
}

func batchEvent(n int) *hookstream.Event {
	ev := NewEvent(hookstream.EventWebhookReceived)
	ev.TenantID, ev.WebhookID = batchTenant, batchWebhook
	ev.Data = json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))
	return ev
}

// rawBatch publishes msgs as one atomic batch and returns the commit answer.
func rawBatch(t *testing.T, nc *nats.Conn, msgs []*nats.Msg) batchAck {
	t.Helper()
	id := NewID()
	for i, m := range msgs {
		m.Header.Set(hdrBatchID, id)
		m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			require.NoError(t, nc.PublishMsg(m))
			continue
		}
		m.Header.Set(hdrBatchCommit, "1")
		reply, err := nc.RequestMsg(m, 10*time.Second)
		require.NoError(t, err)
		var ack batchAck
		require.NoError(t, json.Unmarshal(reply.Data, &ack))
		return ack
	}
	t.Fatal("empty batch")
	return batchAck{}
}

func msgWithID(subject, msgID string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = []byte(`{}`)
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	return m
}

// TestAtomicBatchDedupBehaviour pins down what the server does with
// Nats-Msg-Id inside an atomic batch — the reason the Batcher falls back to
// single appends when a batch is refused.
func TestAtomicBatchDedupBehaviour(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTestStore(t)
	subj := "hooks." + batchTenant + "." + batchWebhook + ".webhook.received"

	// A clean batch: the commit PubAck carries the last sequence and the count.
	ack := rawBatch(t, st.nc, []*nats.Msg{msgWithID(subj, "a"), msgWithID(subj, "b"), msgWithID(subj, "c")})
	require.Nil(t, ack.Error)
	require.Equal(t, StreamHooks, ack.Stream)
	require.Equal(t, uint64(3), ack.Seq)
	require.Equal(t, uint64(3), ack.Count)

	// A batch with one id already stored: the WHOLE batch is refused with
	// 10201, the answer names neither the message nor the original sequence,
	// and nothing of it is stored.
	ack = rawBatch(t, st.nc, []*nats.Msg{msgWithID(subj, "d"), msgWithID(subj, "b"), msgWithID(subj, "e")})
	require.NotNil(t, ack.Error)
	require.Equal(t, jetstream.ErrorCode(10201), ack.Error.ErrorCode)
	require.Zero(t, ack.Seq)
	last, msgs, err := st.StreamInfo(ctx, StreamHooks)
	require.NoError(t, err)
	require.Equal(t, uint64(3), last)
	require.Equal(t, uint64(3), msgs)

	// The same new id twice inside one batch: refused the same way.
	ack = rawBatch(t, st.nc, []*nats.Msg{msgWithID(subj, "f"), msgWithID(subj, "f")})
	require.NotNil(t, ack.Error)
	require.Equal(t, jetstream.ErrorCode(10201), ack.Error.ErrorCode)
	_, msgs, err = st.StreamInfo(ctx, StreamHooks)
	require.NoError(t, err)
	require.Equal(t, uint64(3), msgs)

	// "d" and "e" were not stored by the refused batch: a plain publish of
	// "d" is new, not a duplicate.
	pub, err := st.js.PublishMsg(ctx, msgWithID(subj, "d"))
	require.NoError(t, err)
	require.False(t, pub.Duplicate)
	require.Equal(t, uint64(4), pub.Sequence)

	// Nats-TTL is accepted inside a batch and kept on the stored message.
	m := msgWithID(subj, "g")
	m.Header.Set(jetstream.MsgTTLHeader, "3600s")
	ack = rawBatch(t, st.nc, []*nats.Msg{msgWithID(subj, "h"), m})
	require.Nil(t, ack.Error)
	stream, err := st.js.Stream(ctx, StreamHooks)
	require.NoError(t, err)
	raw, err := stream.GetMsg(ctx, ack.Seq)
	require.NoError(t, err)
	require.Equal(t, "3600s", raw.Header.Get(jetstream.MsgTTLHeader))
	require.Equal(t, "g", raw.Header.Get(jetstream.MsgIDHeader))
}

// heldBatcher is a Batcher whose collectors start only when release is
// called, so appends queue up first and form one batch.
type heldBatcher struct {
	*Batcher
	reg *prometheus.Registry
}

func newHeldBatcher(t *testing.T, st *Store, cfg BatcherConfig) *heldBatcher {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	b := NewBatcher(st, cfg)
	b.started = true // accept appends; collectors run from release
	t.Cleanup(b.Stop)
	return &heldBatcher{Batcher: b, reg: reg}
}

// waitQueued polls until n appends wait in stream's queue.
func (h *heldBatcher) waitQueued(t *testing.T, stream string, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(h.queues[stream].in) == n }, 30*time.Second, 5*time.Millisecond)
}

func (h *heldBatcher) release() {
	for _, q := range h.queues {
		h.wg.Add(1)
		go h.collect(q)
	}
}

type appendOut struct {
	ev  *hookstream.Event
	res AppendResult
	err error
}

func appendAll(ctx context.Context, b *Batcher, evs []*hookstream.Event, opts []AppendOptions) ([]appendOut, *sync.WaitGroup) {
	out := make([]appendOut, len(evs))
	var wg sync.WaitGroup
	for i, ev := range evs {
		wg.Go(func() {
			res, err := b.Append(ctx, ev, opts[i])
			out[i] = appendOut{ev: ev, res: res, err: err}
		})
	}
	return out, &wg
}

func TestBatcherOneBatchSequences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTestStore(t)
	h := newHeldBatcher(t, st, BatcherConfig{MaxBatch: 100})

	const n = 60
	evs := make([]*hookstream.Event, n)
	opts := make([]AppendOptions, n)
	for i := range evs {
		evs[i] = batchEvent(i)
		if i%3 == 0 {
			opts[i].MsgID = MsgIDForDelivery(batchTenant, batchWebhook, fmt.Sprintf("delivery-%d", i))
		}
		if i%5 == 0 {
			opts[i].TTL = time.Hour
		}
	}
	out, wg := appendAll(ctx, h.Batcher, evs, opts)
	h.waitQueued(t, StreamHooks, n)
	h.release()
	wg.Wait()

	seen := map[uint64]bool{}
	for _, o := range out {
		require.NoError(t, o.err)
		require.False(t, o.res.Duplicate)
		require.Equal(t, StreamHooks, o.res.Stream)
		require.False(t, seen[o.res.Seq], "sequence %d twice", o.res.Seq)
		seen[o.res.Seq] = true
		require.Equal(t, o.res.Seq, o.ev.Sequence)
		got, err := st.Get(ctx, StreamHooks, o.res.Seq)
		require.NoError(t, err)
		require.Equal(t, o.ev.ID, got.ID, "the sequence reported to an append holds its event")
	}
	// One batch of 60, nothing fell back.
	require.Equal(t, 1, seriesCount(t, h.reg, "hookstream_eventstore_batch_size"))
	require.InDelta(t, float64(n), histogramSum(t, h.reg, "hookstream_eventstore_batch_size"), 0)
	require.Equal(t, 0, seriesCount(t, h.reg, "hookstream_eventstore_batch_fallback_total"))

	// TTL survives the batch path.
	stream, err := st.js.Stream(ctx, StreamHooks)
	require.NoError(t, err)
	raw, err := stream.GetMsg(ctx, out[5].res.Seq)
	require.NoError(t, err)
	require.Equal(t, "3600s", raw.Header.Get(jetstream.MsgTTLHeader))
}

func seriesCount(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func histogramSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetHistogram().GetSampleSum()
		}
	}
	return sum
}

// TestBatcherDuplicatesInsideBatch: a batch holding delivery ids already
// stored, and one delivery id twice, is refused by the server; the Batcher
// appends its events one by one and every caller gets the exact answer.
func TestBatcherDuplicatesInsideBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTestStore(t)
	h := newHeldBatcher(t, st, BatcherConfig{MaxBatch: 100})

	deliv := func(id string) AppendOptions {
		return AppendOptions{MsgID: MsgIDForDelivery(batchTenant, batchWebhook, id)}
	}
	// Two deliveries stored before.
	orig1, err := st.Append(ctx, batchEvent(-1), deliv("old-1"))
	require.NoError(t, err)
	orig2, err := st.Append(ctx, batchEvent(-2), deliv("old-2"))
	require.NoError(t, err)

	const n = 30
	evs := make([]*hookstream.Event, n)
	opts := make([]AppendOptions, n)
	for i := range evs {
		evs[i] = batchEvent(i)
		opts[i] = deliv(fmt.Sprintf("new-%d", i))
	}
	opts[4], opts[17] = deliv("old-1"), deliv("old-2")
	opts[9], opts[21] = deliv("twice"), deliv("twice")
	out, wg := appendAll(ctx, h.Batcher, evs, opts)
	h.waitQueued(t, StreamHooks, n)
	h.release()
	wg.Wait()

	require.Equal(t, 1, seriesCount(t, h.reg, "hookstream_eventstore_batch_fallback_total"))
	require.Equal(t, 1.0, counterValue(t, h.reg, "hookstream_eventstore_batch_fallback_total", "err_code", "10201"))
	for i, o := range out {
		require.NoError(t, o.err)
		switch i {
		case 4:
			require.True(t, o.res.Duplicate)
			require.Equal(t, orig1.Seq, o.res.Seq)
		case 17:
			require.True(t, o.res.Duplicate)
			require.Equal(t, orig2.Seq, o.res.Seq)
		case 9, 21:
		default:
			require.False(t, o.res.Duplicate, "append %d", i)
			got, err := st.Get(ctx, StreamHooks, o.res.Seq)
			require.NoError(t, err)
			require.Equal(t, o.ev.ID, got.ID)
		}
	}
	// Exactly one of the two "twice" appends stored; the other points at it.
	a, b := out[9].res, out[21].res
	require.NotEqual(t, a.Duplicate, b.Duplicate)
	require.Equal(t, a.Seq, b.Seq)
	_, msgs, err := st.StreamInfo(ctx, StreamHooks)
	require.NoError(t, err)
	require.Equal(t, uint64(2+n-3), msgs, "2 before + 30 appended - 2 old duplicates - 1 twice")
}

// TestBatcherSeparatesStreams: events of different streams never share a batch.
func TestBatcherSeparatesStreams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTestStore(t)
	h := newHeldBatcher(t, st, BatcherConfig{})

	var evs []*hookstream.Event
	for i := range 20 {
		if i%2 == 0 {
			evs = append(evs, batchEvent(i))
			continue
		}
		ev := NewEvent(hookstream.EventExecutionStarted)
		ev.TenantID, ev.WorkflowID = batchTenant, batchFlow
		ev.Data = json.RawMessage(`{}`)
		evs = append(evs, ev)
	}
	out, wg := appendAll(ctx, h.Batcher, evs, make([]AppendOptions, len(evs)))
	h.waitQueued(t, StreamHooks, 10)
	h.waitQueued(t, StreamExec, 10)
	h.release()
	wg.Wait()
	for _, o := range out {
		require.NoError(t, o.err)
		require.Equal(t, StreamFor(o.ev.Type), o.res.Stream)
		got, err := st.Get(ctx, o.res.Stream, o.res.Seq)
		require.NoError(t, err)
		require.Equal(t, o.ev.ID, got.ID)
	}
	require.Equal(t, 2, seriesCount(t, h.reg, "hookstream_eventstore_batch_size"), "one batch per stream")
	require.Equal(t, 20.0, histogramSum(t, h.reg, "hookstream_eventstore_batch_size"))
}

// TestBatcherLifecycle: concurrent appends through a running Batcher, Stop
// answers everything queued, appends after Stop are refused, a Start after
// Stop runs it again.
func TestBatcherLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTestStore(t)
	b := NewBatcher(st, BatcherConfig{MaxBatch: 16, MaxInFlight: 2})
	_, err := b.Append(ctx, batchEvent(0), AppendOptions{})
	require.Equal(t, hookstream.EUNAVAILABLE, hookstream.ErrorCode(err), "not started")
	require.NoError(t, b.Start(ctx))
	require.NoError(t, b.Start(ctx), "a second Start is a no-op (hookstream.StartStop's contract)")

	const n = 200
	evs := make([]*hookstream.Event, n)
	for i := range evs {
		evs[i] = batchEvent(i)
	}
	out, wg := appendAll(ctx, b, evs, make([]AppendOptions, n))
	wg.Wait()
	seen := map[uint64]bool{}
	for _, o := range out {
		require.NoError(t, o.err)
		require.False(t, seen[o.res.Seq])
		seen[o.res.Seq] = true
		got, err := st.Get(ctx, StreamHooks, o.res.Seq)
		require.NoError(t, err)
		require.Equal(t, o.ev.ID, got.ID)
	}

	// Appends racing Stop either succeed or are refused with EUNAVAILABLE.
	out, wg = appendAll(ctx, b, evs[:50], make([]AppendOptions, 50))
	b.Stop()
	wg.Wait()
	for _, o := range out {
		if o.err != nil {
			require.Equal(t, hookstream.EUNAVAILABLE, hookstream.ErrorCode(o.err))
		}
	}
	_, err = b.Append(ctx, batchEvent(1), AppendOptions{})
	require.Equal(t, hookstream.EUNAVAILABLE, hookstream.ErrorCode(err))
	b.Stop()

	// Started again after Stop, it appends again.
	require.NoError(t, b.Start(ctx))
	_, err = b.Append(ctx, batchEvent(2), AppendOptions{})
	require.NoError(t, err)
	b.Stop()
}

// TestBatcherContextCancelled: a cancelled caller is answered at once.
func TestBatcherContextCancelled(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	h := newHeldBatcher(t, st, BatcherConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Append(ctx, batchEvent(0), AppendOptions{})
		done <- err
	}()
	h.waitQueued(t, StreamHooks, 1)
	cancel()
	err := <-done
	require.Equal(t, hookstream.EUNAVAILABLE, hookstream.ErrorCode(err))
	h.release()
}
