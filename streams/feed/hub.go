package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Defaults of Config.
const (
	QueueSizeDefault  = 256
	ResumeSkewDefault = 10 * time.Second
	stopWaitDefault   = 10 * time.Second
)

// MaskDataFunc masks the body fields of an event's data that its webhook's
// maskPaths name (SPEC §3.6); it returns data unchanged when none apply.
type MaskDataFunc func(tenantID, webhookID string, data json.RawMessage) json.RawMessage

// Config configures a Hub.
type Config struct {
	Store   *eventstore.Store
	Cursors *Cursors
	// MaskFunc masks bodies before they leave; nil sends them as stored.
	MaskFunc MaskDataFunc
	// QueueSize bounds each client's queue of messages not yet written;
	// default QueueSizeDefault. A client whose queue is full is slow.
	QueueSize int
	// ResumeSkew is how far before the cursor's event the other stream is
	// re-read on resume; default ResumeSkewDefault.
	ResumeSkew time.Duration
	// Registerer receives the feed metrics; nil registers none.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.QueueSize <= 0 {
		c.QueueSize = QueueSizeDefault
	}
	if c.ResumeSkew <= 0 {
		c.ResumeSkew = ResumeSkewDefault
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	if c.Store == nil || c.Cursors == nil {
		return errors.New("feed: Store and Cursors are required")
	}
	return nil
}

// Message is one feed message: {"seq","stream","event"} as JSON.
type Message struct {
	Stream string
	Seq    uint64
	Bytes  []byte
}

// Filter selects the events a client receives. Types are exact event
// types or prefixes written "step.*"; empty means every feed type.
type Filter struct {
	Types     []string
	WebhookID string
}

// IsFeedType reports whether an event type is streamed by the feed
// (SPEC §6: webhook.*, execution.*, step.*, replay.*).
func IsFeedType(t string) bool {
	for _, p := range []string{"webhook.", "execution.", "step.", "replay."} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// Match reports whether ev passes the filter.
func (f Filter) Match(ev *hookstream.Event) bool {
	if f.WebhookID != "" && ev.WebhookID != f.WebhookID {
		return false
	}
	if len(f.Types) == 0 {
		return true
	}
	for _, t := range f.Types {
		if t == ev.Type || (strings.HasSuffix(t, ".*") && strings.HasPrefix(ev.Type, t[:len(t)-1])) {
			return true
		}
	}
	return false
}

// Subscription is one client's view of the hub.
type Subscription struct {
	tenantID string
	filter   Filter
	ch       chan *Message
	slow     chan struct{}
	slowOnce sync.Once
	done     chan struct{}
	doneOnce sync.Once
}

// C delivers the live messages of the subscription.
func (s *Subscription) C() <-chan *Message { return s.ch }

// Slow is closed when the client's queue overflowed: the client must be
// closed (1008) and may resume with its last cursor.
func (s *Subscription) Slow() <-chan struct{} { return s.slow }

// Done is closed when the hub stops.
func (s *Subscription) Done() <-chan struct{} { return s.done }

func (s *Subscription) markSlow() { s.slowOnce.Do(func() { close(s.slow) }) }

func (s *Subscription) stop() { s.doneOnce.Do(func() { close(s.done) }) }

// Hub is the node's one subscription to the HOOKS and EXEC streams, fanned
// out to every connected client: one ordered consumer per stream, however
// many clients.
type Hub struct {
	cfg      Config
	logger   *slog.Logger
	mu       sync.RWMutex
	byTenant map[string]map[*Subscription]struct{}
	stopped  bool
	consume  []jetstream.ConsumeContext
	sessions sync.WaitGroup

	clients    prometheus.Gauge
	slowClosed prometheus.Counter
	sent       prometheus.Counter
}

// NewHub returns a Hub; Start begins following the streams.
func NewHub(cfg Config) (*Hub, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &Hub{
		cfg: cfg, logger: cfg.Logger, byTenant: map[string]map[*Subscription]struct{}{},
		clients:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "hookstream_feed_clients", Help: "Live feed clients connected to this node."}),
		slowClosed: prometheus.NewCounter(prometheus.CounterOpts{Name: "hookstream_feed_slow_closed_total", Help: "Live feed clients closed (1008) because they could not keep up."}),
		sent:       prometheus.NewCounter(prometheus.CounterOpts{Name: "hookstream_feed_messages_total", Help: "Messages queued to live feed clients."}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{h.clients, h.slowClosed, h.sent} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("feed metrics: %w", err)
			}
		}
	}
	return h, nil
}

