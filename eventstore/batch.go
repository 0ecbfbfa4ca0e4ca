package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
)

// Defaults and limits of BatcherConfig (see "Group commit" in the package doc
// for the measurements they come from).
const (
	BatchMaxDefault      = 256
	BatchMaxBytesDefault = 8 << 20
	BatchWindowDefault   = 2 * time.Millisecond
	BatchInFlightDefault = 4
	// BatchMaxLimit is the server's largest atomic batch (nats-server's
	// default JetStream limit max_batch_size).
	BatchMaxLimit = 1000
	// batchInFlightLimit stays well under the server's 50 open atomic
	// batches per stream.
	batchInFlightLimit = 32
)

// Headers of the JetStream atomic batch publish.
const (
	hdrBatchID     = "Nats-Batch-Id"
	hdrBatchSeq    = "Nats-Batch-Sequence"
	hdrBatchCommit = "Nats-Batch-Commit"
)

// BatcherConfig configures a Batcher.
type BatcherConfig struct {
	// MaxBatch is the most appends in one atomic batch; default
	// BatchMaxDefault (256), at most BatchMaxLimit (1000).
	MaxBatch int
	// MaxBatchBytes stops adding to a batch once its payload reaches this
	// many bytes; default BatchMaxBytesDefault (8 MiB).
	MaxBatchBytes int
	// Window is how long a batch waits for more appends, and only while
	// another batch of the same stream is being committed (an idle stream
	// commits at once); default BatchWindowDefault (2 ms), negative for
	// never.
	Window time.Duration
	// MaxInFlight is the number of batches per stream being committed at
	// once; default BatchInFlightDefault (4), at most 32.
	MaxInFlight int
	// Registerer, when set, receives the batcher's metrics.
	Registerer prometheus.Registerer
	// Logger; default discards.
	Logger *slog.Logger
}

// WithDefaults fills zero fields with their defaults.
func (c BatcherConfig) WithDefaults() BatcherConfig {
	if c.MaxBatch <= 0 {
		c.MaxBatch = BatchMaxDefault
	}
	c.MaxBatch = min(c.MaxBatch, BatchMaxLimit)
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = BatchMaxBytesDefault
	}
	if c.Window == 0 {
		c.Window = BatchWindowDefault
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = BatchInFlightDefault
	}
	c.MaxInFlight = min(c.MaxInFlight, batchInFlightLimit)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Batcher is group commit for Append: concurrent appends to one stream are
// gathered into one JetStream atomic batch, whose single commit PubAck
// covers (and whose single flush fsyncs) every message in it. Append has the
// contract of Store.Append: it returns only after this event's batch was
// acknowledged, reports duplicates, and returns the same errors.
//
// Deduplication inside an atomic batch: the server refuses the WHOLE batch
// (err_code 10201, "atomic publish batch contains duplicate message id") when
// any Nats-Msg-Id in it was already stored in the duplicate window or occurs
// twice in the batch, and its answer does not say which message it was.
// Because a refused batch stored nothing, the Batcher then appends each of
// its events on its own (a plain publish with the same Nats-Msg-Id), so
// every caller gets its exact answer: Duplicate with the original's
// sequence, or a new sequence. The same fallback runs for every other error
// the server answers a commit with (a message too large, the stream full,
// too many batches in flight): each event then gets its own result. A commit
// without an answer (timeout, connection lost) has an unknown outcome and
// fails every event of the batch with EUNAVAILABLE, as Store.Append does.
//
// It is safe for concurrent use. Start it before the first Append and Stop
// it after the last.
type Batcher struct {
	store   *Store
	cfg     BatcherConfig
	queues  map[string]*batchQueue
	metrics *batchMetrics

	mu      sync.RWMutex
	started bool
	stopped bool
	wg      sync.WaitGroup
}

// Verify Batcher appends like Store.
var _ interface {
	Append(context.Context, *hookstream.Event, AppendOptions) (AppendResult, error)
} = (*Batcher)(nil)

type batchQueue struct {
	stream string
	in     chan *batchReq
	slots  chan struct{}
	inner  sync.WaitGroup // commits in flight
}

type batchReq struct {
	msg  *nats.Msg
	size int
	done chan batchRes
}

type batchRes struct {
	res AppendResult
	err error
}

// NewBatcher returns a Batcher appending to store's streams.
func NewBatcher(store *Store, cfg BatcherConfig) *Batcher {
	cfg = cfg.WithDefaults()
	b := &Batcher{store: store, cfg: cfg, queues: newQueues(cfg)}
	b.metrics = newBatchMetrics(cfg.Registerer)
	return b
}

func newQueues(cfg BatcherConfig) map[string]*batchQueue {
	queues := make(map[string]*batchQueue, len(Streams))
	for _, st := range Streams {
		queues[st.Name] = &batchQueue{
			stream: st.Name,
			in:     make(chan *batchReq, cfg.MaxBatch),
			slots:  make(chan struct{}, cfg.MaxInFlight),
		}
	}
	return queues
}

