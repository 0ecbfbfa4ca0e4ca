package replay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Job statuses.
const (
	JobPending   = hookstream.ReplayJobPending
	JobRunning   = hookstream.ReplayJobRunning
	JobCompleted = hookstream.ReplayJobCompleted
	JobCancelled = hookstream.ReplayJobCancelled
	JobFailed    = hookstream.ReplayJobFailed
)

// Defaults and bounds of batch replays and of JobsConfig.
const (
	RatePerSecDefault       = 100
	RatePerSecMax           = 100_000
	MaxIDs                  = 10_000
	LeaseDefault            = 15 * time.Second
	PollIntervalDefault     = time.Second
	ProgressIntervalDefault = time.Second
	WorkersDefault          = 64
	MaxJobsDefault          = 2
)

// ErrLeaseLost is returned by JobStore when the job's lease is no longer
// held by the caller.
var ErrLeaseLost = hookstream.ErrReplayLeaseLost

// Filter selects deliveries for a batch replay.
type Filter struct {
	WebhookID string     `json:"webhookId,omitempty"`
	Status    string     `json:"status,omitempty"`
	From      *time.Time `json:"from,omitempty"`
	To        *time.Time `json:"to,omitempty"`
}

// BatchRequest is POST /api/v1/events/replay.
type BatchRequest struct {
	IDs        []string `json:"ids,omitempty"`
	Filter     *Filter  `json:"filter,omitempty"`
	DryRun     bool     `json:"dryRun,omitempty"`
	RatePerSec float64  `json:"ratePerSec,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	WorkflowID string   `json:"workflowId,omitempty"`
}

// BatchResult answers a batch request; JobID is empty for a dry run.
type BatchResult struct {
	JobID   string `json:"jobId,omitempty"`
	Matched int64  `json:"matched"`
}

// Aliases of the shared vocabulary (the root package), so that the job
// store in projections does not import this package.
type (
	// Selection picks deliveries from the delivery log.
	Selection = hookstream.ReplaySelection
	// SelectionStats describe a selection.
	SelectionStats = hookstream.ReplaySelectionStats
	// Progress is what a running job persists.
	Progress = hookstream.ReplayProgress
	// Job is a batch replay job.
	Job = hookstream.ReplayJob
)

// JobStore persists jobs (projections.ReplayJobs).
type JobStore interface {
	// CountSelection counts a tenant's deliveries matching sel in the
	// delivery log (rejected deliveries never match).
	CountSelection(ctx context.Context, tenantID string, sel Selection) (SelectionStats, error)
	// CreateJob inserts job; with sel it also stores the job's id set from
	// the delivery log, in the same transaction, and sets Matched, StartSeq
	// and StopSeq from it. A job that matched nothing is created completed.
	CreateJob(ctx context.Context, job Job, sel *Selection) (Job, error)
	// Job errors: hookstream.ErrNotFound (unknown or another tenant's).
	Job(ctx context.Context, tenantID, id string) (Job, error)
	// CancelJob marks a pending or running job cancelled; a finished job is
	// returned unchanged. Errors: hookstream.ErrNotFound.
	CancelJob(ctx context.Context, tenantID, id string) (Job, error)
	// ClaimJob leases the oldest runnable job (pending, or running with an
	// expired lease) to owner; ok is false when there is none.
	ClaimJob(ctx context.Context, owner string, lease time.Duration) (job Job, ok bool, err error)
	// SaveProgress persists progress, renews the lease and returns the
	// job's status (cancelled when a user cancelled it). Errors: ErrLeaseLost.
	SaveProgress(ctx context.Context, id, owner string, p Progress, lease time.Duration) (status string, err error)
	// FinishJob persists the final progress and status (completed, failed
	// or cancelled) and releases the lease. Errors: ErrLeaseLost.
	FinishJob(ctx context.Context, id, owner string, p Progress, status, errMsg string) error
	// ReleaseJob persists progress and releases the lease at once so another
	// node (or this one after a restart) resumes the job without waiting.
	ReleaseJob(ctx context.Context, id, owner string, p Progress) error
	// JobEventIDs returns the id set of a job created with a selection.
	JobEventIDs(ctx context.Context, id string) ([]string, error)
	// ListJobs returns a tenant's jobs, newest first, at most limit.
	ListJobs(ctx context.Context, tenantID string, limit int) ([]Job, error)
}

// JobsConfig configures Jobs.
type JobsConfig struct {
	Service *Service
	Store   JobStore
	// NodeID names this node's leases; default host name + random suffix.
	NodeID string
	// Lease is how long a claim holds without renewal; default 15 s.
	Lease time.Duration
	// PollInterval between claims of new jobs; default 1 s.
	PollInterval time.Duration
	// ProgressInterval between progress saves; default 1 s.
	ProgressInterval time.Duration
	// Workers is the number of replays in flight per job; default 64 (their
	// appends share the Batcher's atomic batches).
	Workers int
	// MaxJobs run at once on this node; default 2.
	MaxJobs int
	// WaitReadyFunc blocks until PostgreSQL is migrated; nil: ready at once.
	WaitReadyFunc func(ctx context.Context) bool
	Logger        *slog.Logger
}

// WithDefaults fills zero fields with their defaults.
func (c JobsConfig) WithDefaults() JobsConfig {
	if c.NodeID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		c.NodeID = host + "-" + hex.EncodeToString(b)
	}
	if c.Lease <= 0 {
		c.Lease = LeaseDefault
	}
	if c.PollInterval <= 0 {
		c.PollInterval = PollIntervalDefault
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = ProgressIntervalDefault
	}
	if c.Workers <= 0 {
		c.Workers = WorkersDefault
	}
	if c.MaxJobs <= 0 {
		c.MaxJobs = MaxJobsDefault
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Jobs creates batch replay jobs and runs the ones this node claims. It is
// a component: Start(ctx) / Stop().
type Jobs struct {
	cfg    JobsConfig
	svc    *Service
	store  JobStore
	logger *slog.Logger
	wake   chan struct{}

	mu      sync.Mutex
	running map[string]context.CancelCauseFunc
	lc      hookstream.StartStop
}

// NewJobs returns a job engine.
func NewJobs(cfg JobsConfig) (*Jobs, error) {
	cfg = cfg.WithDefaults()
	if cfg.Service == nil || cfg.Store == nil {
		return nil, errors.New("replay: JobsConfig needs Service and Store")
	}
	return &Jobs{
		cfg: cfg, svc: cfg.Service, store: cfg.Store, logger: cfg.Logger,
		wake: make(chan struct{}, 1), running: map[string]context.CancelCauseFunc{},
	}, nil
}

// errCancelled is the cause of a job context cancelled by a user.
var errCancelled = errors.New("replay job cancelled")

// Create validates a batch request and creates its job (or counts its
// matches for a dry run). Errors: EUNPROCESSABLE for an invalid request,
// ENOTFOUND for an unknown webhook that matches nothing.
func (j *Jobs) Create(ctx context.Context, p hookstream.Principal, req BatchRequest) (BatchResult, error) {
	if err := validateBatch(&req); err != nil {
		return BatchResult{}, err
	}
	tenant, err := j.svc.cfg.Tenants.Tenant(ctx, p.TenantID)
	if err != nil {
		return BatchResult{}, err
	}
	cutoff := j.svc.retentionCutoff(tenant)
	spec, err := json.Marshal(struct {
		IDs    []string `json:"ids,omitempty"`
		Filter *Filter  `json:"filter,omitempty"`
	}{req.IDs, req.Filter})
	if err != nil {
		return BatchResult{}, fmt.Errorf("encode job spec: %w", err)
	}
	f := Filter{}
	if req.Filter != nil {
		f = *req.Filter
	}
	job := Job{
		ID: eventstore.NewID(), TenantID: tenant.ID, Status: JobPending, Spec: spec,
		Subjects:   []string{eventstore.SubjectFilter(eventstore.StreamHooks, tenant.ID, f.WebhookID, hookstream.EventWebhookReceived)},
		RatePerSec: req.RatePerSec, Reason: req.Reason, WorkflowID: req.WorkflowID, Actor: ActorOf(p),
	}
	var res BatchResult
	if len(req.IDs) > 0 || f.Status != "" {
		sel := Selection{IDs: req.IDs, WebhookID: f.WebhookID, Status: f.Status}
		if f.From != nil {
			sel.From = *f.From
		}
		if f.To != nil {
			sel.To = *f.To
		}
		if req.DryRun {
			st, err := j.store.CountSelection(ctx, tenant.ID, sel)
			if err != nil {
				return BatchResult{}, err
			}
			res.Matched = st.Matched
		} else {
			job.UseSet = true
			created, err := j.store.CreateJob(ctx, job, &sel)
			if err != nil {
				return BatchResult{}, err
			}
			res = BatchResult{JobID: created.ID, Matched: created.Matched}
		}
	} else {
		start := cutoff
		if f.From != nil && f.From.After(start) {
			start = *f.From
		}
		var to time.Time
		if f.To != nil {
			to = *f.To
		}
		var first, last uint64
		var n int64
		err := j.svc.cfg.Store.Scan(ctx, eventstore.ReadOptions{Stream: eventstore.StreamHooks, Subjects: job.Subjects, StartTime: start},
			func(seq uint64, stored time.Time) error {
				if !to.IsZero() && stored.After(to) {
					return eventstore.ErrStopRead
				}
				if first == 0 {
					first = seq
				}
				last, n = seq, n+1
				return nil
			})
		if err != nil {
			return BatchResult{}, fmt.Errorf("count matching events: %w", err)
		}
		res.Matched = n
		if !req.DryRun {
			job.StartSeq, job.StopSeq, job.Matched = first, last, n
			created, err := j.store.CreateJob(ctx, job, nil)
			if err != nil {
				return BatchResult{}, err
			}
			res.JobID = created.ID
		}
	}
	if res.Matched == 0 && f.WebhookID != "" && j.svc.cfg.LookupWebhook != nil {
		if _, _, ok := j.svc.cfg.LookupWebhook(tenant.ID, f.WebhookID); !ok && res.JobID == "" {
			return BatchResult{}, hookstream.Errorf(hookstream.ENOTFOUND, "webhook %s not found", f.WebhookID)
		}
	}
	if res.JobID != "" {
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
	return res, nil
}

// validateBatch checks a batch request and fills defaults.
func validateBatch(req *BatchRequest) error {
	var errs []hookstream.FieldError
	hasFilter := req.Filter != nil
	switch {
	case len(req.IDs) > 0 && hasFilter:
		errs = append(errs, hookstream.FieldError{Field: "ids", Message: "give ids or filter, not both"})
	case len(req.IDs) == 0 && !hasFilter:
		errs = append(errs, hookstream.FieldError{Field: "ids", Message: "give ids or filter"})
	}
	if len(req.IDs) > MaxIDs {
		errs = append(errs, hookstream.FieldError{Field: "ids", Message: fmt.Sprintf("at most %d ids", MaxIDs)})
	}
	for i, id := range req.IDs {
		if _, err := uuid.Parse(id); err != nil {
			errs = append(errs, hookstream.FieldError{Field: fmt.Sprintf("ids[%d]", i), Message: "not an event id"})
			break
		}
	}
	if f := req.Filter; f != nil {
		if f.WebhookID != "" {
			if _, err := uuid.Parse(f.WebhookID); err != nil {
				errs = append(errs, hookstream.FieldError{Field: "filter.webhookId", Message: "not a webhook id"})
			}
		}
		switch f.Status {
		case "", "received", "processed", "filtered", "failed":
		case "rejected":
			errs = append(errs, hookstream.FieldError{Field: "filter.status", Message: "rejected deliveries do not replay"})
		default:
			errs = append(errs, hookstream.FieldError{Field: "filter.status", Message: "must be received, processed, filtered or failed"})
		}
		if f.From != nil && f.To != nil && f.To.Before(*f.From) {
			errs = append(errs, hookstream.FieldError{Field: "filter.to", Message: "must not be before from"})
		}
	}
	switch {
	case req.RatePerSec == 0:
		req.RatePerSec = RatePerSecDefault
	case req.RatePerSec < 0 || req.RatePerSec > RatePerSecMax:
		errs = append(errs, hookstream.FieldError{Field: "ratePerSec", Message: fmt.Sprintf("must be between 0 and %d", RatePerSecMax)})
	}
	if len(errs) > 0 {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid batch replay request", errs...)
	}
	return nil
}

// Get returns a tenant's job. Errors: hookstream.ErrNotFound.
func (j *Jobs) Get(ctx context.Context, tenantID, id string) (Job, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Job{}, hookstream.ErrNotFound
	}
	return j.store.Job(ctx, tenantID, id)
}

// ListLimitMax bounds GET /api/v1/replays.
const ListLimitMax = 500

// List returns a tenant's jobs, newest first (limit 1..ListLimitMax).
func (j *Jobs) List(ctx context.Context, tenantID string, limit int) ([]Job, error) {
	if limit < 1 || limit > ListLimitMax {
		limit = ListLimitMax
	}
	return j.store.ListJobs(ctx, tenantID, limit)
}

// Cancel cancels a tenant's job; a running job stops within a progress
// interval (at once when it runs on this node).
func (j *Jobs) Cancel(ctx context.Context, tenantID, id string) (Job, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Job{}, hookstream.ErrNotFound
	}
	job, err := j.store.CancelJob(ctx, tenantID, id)
	if err != nil {
		return job, err
	}
	j.mu.Lock()
	if cancel, ok := j.running[id]; ok {
		cancel(errCancelled)
	}
	j.mu.Unlock()
	return job, nil
}

// Start begins claiming and running jobs.
func (j *Jobs) Start(ctx context.Context) error {
	runCtx, ok := j.lc.StartInit(ctx)
	if !ok {
		return nil
	}
	j.lc.Go(func() { j.loop(runCtx) })
	return nil
}

// Stop stops claiming, interrupts running jobs (their progress is saved and
// their lease released, so they resume on the next start) and waits.
func (j *Jobs) Stop() { j.lc.Stop() }

func (j *Jobs) loop(ctx context.Context) {
	if j.cfg.WaitReadyFunc != nil && !j.cfg.WaitReadyFunc(ctx) {
		return
	}
	for {
		for j.runningCount() < j.cfg.MaxJobs {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			job, ok, err := j.store.ClaimJob(cctx, j.cfg.NodeID, j.cfg.Lease)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					j.logger.WarnContext(ctx, "claim replay job", slog.String("error", err.Error()))
				}
				break
			}
			if !ok {
				break
			}
			j.launch(ctx, job)
		}
		select {
		case <-ctx.Done():
			return
		case <-j.wake:
		case <-time.After(j.cfg.PollInterval):
		}
	}
}

func (j *Jobs) runningCount() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.running)
}

func (j *Jobs) launch(ctx context.Context, job Job) {
	jctx, cancel := context.WithCancelCause(ctx)
	j.mu.Lock()
	j.running[job.ID] = cancel
	j.mu.Unlock()
	// The job's goroutine is the lifecycle's: Stop waits for it.
	j.lc.Go(func() {
		defer func() {
			j.mu.Lock()
			delete(j.running, job.ID)
			j.mu.Unlock()
			cancel(nil)
			select { // a slot is free: look for more work
			case j.wake <- struct{}{}:
			default:
			}
		}()
		j.run(jctx, job)
	})
}

// outcome of one event of a job.
type outcome int

const (
	outcomeNone outcome = iota // not selected: only moves the position
	outcomeReplayed
	outcomeSkipped
	outcomeFailed
)

// tracker keeps the watermark: every event at or below Position is handled
// and counted; events complete out of order when several are in flight.
type tracker struct {
	mu      sync.Mutex
	p       Progress
	first   int // absolute index of q[0]
	q       []trackItem
	pending int
}

type trackItem struct {
	seq  uint64
	done bool
	out  outcome
}

func (t *tracker) add(seq uint64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.q = append(t.q, trackItem{seq: seq})
	t.pending++
	return t.first + len(t.q) - 1
}

func (t *tracker) done(i int, out outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.q[i-t.first].done, t.q[i-t.first].out = true, out
	t.pending--
	n := 0
	for n < len(t.q) && t.q[n].done {
		it := t.q[n]
		switch it.out {
		case outcomeReplayed:
			t.p.Replayed++
		case outcomeSkipped:
			t.p.Skipped++
		case outcomeFailed:
			t.p.Failed++
		}
		t.p.Position = it.seq
		n++
	}
	if n > 0 {
		t.q = append(t.q[:0], t.q[n:]...)
		t.first += n
	}
}

func (t *tracker) progress() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

// run executes a claimed job until it is done, cancelled or interrupted.
func (j *Jobs) run(ctx context.Context, job Job) {
	log := j.logger.With(slog.String("job_id", job.ID))
	tr := &tracker{p: job.Progress()}
	final := func(status, msg string) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		p := tr.progress()
		var err error
		if status == "" {
			err = j.store.ReleaseJob(fctx, job.ID, j.cfg.NodeID, p)
		} else {
			err = j.store.FinishJob(fctx, job.ID, j.cfg.NodeID, p, status, msg)
		}
		if err != nil {
			log.WarnContext(fctx, "save replay job", slog.String("error", err.Error()))
		}
	}
	tenant, err := j.svc.cfg.Tenants.Tenant(ctx, job.TenantID)
	if err != nil {
		if ctx.Err() == nil {
			final(JobFailed, "tenant not found")
		}
		return
	}
	var set map[string]struct{}
	if job.UseSet {
		ids, err := j.store.JobEventIDs(ctx, job.ID)
		if err != nil {
			log.WarnContext(ctx, "load replay job ids", slog.String("error", err.Error()))
			final("", "")
			return
		}
		set = make(map[string]struct{}, len(ids))
		for _, id := range ids {
			set[id] = struct{}{}
		}
	}

	// Progress saver: persists, renews the lease, notices cancellation.
	saverDone := make(chan struct{})
	saverCtx, stopSaver := context.WithCancel(ctx)
	go func() {
		defer close(saverDone)
		t := time.NewTicker(j.cfg.ProgressInterval)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-saverCtx.Done():
				return
			case <-t.C:
			}
			sctx, cancel := context.WithTimeout(saverCtx, 5*time.Second)
			status, err := j.store.SaveProgress(sctx, job.ID, j.cfg.NodeID, tr.progress(), j.cfg.Lease)
			cancel()
			switch {
			case errors.Is(err, ErrLeaseLost):
				j.cancelRunning(job.ID, ErrLeaseLost)
				return
			case err != nil:
				if time.Since(renewed) > j.cfg.Lease*4/5 {
					// Another node may claim the job soon: stop before it does.
					j.cancelRunning(job.ID, ErrLeaseLost)
					return
				}
			case status == JobCancelled:
				j.cancelRunning(job.ID, errCancelled)
				return
			default:
				renewed = time.Now()
			}
		}
	}()

	burst := max(1, int(job.RatePerSec/50))
	limiter := rate.NewLimiter(rate.Limit(job.RatePerSec), burst)
	sem := make(chan struct{}, j.cfg.Workers)
	var wg sync.WaitGroup
	opts := replayOptions{actor: job.Actor, reason: job.Reason, workflowID: job.WorkflowID, jobID: job.ID}
	start := max(job.Position+1, job.StartSeq)
	var readErr error
	if job.StopSeq > 0 && start <= job.StopSeq {
		readErr = j.svc.cfg.Store.Read(ctx, eventstore.ReadOptions{
			Stream: eventstore.StreamHooks, Subjects: job.Subjects, StartSeq: start, StopSeq: job.StopSeq,
		}, func(ev *hookstream.Event) error {
			i := tr.add(ev.Sequence)
			if set != nil {
				if _, ok := set[ev.ID]; !ok {
					tr.done(i, outcomeNone)
					return nil
				}
			}
			if err := limiter.Wait(ctx); err != nil {
				return err
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if out, ok := j.replayEvent(ctx, tenant, ev, opts, log); ok {
					tr.done(i, out)
				}
			}()
			return nil
		})
	}
	wg.Wait()
	stopSaver()
	<-saverDone

	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errCancelled):
		final(JobCancelled, "")
	case errors.Is(cause, ErrLeaseLost):
		log.WarnContext(ctx, "replay job lease lost; another node resumes it")
	case ctx.Err() != nil:
		final("", "") // node stopping: resume on the next start
	case readErr != nil:
		log.WarnContext(ctx, "replay job read", slog.String("error", readErr.Error()))
		final("", "") // the stream is unavailable: retry from the position
	default:
		p := tr.progress()
		if set != nil {
			// Ids that are no longer in the stream (expired) were never visited.
			if missing := job.Matched - (p.Replayed + p.Skipped + p.Failed); missing > 0 {
				tr.mu.Lock()
				tr.p.Skipped += missing
				tr.mu.Unlock()
			}
		}
		tr.mu.Lock()
		tr.p.Position = max(tr.p.Position, job.StopSeq)
		tr.mu.Unlock()
		final(JobCompleted, "")
	}
}

func (j *Jobs) cancelRunning(id string, cause error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if cancel, ok := j.running[id]; ok {
		cancel(cause)
	}
}

// JobReplayAttempts is how often a job tries one event's replay in all
// (JetStream or KV briefly unavailable), waiting JobReplayBackoff between
// attempts, before it counts the event failed and goes on.
const JobReplayAttempts = 3

// JobReplayBackoff is the wait between a job's attempts at one event.
var JobReplayBackoff = hookstream.Backoff{Base: 500 * time.Millisecond, Max: 5 * time.Second}

// replayEvent replays one event of a job; ok is false when the job was
// interrupted before the event was handled (it is then not counted and is
// handled again on resume).
func (j *Jobs) replayEvent(ctx context.Context, tenant hookstream.Tenant, ev *hookstream.Event, o replayOptions, log *slog.Logger) (outcome, bool) {
	if err := j.svc.replayable(tenant, ev); err != nil {
		return outcomeSkipped, true
	}
	for attempt := 1; ; attempt++ {
		_, err := j.svc.replay(ctx, tenant, ev, o)
		if err == nil {
			return outcomeReplayed, true
		}
		if ctx.Err() != nil {
			return outcomeNone, false
		}
		switch hookstream.ErrorCode(err) {
		case hookstream.ECONFLICT, hookstream.EGONE, hookstream.EUNPROCESSABLE:
			return outcomeSkipped, true
		}
		if attempt == JobReplayAttempts {
			log.WarnContext(ctx, "replay in job failed", slog.String("event_id", ev.ID), slog.String("error", err.Error()))
			return outcomeFailed, true
		}
		if !JobReplayBackoff.Wait(ctx, attempt) {
			return outcomeNone, false
		}
	}
}
