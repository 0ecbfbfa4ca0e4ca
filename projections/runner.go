package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Projection is one read model fed by one stream. The runner calls Apply
// with events in stream order, none at or below the checkpoint, inside the
// transaction that also advances the checkpoint.
type Projection interface {
	// Name identifies the projection (checkpoint row, durable consumer,
	// `hookstream projections rebuild NAME`).
	Name() string
	// Stream is the JetStream stream it consumes (whole stream, in order).
	Stream() string
	// Apply writes the effect of events. An error wrapping ErrPoison (or a
	// PostgreSQL data error) is deterministic: retrying will not help.
	Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error
	// Reset deletes every row the projection wrote (rebuild).
	Reset(ctx context.Context, tx pgx.Tx) error
}

// ErrPoison marks an event a projection can never apply (malformed data).
var ErrPoison = errors.New("poison event")

// Defaults of RunnerConfig.
const (
	BatchSizeDefault         = 500
	FetchWaitDefault         = time.Second
	RunnerMaxDeliverDefault  = 5
	UnavailableBackOffMaxDef = 5 * time.Second
)

// ConsumerBackOffDefault is the JetStream redelivery backoff of the
// projections' durable consumers. Its first entry is the ack wait: long,
// because the runner holds a batch while PostgreSQL is unreachable (and
// keeps it alive with InProgress), and redelivered events are skipped by
// sequence anyway.
var ConsumerBackOffDefault = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Pool       *pgxpool.Pool
	Store      *eventstore.Store
	Projection Projection
	Logger     *slog.Logger
	// BatchSize is the most events fetched and applied per transaction;
	// default 500.
	BatchSize int
	// FetchWait bounds the wait for a batch; default 1 s.
	FetchWait time.Duration
	// MaxDeliver is the durable consumer's MaxDeliver (redeliveries of
	// messages fetched but never acked, e.g. across a crash); default 5.
	// A poison event is parked at once, not retried.
	MaxDeliver int
	// UnavailableBackOffMax caps the backoff while PostgreSQL is
	// unreachable; default 5 s.
	UnavailableBackOffMax time.Duration
	// Metrics, when set, counts applied and parked events.
	Metrics *Metrics
	// WaitReadyFunc blocks until PostgreSQL is migrated (Main.WaitPostgres);
	// nil: ready at once.
	WaitReadyFunc func(ctx context.Context) bool
}

// WithDefaults fills zero fields.
func (c RunnerConfig) WithDefaults() RunnerConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.BatchSize <= 0 {
		c.BatchSize = BatchSizeDefault
	}
	if c.FetchWait <= 0 {
		c.FetchWait = FetchWaitDefault
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = RunnerMaxDeliverDefault
	}
	if c.UnavailableBackOffMax <= 0 {
		c.UnavailableBackOffMax = UnavailableBackOffMaxDef
	}
	return c
}

func (c RunnerConfig) validate() error {
	if c.Pool == nil || c.Store == nil || c.Projection == nil {
		return errors.New("projections: runner needs Pool, Store and Projection")
	}
	return nil
}

// Runner feeds one projection from its durable consumer. At most one runner
// per projection is active across nodes (a PostgreSQL advisory lock; the
// others wait), and the checkpoint is advanced with a compare-and-set, so
// two runners can never both apply the same events.
type Runner struct {
	cfg RunnerConfig

	lc hookstream.StartStop

	mu      sync.Mutex
	cons    *eventstore.Consumer
	state   string
	lastErr string
	applied uint64
	parked  uint64
}

// NewRunner returns a stopped runner.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg, state: "stopped"}, nil
}

// Name is the projection's name.
func (r *Runner) Name() string { return r.cfg.Projection.Name() }

// Start runs the runner in the background until Stop. It returns at once.
func (r *Runner) Start(ctx context.Context) error {
	runCtx, ok := r.lc.StartInit(ctx)
	if !ok {
		return nil
	}
	r.lc.Go(func() { r.loop(runCtx) })
	return nil
}

// Stop cancels the runner and waits for it. What was fetched but not
// committed is redelivered and re-applied by the next start.
func (r *Runner) Stop() {
	if !r.lc.Running() {
		return
	}
	r.lc.Stop()
	r.setState("stopped", nil)
}

func (r *Runner) setState(s string, err error) {
	r.mu.Lock()
	r.state = s
	if err != nil {
		r.lastErr = err.Error()
	} else if s == "running" {
		r.lastErr = ""
	}
	r.mu.Unlock()
}