// Start starts one collector per stream. Like every service's
// (hookstream.StartStop), a second Start while running is a no-op, and a
// Start after Stop starts it again.
func (b *Batcher) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started && !b.stopped {
		return nil
	}
	if b.stopped {
		// Stop closed the queues: new ones (Stop waited for the collectors).
		b.queues, b.stopped = newQueues(b.cfg), false
	}
	b.started = true
	for _, q := range b.queues {
		b.wg.Add(1)
		go b.collect(q)
	}
	b.cfg.Logger.DebugContext(ctx, "batcher started",
		slog.Int("max_batch", b.cfg.MaxBatch), slog.Duration("window", b.cfg.Window), slog.Int("max_in_flight", b.cfg.MaxInFlight))
	return nil
}

// Stop refuses new appends (EUNAVAILABLE), commits what is queued and waits
// for every batch in flight to be answered.
func (b *Batcher) Stop() {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return
	}
	b.stopped = true
	started, queues := b.started, b.queues
	b.mu.Unlock()
	for _, q := range queues {
		close(q.in)
	}
	if started {
		b.wg.Wait()
	}
}

// Append stores ev as part of a batch and waits for that batch's PubAck.
// Errors: as Store.Append (EUNAVAILABLE also when the Batcher is not running).
func (b *Batcher) Append(ctx context.Context, ev *hookstream.Event, opts AppendOptions) (AppendResult, error) {
	msg, err := b.store.message(ev, opts)
	if err != nil {
		return AppendResult{}, err
	}
	r := &batchReq{msg: msg, size: len(msg.Data), done: make(chan batchRes, 1)}
	b.mu.RLock()
	if !b.started || b.stopped {
		b.mu.RUnlock()
		return AppendResult{}, hookstream.Errorf(hookstream.EUNAVAILABLE, "event store is not accepting appends")
	}
	q := b.queues[StreamFor(ev.Type)]
	select {
	case q.in <- r:
	case <-ctx.Done():
		b.mu.RUnlock()
		return AppendResult{}, fmt.Errorf("append %s: %w: %w", msg.Subject, hookstream.ErrUnavailable, ctx.Err())
	}
	b.mu.RUnlock()
	select {
	case out := <-r.done:
		if out.err != nil {
			return AppendResult{}, out.err
		}
		ev.Sequence, ev.Stream = out.res.Seq, out.res.Stream
		return out.res, nil
	case <-ctx.Done():
		// The batch may still commit this event; like a PubAck timeout of
		// Store.Append, the caller cannot know, so the answer is unavailable.
		return AppendResult{}, fmt.Errorf("append %s: %w: %w", msg.Subject, hookstream.ErrUnavailable, ctx.Err())
	}
}

// collect gathers requests of one stream into batches. A batch is sent as
// soon as a commit slot is free; while every slot is busy it keeps growing,
// so the batch size follows the load: one message when idle, up to MaxBatch
// under pressure. When another batch is in flight it lingers up to Window
// for more requests.
func (b *Batcher) collect(q *batchQueue) {
	defer b.wg.Done()
	defer q.inner.Wait()
	var (
		pending []*batchReq
		bytes   int
		closed  bool
	)
	add := func(r *batchReq) {
		pending = append(pending, r)
		bytes += r.size
	}
	full := func() bool { return len(pending) >= b.cfg.MaxBatch || bytes >= b.cfg.MaxBatchBytes }
	for {
		if len(pending) == 0 {
			if closed {
				return
			}
			r, ok := <-q.in
			if !ok {
				return
			}
			add(r)
		}
		// What is already waiting joins at once.
	drain:
		for !closed && !full() {
			select {
			case r, ok := <-q.in:
				if !ok {
					closed = true
					break drain
				}
				add(r)
			default:
				break drain
			}
		}
		// Linger only when another batch is being committed: the wait then
		// costs nothing that the slot would not cost anyway.
		if !closed && !full() && b.cfg.Window > 0 && len(q.slots) > 0 {
			timer := time.NewTimer(b.cfg.Window)
		linger:
			for !full() {
				select {
				case r, ok := <-q.in:
					if !ok {
						closed = true
						break linger
					}
					add(r)
				case <-timer.C:
					break linger
				}
			}
			timer.Stop()
		}
		// Wait for a commit slot, still gathering.
	slot:
		for {
			if closed || full() {
				q.slots <- struct{}{}
				break
			}
			select {
			case q.slots <- struct{}{}:
				break slot
			case r, ok := <-q.in:
				if !ok {
					closed = true
					continue
				}
				add(r)
			}
		}
		batch := pending
		pending, bytes = nil, 0
		q.inner.Add(1)
		go func() {
			defer q.inner.Done()
			defer func() { <-q.slots }()
			b.commit(q, batch)
		}()
	}
}