// Start creates the ordered consumers (from the streams' heads). A second
// Start is a no-op.
func (h *Hub) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.consume) > 0 {
		return nil
	}
	js := h.cfg.Store.JetStream()
	for _, name := range []string{eventstore.StreamHooks, eventstore.StreamExec} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			h.stopConsumersLocked()
			return fmt.Errorf("feed stream %s: %w", name, err)
		}
		cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{eventstore.SubjectFilter(name, "", "", "")},
			DeliverPolicy:  jetstream.DeliverNewPolicy,
		})
		if err != nil {
			h.stopConsumersLocked()
			return fmt.Errorf("feed consumer %s: %w", name, err)
		}
		stream := name
		cc, err := cons.Consume(func(m jetstream.Msg) { h.handle(stream, m) },
			jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
				h.logger.Warn("feed consumer", slog.String("stream", stream), slog.String("error", err.Error()))
			}))
		if err != nil {
			h.stopConsumersLocked()
			return fmt.Errorf("feed consume %s: %w", name, err)
		}
		h.consume = append(h.consume, cc)
	}
	return nil
}

func (h *Hub) stopConsumersLocked() {
	for _, cc := range h.consume {
		cc.Stop()
	}
	h.consume = nil
}

// Stop ends the consumers, tells every client to go away (Done) and waits,
// for a bounded time, for their sessions to end.
func (h *Hub) Stop() {
	h.mu.Lock()
	h.stopped = true
	h.stopConsumersLocked()
	for _, subs := range h.byTenant {
		for s := range subs {
			s.stop()
		}
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.sessions.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopWaitDefault):
		h.logger.Warn("feed sessions still open at stop")
	}
}

// Subscribe registers a client of a tenant. The subscription receives
// every live event from now on that passes the filter; Unsubscribe must
// follow. Errors: hookstream.ErrUnavailable once the hub stopped.
func (h *Hub) Subscribe(tenantID string, f Filter) (*Subscription, error) {
	s := &Subscription{
		tenantID: tenantID, filter: f,
		ch: make(chan *Message, h.cfg.QueueSize), slow: make(chan struct{}), done: make(chan struct{}),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil, hookstream.Errorf(hookstream.EUNAVAILABLE, "the server is shutting down")
	}
	subs := h.byTenant[tenantID]
	if subs == nil {
		subs = map[*Subscription]struct{}{}
		h.byTenant[tenantID] = subs
	}
	subs[s] = struct{}{}
	h.sessions.Add(1)
	h.clients.Inc()
	return s, nil
}

// Unsubscribe removes a subscription.
func (h *Hub) Unsubscribe(s *Subscription) {
	h.mu.Lock()
	if subs, ok := h.byTenant[s.tenantID]; ok {
		if _, ok := subs[s]; ok {
			delete(subs, s)
			if len(subs) == 0 {
				delete(h.byTenant, s.tenantID)
			}
			h.clients.Dec()
			h.sessions.Done()
		}
	}
	h.mu.Unlock()
}

// SlowClosed counts a client closed for being slow (the handler closes it).
func (h *Hub) SlowClosed() { h.slowClosed.Inc() }

