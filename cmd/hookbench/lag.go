package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lagWindows is how many consecutive windows of the run the lag is
// summarised in, to see whether it grows.
const lagWindows = 5

// lagPollInterval is how often webhook_events is polled; a measured lag is
// the start of the first poll that saw the row minus the 2xx time, so it
// overstates the true lag by at most one interval plus the query time.
const lagPollInterval = 20 * time.Millisecond

// LagResult is the projection lag of one sustained open-loop run.
type LagResult struct {
	// Available is false when no accepted event ever appeared in
	// webhook_events (the projection does not exist yet); Reason says why.
	Available bool
	Reason    string
	Rate      float64
	Duration  time.Duration
	// Lag over all events, and per window of Duration/lagWindows.
	Lag     *Histogram
	Windows []Percentiles
	// Accepted events, and those that never appeared within the drain time.
	Accepted, Missing int
	// Backlog is how many accepted events had no row when the load stopped,
	// Drain how long it took to project them all after that.
	Backlog int
	Drain   time.Duration
	// Bounded: every event arrived and the last window's p99 is within
	// max(2 × first window's p99, first + 250 ms).
	Bounded bool
}

// lagTracker records 2xx times and polls webhook_events for their rows.
type lagTracker struct {
	pool  *pgxpool.Pool
	start time.Time
	win   time.Duration

	mu      sync.Mutex
	pending map[uuid.UUID]time.Time
	seen    int
	total   int
	bad     int
	hist    *Histogram
	windows []*Histogram
}

func newLagTracker(pool *pgxpool.Pool, start time.Time, dur time.Duration) *lagTracker {
	t := &lagTracker{pool: pool, start: start, win: dur / lagWindows, pending: map[uuid.UUID]time.Time{}, hist: NewHistogram()}
	for range lagWindows {
		t.windows = append(t.windows, NewHistogram())
	}
	return t
}

// Add is the open loop's OnAccepted.
func (t *lagTracker) Add(a Accepted) {
	id, err := uuid.Parse(a.EventID)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	if err != nil {
		t.bad++
		return
	}
	t.pending[id] = a.At
}

func (t *lagTracker) backlog() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// poll looks up to 5000 pending ids up once and records those found.
func (t *lagTracker) poll(ctx context.Context) error {
	t.mu.Lock()
	ids := make([]uuid.UUID, 0, min(len(t.pending), 5000))
	for id := range t.pending {
		if len(ids) == cap(ids) {
			break
		}
		ids = append(ids, id)
	}
	t.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	at := time.Now()
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := t.pool.Query(qctx, `SELECT id FROM webhook_events WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return err
	}
	var found []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		found = append(found, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range found {
		acked, ok := t.pending[id]
		if !ok {
			continue
		}
		delete(t.pending, id)
		t.seen++
		lag := at.Sub(acked)
		t.hist.Record(lag)
		w := min(max(int(acked.Sub(t.start)/t.win), 0), lagWindows-1)
		t.windows[w].Record(lag)
	}
	return nil
}

// run polls until ctx ends.
func (t *lagTracker) run(ctx context.Context) error {
	tick := time.NewTicker(lagPollInterval)
	defer tick.Stop()
	for {
		if err := t.poll(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// measureLag runs the open loop at rate for dur against op while polling
// webhook_events (dsn), then waits up to drainLimit for the remaining rows.
func measureLag(ctx context.Context, dsn string, rate float64, dur, drainLimit time.Duration, op opFunc) (*LagResult, *Result, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("lag: connect: %w", err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return nil, nil, fmt.Errorf("lag: connect: %w", err)
	}
	tr := newLagTracker(pool, time.Now(), dur)
	pctx, stopPoll := context.WithCancel(ctx)
	pollErr := make(chan error, 1)
	go func() { pollErr <- tr.run(pctx) }()
	load, err := OpenLoop(ctx, OpenLoopConfig{Name: "projection lag", Rate: rate, Duration: dur, OnAccepted: tr.Add}, op)
	if err != nil {
		stopPoll()
		return nil, nil, errors.Join(err, <-pollErr)
	}
	res := &LagResult{Rate: rate, Duration: dur, Backlog: tr.backlog()}
	stopAt := time.Now()
	deadline := stopAt.Add(drainLimit)
	drained := false
	for time.Now().Before(deadline) {
		if tr.backlog() == 0 {
			drained = true
			break
		}
		select {
		case err := <-pollErr:
			stopPoll()
			return nil, load, fmt.Errorf("lag: poll webhook_events: %w", err)
		case <-ctx.Done():
			stopPoll()
			return nil, load, errors.Join(ctx.Err(), <-pollErr)
		case <-time.After(lagPollInterval):
		}
	}
	res.Drain = time.Since(stopAt)
	stopPoll()
	if err := <-pollErr; err != nil {
		return nil, load, fmt.Errorf("lag: poll webhook_events: %w", err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	res.Lag = tr.hist
	for _, w := range tr.windows {
		res.Windows = append(res.Windows, w.Summary())
	}
	res.Accepted, res.Missing = tr.total, len(tr.pending)+tr.bad
	switch {
	case tr.total == 0:
		res.Reason = "no request was accepted"
	case tr.seen == 0:
		res.Reason = fmt.Sprintf("none of %d accepted events appeared in webhook_events within %s (projection not implemented?)", tr.total, drainLimit)
	default:
		res.Available = true
		first, last := res.Windows[0].P99, res.Windows[lagWindows-1].P99
		res.Bounded = drained && tr.bad == 0 && last <= max(2*first, first+250*time.Millisecond)
	}
	return res, load, nil
}

var errNoDSN = errors.New("no database URL to poll webhook_events")

// waitProjected waits (up to limit) until webhook_events holds n rows of
// the webhook, so that the lag run does not start behind the backlog a
// previous closed-loop run left; it returns how long that took.
func waitProjected(ctx context.Context, dsn, webhookID string, n int, limit time.Duration) (time.Duration, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	start := time.Now()
	for {
		var got int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_events WHERE webhook_id = $1::uuid`, webhookID).Scan(&got)
		if err == nil && got >= n {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			if err != nil {
				return time.Since(start), fmt.Errorf("webhook_events holds %d of %d rows after %s (%w)", got, n, limit, err)
			}
			return time.Since(start), fmt.Errorf("webhook_events holds %d of %d rows after %s", got, n, limit)
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