// commit appends one batch and answers each of its requests.
func (b *Batcher) commit(q *batchQueue, batch []*batchReq) {
	start := time.Now()
	b.metrics.size.WithLabelValues(q.stream).Observe(float64(len(batch)))
	defer func() { b.metrics.commit.WithLabelValues(q.stream).Observe(time.Since(start).Seconds()) }()
	if len(batch) == 1 {
		// A single message is a plain publish: one fsync, not a batch's
		// staging and commit.
		batch[0].done <- b.publishOne(batch[0])
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.store.cfg.PubAckTimeout)
	defer cancel()
	ack, err := b.publishBatch(ctx, batch)
	if err == nil {
		if ack.Count != uint64(len(batch)) || ack.Seq < ack.Count {
			err = fmt.Errorf("atomic batch %s: PubAck for %d messages at sequence %d, sent %d", ack.Batch, ack.Count, ack.Seq, len(batch))
			b.cfg.Logger.Error("batch ack mismatch", slog.String("stream", q.stream), slog.String("error", err.Error()))
			b.failAll(batch, hookstream.Errorf(hookstream.EINTERNAL, "event store answered an unexpected batch acknowledgement"))
			return
		}
		first := ack.Seq - ack.Count + 1
		for i, r := range batch {
			r.done <- batchRes{res: AppendResult{Stream: ack.Stream, Seq: first + uint64(i)}}
		}
		return
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// The server refused the commit: nothing of the batch is stored, so
		// each event is appended on its own and gets its own answer.
		b.metrics.fallback.WithLabelValues(q.stream, strconv.Itoa(int(apiErr.ErrorCode))).Inc()
		if apiErr.ErrorCode != 10201 {
			b.cfg.Logger.Warn("atomic batch refused; appending its events one by one",
				slog.String("stream", q.stream), slog.Int("events", len(batch)), slog.String("error", apiErr.Error()))
		}
		var wg sync.WaitGroup
		for _, r := range batch {
			wg.Go(func() { r.done <- b.publishOne(r) })
		}
		wg.Wait()
		return
	}
	b.failAll(batch, fmt.Errorf("append batch to %s: %w", q.stream, translate(err)))
}

func (b *Batcher) failAll(batch []*batchReq, err error) {
	for _, r := range batch {
		r.done <- batchRes{err: err}
	}
}

// publishOne is Store.Append's publish for an already built message.
func (b *Batcher) publishOne(r *batchReq) batchRes {
	ctx, cancel := context.WithTimeout(context.Background(), b.store.cfg.PubAckTimeout)
	defer cancel()
	ack, err := b.store.js.PublishMsg(ctx, r.msg)
	if err != nil {
		return batchRes{err: fmt.Errorf("append %s: %w", r.msg.Subject, translate(err))}
	}
	return batchRes{res: AppendResult{Stream: ack.Stream, Seq: ack.Sequence, Duplicate: ack.Duplicate}}
}

// batchAck is the commit's PubAck: the last sequence and the message count.
type batchAck struct {
	Stream string              `json:"stream"`
	Seq    uint64              `json:"seq"`
	Batch  string              `json:"batch"`
	Count  uint64              `json:"count"`
	Error  *jetstream.APIError `json:"error,omitempty"`
}

// publishBatch sends the batch: every message but the last without a reply
// (the server stages them), the last with Nats-Batch-Commit and a request for
// the commit PubAck, the only durability acknowledgement.
func (b *Batcher) publishBatch(ctx context.Context, batch []*batchReq) (batchAck, error) {
	id := NewID()
	n := len(batch)
	for i, r := range batch {
		m := &nats.Msg{Subject: r.msg.Subject, Data: r.msg.Data, Header: maps.Clone(r.msg.Header)}
		m.Header.Set(hdrBatchID, id)
		m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
		if i < n-1 {
			if err := b.store.nc.PublishMsg(m); err != nil {
				return batchAck{}, err
			}
			continue
		}
		m.Header.Set(hdrBatchCommit, "1")
		reply, err := b.store.nc.RequestMsgWithContext(ctx, m)
		if err != nil {
			return batchAck{}, err
		}
		var ack batchAck
		if err := json.Unmarshal(reply.Data, &ack); err != nil {
			return batchAck{}, fmt.Errorf("decode batch PubAck: %w", err)
		}
		if ack.Error != nil {
			return batchAck{}, ack.Error
		}
		return ack, nil
	}
	return batchAck{}, errors.New("empty batch")
}

type batchMetrics struct {
	size     *prometheus.HistogramVec
	commit   *prometheus.HistogramVec
	fallback *prometheus.CounterVec
}

func newBatchMetrics(reg prometheus.Registerer) *batchMetrics {
	m := &batchMetrics{
		size: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookstream_eventstore_batch_size",
			Help:    "Events per group-commit batch (1 = appended alone).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000},
		}, []string{"stream"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookstream_eventstore_batch_commit_seconds",
			Help:    "Time from sending a group-commit batch to its PubAck.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}, []string{"stream"}),
		fallback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_eventstore_batch_fallback_total",
			Help: "Batches the server refused whose events were then appended one by one, by JetStream err_code (10201 = a duplicate Nats-Msg-Id).",
		}, []string{"stream", "err_code"}),
	}
	if reg != nil {
		reg.MustRegister(m.size, m.commit, m.fallback)
	}
	return m
}