func (r *Runner) loop(ctx context.Context) {
	log := r.cfg.Logger.With(slog.String("projection", r.Name()))
	policy := r.backoff(200 * time.Millisecond)
	attempt := 0
	for {
		err := r.run(ctx)
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		wasRunning := r.state == "running"
		r.mu.Unlock()
		if wasRunning {
			attempt = 0 // it ran: start over from the shortest delay
		}
		attempt++
		r.setState("retrying", err)
		log.WarnContext(ctx, "projection runner restarting", slog.String("error", err.Error()), slog.Int("attempt", attempt))
		if !policy.Wait(ctx, attempt) {
			return
		}
	}
}

// backoff is the runner's retry policy (hookstream.Backoff: full jitter)
// from base up to UnavailableBackOffMax.
func (r *Runner) backoff(base time.Duration) hookstream.Backoff {
	return hookstream.Backoff{Base: base, Max: r.cfg.UnavailableBackOffMax}
}

// errLostCheckpoint: another runner moved the checkpoint; restart from it.
var errLostCheckpoint = errors.New("checkpoint moved by another runner")

func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("hookstream.projection." + name))
	return int64(h.Sum64()) // a hash, wrapping is fine
}

// run is one incarnation: wait for PostgreSQL, take the lock, position the
// consumer after the checkpoint, then fetch-apply-ack until an error.
func (r *Runner) run(ctx context.Context) error {
	p := r.cfg.Projection
	r.setState("waiting_postgres", nil)
	if r.cfg.WaitReadyFunc != nil && !r.cfg.WaitReadyFunc(ctx) {
		return ctx.Err()
	}
	lockConn, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = lockConn.Close(context.WithoutCancel(ctx)) }()

	cp, err := loadCheckpoint(ctx, r.cfg.Pool, p)
	if err != nil {
		return err
	}
	durable := "proj_" + p.Name()
	if err := r.cfg.Store.DeleteConsumer(ctx, p.Stream(), durable); err != nil {
		return err
	}
	cons, err := r.cfg.Store.Durable(ctx, eventstore.ConsumerConfig{
		Stream:      p.Stream(),
		Durable:     durable,
		MaxDeliver:  r.cfg.MaxDeliver,
		BackOff:     ConsumerBackOffDefault,
		DeliverFrom: cp + 1,
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.cons = cons
	r.mu.Unlock()
	r.setState("running", nil)
	r.cfg.Metrics.setCheckpoint(p.Name(), cp)

	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		msgs, err := cons.Fetch(ctx, r.cfg.BatchSize, r.cfg.FetchWait)
		if err != nil && len(msgs) == 0 {
			return err
		}
		if len(msgs) == 0 {
			continue
		}
		cp, err = r.handle(ctx, cp, msgs)
		if err != nil {
			return err
		}
	}
}

// lock takes the projection's advisory lock on a connection of its own
// (taken out of the pool: closing it releases the lock).
func (r *Runner) lock(ctx context.Context) (*pgx.Conn, error) {
	pc, err := r.cfg.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	conn := pc.Hijack()
	key := lockKey(r.Name())
	for {
		var ok bool
		if err := conn.QueryRow(ctx, q("TryProjectionLock"), key).Scan(&ok); err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, err
		}
		if ok {
			return conn, nil
		}
		r.setState("standby", nil)
		if !sleepCtx(ctx, 2*time.Second) {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, ctx.Err()
		}
	}
}

func loadCheckpoint(ctx context.Context, pool *pgxpool.Pool, p Projection) (uint64, error) {
	var cp int64
	if err := pool.QueryRow(ctx, q("EnsureCheckpoint"), p.Name(), p.Stream()).Scan(&cp); err != nil {
		return 0, fmt.Errorf("load checkpoint %s: %w", p.Name(), err)
	}
	return uint64(cp), nil // sequences are positive
}

// handle applies a fetched batch and returns the new checkpoint.
func (r *Runner) handle(ctx context.Context, cp uint64, msgs []eventstore.Msg) (uint64, error) {
	var todo []eventstore.Msg
	for _, m := range msgs {
		if m.Event.Sequence <= cp {
			_ = m.AckAsync() // a redelivery of something already applied
			continue
		}
		todo = append(todo, m)
	}
	if len(todo) == 0 {
		return cp, nil
	}
	next, err := r.applyHeld(ctx, cp, todo)
	if err == nil {
		r.ackAll(ctx, todo)
		r.count(len(todo), 0)
		return next, nil
	}
	if !isPoison(err) {
		return cp, err
	}
	return r.isolate(ctx, cp, todo, err)
}

