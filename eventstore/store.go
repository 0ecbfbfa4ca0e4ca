package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
)

// Defaults of Config.
const (
	DuplicateWindowDefault = 10 * time.Minute
	MaxAgeDefault          = 365 * 24 * time.Hour
	MaxMsgSizeDefault      = MaxPayloadDefault
	PubAckTimeoutDefault   = 5 * time.Second
)

// Config configures the store topology.
type Config struct {
	// Replicas of each stream and bucket: 1 embedded (default), 3 on a cluster.
	Replicas int
	// DuplicateWindow for Nats-Msg-Id dedup; default 10 min.
	DuplicateWindow time.Duration
	// MaxAge of stream messages; default 365 days.
	MaxAge time.Duration
	// MaxMsgSize of one stored event; default 16 MiB.
	MaxMsgSize int32
	// MaxBytes per stream; -1 (default 0 means -1) is unlimited up to the
	// server's store limit.
	MaxBytes int64
	// PubAckTimeout bounds the wait for a PubAck; default 5 s.
	PubAckTimeout time.Duration
	// ContentMode of appended events: ContentBinary (default) or
	// ContentStructured. Readers accept both whatever this says.
	ContentMode ContentMode
	Logger      *slog.Logger
}

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = DuplicateWindowDefault
	}
	if c.MaxAge <= 0 {
		c.MaxAge = MaxAgeDefault
	}
	if c.MaxMsgSize <= 0 {
		c.MaxMsgSize = MaxMsgSizeDefault
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = -1
	}
	if c.PubAckTimeout <= 0 {
		c.PubAckTimeout = PubAckTimeoutDefault
	}
	if c.ContentMode == "" {
		c.ContentMode = ContentBinary
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Store appends and reads events. It is safe for concurrent use.
type Store struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
}

// Open ensures the streams exist with the configuration of the package doc
// and returns a Store. It updates the mutable settings of existing streams.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg = cfg.WithDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s := &Store{cfg: cfg, nc: nc, js: js}
	for _, st := range Streams {
		sc := jetstream.StreamConfig{
			Name:               st.Name,
			Subjects:           []string{st.Prefix + ".>"},
			Storage:            jetstream.FileStorage,
			Retention:          jetstream.LimitsPolicy,
			Discard:            jetstream.DiscardNew,
			DenyDelete:         true,
			DenyPurge:          true,
			AllowMsgTTL:        true,
			AllowAtomicPublish: true,
			AllowDirect:        true,
			MaxAge:             cfg.MaxAge,
			MaxBytes:           cfg.MaxBytes,
			MaxMsgSize:         cfg.MaxMsgSize,
			Duplicates:         cfg.DuplicateWindow,
			Replicas:           cfg.Replicas,
		}
		if err := ensureStream(ctx, js, sc); err != nil {
			return nil, fmt.Errorf("ensure stream %s: %w", st.Name, err)
		}
	}
	return s, nil
}

// JetStream exposes the JetStream context for packages that need a raw
// feature this package does not wrap (e.g. KV watchers).
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Conn is the underlying NATS connection.
func (s *Store) Conn() *nats.Conn { return s.nc }

// AppendOptions adjust one append (hookstream.AppendOptions).
type AppendOptions = hookstream.AppendOptions

// AppendResult reports where an event was stored (hookstream.AppendResult).
type AppendResult = hookstream.AppendResult

var (
	_ hookstream.Appender = (*Store)(nil)
	_ hookstream.Appender = (*Batcher)(nil)
)

// NewEvent returns an event with a fresh time-ordered id, the spec version
// and the current time. Callers set tenant, type, data and the rest.
func NewEvent(t hookstream.EventType) *hookstream.Event {
	return &hookstream.Event{
		SpecVersion:     "1.0",
		ID:              NewID(),
		Type:            t,
		Time:            time.Now().UTC(),
		DataContentType: "application/json",
	}
}

// Append stores ev and waits for the PubAck. Errors: *hookstream.Error with
// EUNAVAILABLE (no PubAck in time, JetStream down, stream full), ETOOLARGE
// (over MaxMsgSize) or EINTERNAL.
func (s *Store) Append(ctx context.Context, ev *hookstream.Event, opts AppendOptions) (AppendResult, error) {
	msg, err := s.message(ev, opts)
	if err != nil {
		return AppendResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PubAckTimeout)
	defer cancel()
	ack, err := s.js.PublishMsg(ctx, msg)
	if err != nil {
		return AppendResult{}, fmt.Errorf("append %s: %w", msg.Subject, translate(err))
	}
	ev.Sequence, ev.Stream = ack.Sequence, ack.Stream
	return AppendResult{Stream: ack.Stream, Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// message builds the NATS message of an event.
func (s *Store) message(ev *hookstream.Event, opts AppendOptions) (*nats.Msg, error) {
	if ev.TenantID == "" || ev.Type == "" || ev.ID == "" {
		return nil, errors.New("append: event needs id, tenant and type")
	}
	if ev.SpecVersion == "" {
		ev.SpecVersion = "1.0"
	}
	if ev.Source == "" {
		ev.Source = sourceOf(ev)
	}
	msg := &nats.Msg{Subject: Subject(ev), Header: make(nats.Header, 16)}
	if s.cfg.ContentMode == ContentStructured {
		data, err := encodeEvent(ev)
		if err != nil {
			return nil, err
		}
		msg.Data = data
		msg.Header["Ce-Type"] = []string{ev.Type}
	} else {
		msg.Data = ev.Data
		setBinaryHeaders(msg.Header, ev)
	}
	if len(msg.Data) > int(s.cfg.MaxMsgSize) {
		return nil, hookstream.Errorf(hookstream.ETOOLARGE, "event of %d bytes exceeds the store's maximum of %d", len(msg.Data), s.cfg.MaxMsgSize)
	}
	id := opts.MsgID
	if id == "" {
		id = ev.ID
	}
	msg.Header[jetstream.MsgIDHeader] = []string{id}
	if opts.TTL > 0 {
		ttl := opts.TTL
		if ttl > s.cfg.MaxAge {
			ttl = s.cfg.MaxAge
		}
		msg.Header[jetstream.MsgTTLHeader] = []string{strconv.FormatInt(int64(ttl/time.Second), 10) + "s"}
	}
	return msg, nil
}

func sourceOf(ev *hookstream.Event) string {
	switch {
	case ev.WebhookID != "":
		return "/webhooks/" + ev.WebhookID
	case ev.WorkflowID != "":
		return "/workflows/" + ev.WorkflowID
	default:
		return "/tenants/" + ev.TenantID
	}
}

// Get returns the event stored at seq in stream. Errors: hookstream.ErrNotFound
// when there is no such message (never stored, or expired).
func (s *Store) Get(ctx context.Context, stream string, seq uint64) (*hookstream.Event, error) {
	st, err := s.js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, translate(err))
	}
	raw, err := st.GetMsg(ctx, seq)
	if err != nil {
		if s.cfg.Replicas > 1 && errors.Is(err, jetstream.ErrMsgNotFound) {
			return s.getFromLeader(ctx, stream, seq) // a follower may lag
		}
		return nil, fmt.Errorf("get %s/%d: %w", stream, seq, translate(err))
	}
	return DecodeMsg(raw.Header, raw.Data, stream, raw.Sequence)
}

