package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Defaults of RedriverConfig.
const (
	RedriveLeaseDefault = 30 * time.Second
	RedrivePollDefault  = time.Second
	RedriveChunk        = 50
)

// RedriveStore finds dead letters and keeps bulk redrive jobs (table
// redrive_jobs; implemented by projections.ExecutionStore).
type RedriveStore interface {
	// RedriveTarget errors: ENOTFOUND, ECONFLICT (trigger not projected).
	RedriveTarget(ctx context.Context, tenantID, deadLetterID string) (hookstream.RedriveTarget, error)
	ClaimRedriveJob(ctx context.Context, owner string, lease time.Duration) (jobID, tenantID string, ok bool, err error)
	PendingRedriveItems(ctx context.Context, jobID string, n int) ([]string, error)
	MarkRedriveItem(ctx context.Context, jobID, deadLetterID string, ok bool, lease time.Duration) (status string, err error)
	FinishRedriveJob(ctx context.Context, jobID string) error
}

// RedriverConfig configures a Redriver; Store, Appender and Jobs are required.
type RedriverConfig struct {
	Store    *eventstore.Store
	Appender Appender
	Jobs     RedriveStore
	Logger   *slog.Logger
	// Lease of a claimed job; default 30 s (a node that dies mid-job leaves
	// it to another after the lease).
	Lease time.Duration
	// Poll is how often idle nodes look for jobs; default 1 s.
	Poll time.Duration
	// WaitReadyFunc blocks until PostgreSQL is ready; nil: at once.
	WaitReadyFunc func(ctx context.Context) bool
}

// Redriver redrives dead letters: one at a time (Redrive) or in bulk as a
// job run by one node at a time, resumable (each item's outcome is
// recorded; a redrive of a job's item has a deterministic Nats-Msg-Id, so
// an item redriven just before a crash is not redriven twice) and
// cancellable (the worker checks the job's status after every item).
type Redriver struct {
	cfg   RedriverConfig
	owner string
	wake  chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewRedriver returns a stopped Redriver.
func NewRedriver(cfg RedriverConfig) (*Redriver, error) {
	if cfg.Store == nil || cfg.Jobs == nil {
		return nil, errors.New("runner: redriver needs Store and Jobs")
	}
	if cfg.Appender == nil {
		cfg.Appender = cfg.Store
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = RedriveLeaseDefault
	}
	if cfg.Poll <= 0 {
		cfg.Poll = RedrivePollDefault
	}
	return &Redriver{cfg: cfg, owner: eventstore.NewID(), wake: make(chan struct{}, 1)}, nil
}

// Redrive appends a new workflow.triggered for a dead letter's execution,
// linked with redriveOf, and returns the new execution id. msgID, when
// set, deduplicates the append (bulk jobs).
func (d *Redriver) Redrive(ctx context.Context, tenantID, deadLetterID, msgID string) (string, error) {
	t, err := d.cfg.Jobs.RedriveTarget(ctx, tenantID, deadLetterID)
	if err != nil {
		return "", err
	}
	data := hookstream.TriggeredData{
		ExecutionID: eventstore.NewID(), WorkflowID: t.WorkflowID, Trigger: t.Trigger, Priority: t.Priority, RedriveOf: t.ExecutionID,
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("encode trigger: %w", err)
	}
	ev := eventstore.NewEvent(hookstream.EventWorkflowTriggered)
	ev.TenantID, ev.WebhookID, ev.WorkflowID, ev.Priority, ev.Data = tenantID, t.WebhookID, t.WorkflowID, t.Priority, raw
	res, err := d.cfg.Appender.Append(ctx, ev, eventstore.AppendOptions{MsgID: msgID})
	if err != nil {
		return "", err
	}
	if !res.Duplicate {
		return data.ExecutionID, nil
	}
	stored, err := d.cfg.Store.Get(ctx, res.Stream, res.Seq)
	if err != nil {
		return "", err
	}
	var prev hookstream.TriggeredData
	if err := json.Unmarshal(stored.Data, &prev); err != nil {
		return "", fmt.Errorf("stored redrive: %w", err)
	}
	return prev.ExecutionID, nil
}

// Notify wakes the job worker (a job was created).
func (d *Redriver) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Start runs the job worker until Stop.
func (d *Redriver) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		return nil // already running: a second Start is a no-op (hookstream.StartStop)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	d.cancel, d.done = cancel, done
	go func() {
		defer close(done)
		if d.cfg.WaitReadyFunc != nil && !d.cfg.WaitReadyFunc(runCtx) {
			return
		}
		d.loop(runCtx)
	}()
	return nil
}

// Stop ends the worker; a job in hand resumes on any node after its lease.
func (d *Redriver) Stop() {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.cancel, d.done = nil, nil
	d.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (d *Redriver) loop(ctx context.Context) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for ctx.Err() == nil {
		jobID, tenantID, ok, err := d.cfg.Jobs.ClaimRedriveJob(ctx, d.owner, d.cfg.Lease)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.WarnContext(ctx, "redrive claim failed", slog.String("error", err.Error()))
		}
		if ok {
			d.run(ctx, jobID, tenantID)
			continue
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-d.wake:
		}
	}
}

func (d *Redriver) run(ctx context.Context, jobID, tenantID string) {
	for ctx.Err() == nil {
		ids, err := d.cfg.Jobs.PendingRedriveItems(ctx, jobID, RedriveChunk)
		if err != nil {
			d.cfg.Logger.WarnContext(ctx, "redrive items failed", slog.String("job_id", jobID), slog.String("error", err.Error()))
			return
		}
		if len(ids) == 0 {
			if err := d.cfg.Jobs.FinishRedriveJob(ctx, jobID); err != nil {
				d.cfg.Logger.WarnContext(ctx, "redrive finish failed", slog.String("job_id", jobID), slog.String("error", err.Error()))
			}
			return
		}
		for _, id := range ids {
			_, rerr := d.Redrive(ctx, tenantID, id, "redrive:"+jobID+":"+id)
			if ctx.Err() != nil {
				return
			}
			if rerr != nil && hookstream.ErrorCode(rerr) == hookstream.EUNAVAILABLE {
				return // the lease expires; the job resumes
			}
			status, err := d.cfg.Jobs.MarkRedriveItem(ctx, jobID, id, rerr == nil, d.cfg.Lease)
			if err != nil {
				d.cfg.Logger.WarnContext(ctx, "redrive mark failed", slog.String("job_id", jobID), slog.String("error", err.Error()))
				return
			}
			if status != "running" {
				return // cancelled
			}
		}
	}
}