// isolate applies msgs, one of which (at least) is poison: it halves the
// batch until the poison events stand alone and parks each at once. A
// poison error is deterministic (malformed data, a value PostgreSQL
// refuses), so trying it again would only hold up every event behind it —
// every tenant's. The good events around it are applied in O(log n)
// transactions; a batch of 500 with one poison event costs ~18.
func (r *Runner) isolate(ctx context.Context, cp uint64, msgs []eventstore.Msg, cause error) (uint64, error) {
	if len(msgs) == 1 {
		return r.park(ctx, cp, msgs[0], cause)
	}
	mid := len(msgs) / 2
	for _, half := range [][]eventstore.Msg{msgs[:mid], msgs[mid:]} {
		next, err := r.applyHeld(ctx, cp, half)
		switch {
		case err == nil:
			r.ackAll(ctx, half)
			r.count(len(half), 0)
		case isPoison(err):
			next, err = r.isolate(ctx, cp, half, err)
			if err != nil {
				return cp, err
			}
		default:
			return cp, err
		}
		cp = next
	}
	return cp, nil
}

// applyHeld applies msgs as one transaction, retrying through transient
// failures (PostgreSQL down) for as long as ctx lives, keeping the held
// messages alive. It returns a poison error (for isolation) or a fatal one.
func (r *Runner) applyHeld(ctx context.Context, cp uint64, msgs []eventstore.Msg) (uint64, error) {
	evs := make([]*hookstream.Event, 0, len(msgs))
	for _, m := range msgs {
		if m.DecodeErr != nil {
			return cp, fmt.Errorf("%w: %w", ErrPoison, m.DecodeErr)
		}
		evs = append(evs, m.Event)
	}
	last := msgs[len(msgs)-1].Event.Sequence
	return r.retryTransient(ctx, msgs, func() (uint64, error) {
		err := InTx(ctx, r.cfg.Pool, func(tx pgx.Tx) error {
			if err := r.cfg.Projection.Apply(ctx, tx, evs); err != nil {
				return err
			}
			return advance(ctx, tx, r.Name(), cp, last)
		})
		if err == nil {
			r.cfg.Metrics.setCheckpoint(r.Name(), last)
		}
		return last, err
	})
}

// park records a poison event in projection_dead_letters and moves the
// checkpoint past it, in one transaction.
func (r *Runner) park(ctx context.Context, cp uint64, m eventstore.Msg, cause error) (uint64, error) {
	seq := m.Event.Sequence
	if m.DecodeErr != nil {
		cause = m.DecodeErr
	}
	r.cfg.Logger.ErrorContext(ctx, "projection parked a poison event",
		slog.String("projection", r.Name()), slog.Uint64("seq", seq), slog.String("error", cause.Error()))
	next, err := r.retryTransient(ctx, []eventstore.Msg{m}, func() (uint64, error) {
		err := InTx(ctx, r.cfg.Pool, func(tx pgx.Tx) error {
			ev := m.Event
			if _, err := tx.Exec(ctx, q("ParkDeadLetter"), r.Name(), r.cfg.Projection.Stream(), int64(seq), // positive
				pgText(ev.ID), pgText(ev.Type), pgText(ev.TenantID), 1, pgText(cause.Error()), string(pgJSON(jsonOrString(ev.Data)))); err != nil {
				return err
			}
			return advance(ctx, tx, r.Name(), cp, seq)
		})
		return seq, err
	})
	if err != nil {
		return cp, err
	}
	r.ackAll(ctx, []eventstore.Msg{m})
	r.count(0, 1)
	return next, nil
}

// jsonOrString is raw when it is JSON, else raw as a JSON string.
func jsonOrString(raw []byte) []byte {
	if len(raw) > 0 && json.Valid(raw) {
		return raw
	}
	return jsonString(string(raw))
}