// StreamInfo returns the stream's last sequence and message count.
func (s *Store) StreamInfo(ctx context.Context, stream string) (lastSeq, msgs uint64, err error) {
	st, err := s.js.Stream(ctx, stream)
	if err != nil {
		return 0, 0, fmt.Errorf("stream %s: %w", stream, translate(err))
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("stream info %s: %w", stream, translate(err))
	}
	return info.State.LastSeq, info.State.Msgs, nil
}

// Decode parses the data of a stored message.
func decode(data []byte, stream string, seq uint64) (*hookstream.Event, error) {
	var ev hookstream.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("decode %s/%d: %w", stream, seq, err)
	}
	ev.Sequence, ev.Stream = seq, stream
	return &ev, nil
}

// translate maps JetStream errors to *hookstream.Error at this edge.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeMessageNotFound:
			return fmt.Errorf("%w: %w", hookstream.ErrNotFound, err)
		case jetstream.JSErrCodeStreamWrongLastSequence, 10164:
			return fmt.Errorf("%w: %w", hookstream.ErrConflict, err)
		case jetstream.JSErrCodeStreamMessageExceedsMaximum:
			return fmt.Errorf("%w: %w", hookstream.Errorf(hookstream.ETOOLARGE, "event exceeds the stream's maximum size"), err)
		case 10077, 10047: // store failed (maximum bytes/messages exceeded), storage resources exceeded
			return fmt.Errorf("%w: %w", hookstream.ErrStreamFull, err)
		case 10158: // duplicate message id is in process: an earlier attempt is still being replicated
			return fmt.Errorf("%w: %w", hookstream.ErrUnavailable, err)
		}
		if apiErr.Code == 503 {
			return fmt.Errorf("%w: %w", hookstream.ErrUnavailable, err)
		}
		return err
	}
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound), errors.Is(err, jetstream.ErrKeyNotFound):
		return fmt.Errorf("%w: %w", hookstream.ErrNotFound, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled):
		return fmt.Errorf("%w: %w", hookstream.ErrUnavailable, err)
	}
	return err
}

// encodeEvent writes the CloudEvents JSON of ev. The envelope is marshalled
// without its data, which is then spliced in as it is: Data is produced by
// json.Marshal in every caller, and re-validating and compacting it here
// (as json.Marshal does for a json.RawMessage) was a full extra pass over
// every body on the append path. Data must therefore be valid JSON.
func encodeEvent(ev *hookstream.Event) ([]byte, error) {
	data := ev.Data
	env := *ev
	env.Data = nil
	head, err := json.Marshal(&env)
	if err != nil {
		return nil, fmt.Errorf("marshal event: %w", err)
	}
	if len(data) == 0 {
		return head, nil
	}
	out := make([]byte, 0, len(head)+len(data)+8)
	out = append(out, head[:len(head)-1]...) // without the closing brace
	out = append(out, `,"data":`...)
	out = append(out, data...)
	return append(out, '}'), nil
}

// ensureStreamWait bounds how long Open waits for a cluster that is still
// electing its first leader (a fresh or restarting R3 cluster answers
// "unavailable" or times out until it has one).
const ensureStreamWait = 60 * time.Second

// ensureStream creates or updates a stream, retrying while JetStream is
// unavailable, with the one backoff policy, for up to ensureStreamWait.
func ensureStream(ctx context.Context, js jetstream.JetStream, sc jetstream.StreamConfig) error {
	deadline := time.Now().Add(ensureStreamWait)
	policy := hookstream.Backoff{Base: 250 * time.Millisecond, Max: 2 * time.Second}
	for attempt := 1; ; attempt++ {
		_, err := js.CreateOrUpdateStream(ctx, sc)
		if err == nil {
			return nil
		}
		err = translate(err)
		if hookstream.ErrorCode(err) != hookstream.EUNAVAILABLE || time.Now().After(deadline) || !policy.Wait(ctx, attempt) {
			return err
		}
	}
}