// handle dispatches one stream message to the tenant's subscriptions. It
// never blocks: a full queue marks its client slow.
func (h *Hub) handle(stream string, m jetstream.Msg) {
	tokens := strings.SplitN(m.Subject(), ".", 4)
	if len(tokens) < 4 || !IsFeedType(tokens[3]) {
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	subs := h.byTenant[tokens[1]]
	if len(subs) == 0 {
		return
	}
	md, err := m.Metadata()
	if err != nil {
		return
	}
	// Either CloudEvents content mode (SPEC §2): a structured event is
	// spliced as stored, a binary one is encoded as structured JSON.
	ev, err := eventstore.DecodeMsg(m.Headers(), m.Data(), stream, md.Sequence.Stream)
	if err != nil {
		h.logger.Warn("feed: undecodable event", slog.String("stream", stream), slog.Uint64("seq", md.Sequence.Stream))
		return
	}
	var raw []byte
	if !eventstore.IsBinary(m.Headers()) {
		raw = m.Data()
	}
	var msg *Message
	for s := range subs {
		if !s.filter.Match(ev) {
			continue
		}
		if msg == nil {
			if msg, err = h.message(ev, raw); err != nil {
				h.logger.Warn("feed: encode", slog.String("error", err.Error()))
				return
			}
		}
		select {
		case s.ch <- msg:
			h.sent.Inc()
		default:
			s.markSlow()
		}
	}
}

// message encodes the feed message of ev; raw, when set, is ev as stored
// and is spliced in unless masking changed the data.
func (h *Hub) message(ev *hookstream.Event, raw []byte) (*Message, error) {
	if h.cfg.MaskFunc != nil && ev.WebhookID != "" && len(ev.Data) > 0 {
		masked := h.cfg.MaskFunc(ev.TenantID, ev.WebhookID, ev.Data)
		if !bytes.Equal(masked, ev.Data) {
			ev.Data, raw = masked, nil
		}
	}
	if raw == nil {
		var err error
		if raw, err = json.Marshal(ev); err != nil {
			return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
		}
	}
	cursor := h.cfg.Cursors.Encode(ev.Stream, ev.Sequence)
	b := make([]byte, 0, len(raw)+64)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, cursor, 10)
	b = append(b, `,"stream":"`...)
	b = append(b, ev.Stream...)
	b = append(b, `","event":`...)
	b = append(b, raw...)
	b = append(b, '}')
	return &Message{Stream: ev.Stream, Seq: ev.Sequence, Bytes: b}, nil
}

// Resume sends, through fn, the subscription's events stored after the
// cursor since, in stream order per stream: the cursor's stream from the
// next sequence, the other stream from ResumeSkew before the cursor's
// event (so a resume may repeat an event of that stream, never skip one).
// It returns the last sequence sent per stream, so the caller drops live
// messages already sent. Errors: ErrBadCursor, EGONE when the cursor's
// event is no longer stored, and fn's error.
func (h *Hub) Resume(ctx context.Context, s *Subscription, since uint64, fn func(*Message) error) (map[string]uint64, error) {
	stream, seq, err := h.cfg.Cursors.Decode(since)
	if err != nil {
		return nil, err
	}
	at, err := h.cfg.Store.Get(ctx, stream, seq)
	if errors.Is(err, hookstream.ErrNotFound) {
		return nil, hookstream.Errorf(hookstream.EGONE, "the since cursor is no longer in the stream; reconnect without since")
	}
	if err != nil {
		return nil, err
	}
	if at.TenantID != s.tenantID {
		return nil, ErrBadCursor
	}
	last := map[string]uint64{stream: seq}
	other := eventstore.StreamExec
	if stream == eventstore.StreamExec {
		other = eventstore.StreamHooks
	}
	reads := []eventstore.ReadOptions{
		{Stream: stream, StartSeq: seq + 1},
		{Stream: other, StartTime: at.Time.Add(-h.cfg.ResumeSkew)},
	}
	for _, ro := range reads {
		ro.Subjects = []string{eventstore.SubjectFilter(ro.Stream, s.tenantID, "", "")}
		err := h.cfg.Store.Read(ctx, ro, func(ev *hookstream.Event) error {
			last[ev.Stream] = ev.Sequence
			if !IsFeedType(ev.Type) || !s.filter.Match(ev) {
				return nil
			}
			msg, err := h.message(ev, nil)
			if err != nil {
				return err
			}
			return fn(msg)
		})
		if err != nil {
			return nil, err
		}
	}
	return last, nil
}