// retryTransient runs fn until it succeeds, fails for good, or ctx ends.
// Transient failures (PostgreSQL unreachable) back off without limit:
// nothing is acked, so nothing is lost.
func (r *Runner) retryTransient(ctx context.Context, held []eventstore.Msg, fn func() (uint64, error)) (uint64, error) {
	policy := r.backoff(100 * time.Millisecond)
	for attempt := 1; ; attempt++ {
		next, err := fn()
		if err == nil || isPoison(err) || errors.Is(err, errLostCheckpoint) {
			return next, err
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		r.setState("postgres_unavailable", err)
		if !r.sleepHolding(ctx, policy.Delay(attempt), held) {
			return 0, ctx.Err()
		}
		r.setState("running", nil)
	}
}

// sleepHolding waits d, telling JetStream the held messages are in progress.
func (r *Runner) sleepHolding(ctx context.Context, d time.Duration, held []eventstore.Msg) bool {
	for _, m := range held {
		_ = m.InProgress()
	}
	return sleepCtx(ctx, d)
}

// ackAll acks msgs with one round trip: asynchronous acks, then a
// confirmed ack of the last one. A lost ack only means a redelivery, which
// is skipped by sequence.
func (r *Runner) ackAll(ctx context.Context, msgs []eventstore.Msg) {
	if len(msgs) == 0 {
		return
	}
	for _, m := range msgs[:len(msgs)-1] {
		_ = m.AckAsync()
	}
	_ = msgs[len(msgs)-1].Ack(ctx)
}

func (r *Runner) count(applied, parked int) {
	r.mu.Lock()
	r.applied += uint64(applied) // non-negative
	r.parked += uint64(parked)   // non-negative
	r.mu.Unlock()
	r.cfg.Metrics.count(r.Name(), applied, parked)
}

// advance moves the checkpoint from prev to next; it fails with
// errLostCheckpoint when the stored checkpoint is not prev.
func advance(ctx context.Context, tx pgx.Tx, name string, prev, next uint64) error {
	return advanceCheckpoint(ctx, tx, name, prev, next)
}

func advanceCheckpoint(ctx context.Context, tx pgx.Tx, name string, prev, next uint64) error {
	tag, err := tx.Exec(ctx, q("AdvanceCheckpoint"), name, int64(prev), int64(next)) // positive
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return errLostCheckpoint
	}
	return nil
}

// isPoison reports whether err is deterministic: retrying will not help.
// PostgreSQL errors are poison unless their class says the connection, the
// server or a concurrent transaction was the problem.
func isPoison(err error) bool {
	if errors.Is(err, ErrPoison) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "53", "57", "58", "40", "55", "XX":
			return false
		}
		return true
	}
	return false
}

// sleepCtx waits d or until ctx ends (false): hookstream.Sleep.
func sleepCtx(ctx context.Context, d time.Duration) bool { return hookstream.Sleep(ctx, d) }

// Status is a projection's position, for `hookstream projections status`,
// GET /api/v1/projections and /metrics.
type Status struct {
	Name        string `json:"name"`
	Stream      string `json:"stream"`
	State       string `json:"state"`
	Checkpoint  uint64 `json:"checkpoint"`
	StreamHead  uint64 `json:"streamHead"`
	Lag         uint64 `json:"lag"`
	Pending     uint64 `json:"pending"`
	AckPending  int    `json:"ackPending"`
	DeadLetters int64  `json:"deadLetters"`
	Applied     uint64 `json:"applied"`
	LastError   string `json:"lastError,omitempty"`
	// Rebuild is set while (and after) a rebuild runs.
	Rebuild *RebuildProgress `json:"rebuild,omitempty"`
}

// RebuildProgress reports a rebuild: done when Checkpoint reaches Target.
type RebuildProgress struct {
	Target    uint64    `json:"target"`
	Done      bool      `json:"done"`
	StartedAt time.Time `json:"startedAt"`
}

// Status reads the projection's checkpoint, its stream's head and the
// consumer's pending counts. Parts that cannot be read are left zero and
// named in LastError.
func (r *Runner) Status(ctx context.Context) Status {
	p := r.cfg.Projection
	r.mu.Lock()
	st := Status{Name: p.Name(), Stream: p.Stream(), State: r.state, LastError: r.lastErr, Applied: r.applied}
	cons := r.cons
	r.mu.Unlock()
	var errs []error
	var cp, dl int64
	if err := r.cfg.Pool.QueryRow(ctx, q("ProjectionPosition"), p.Name()).Scan(&cp, &dl); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		errs = append(errs, fmt.Errorf("checkpoint: %w", err))
	}
	st.Checkpoint, st.DeadLetters = uint64(cp), dl // positive
	head, _, err := r.cfg.Store.StreamInfo(ctx, p.Stream())
	if err != nil {
		errs = append(errs, err)
	}
	st.StreamHead = head
	if head > st.Checkpoint {
		st.Lag = head - st.Checkpoint
	}
	if cons != nil {
		if pend, ack, err := cons.Pending(ctx); err == nil {
			st.Pending, st.AckPending = pend, ack
		}
	}
	if len(errs) > 0 && st.LastError == "" {
		st.LastError = errors.Join(errs...).Error()
	}
	return st
}
