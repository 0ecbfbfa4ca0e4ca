package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// ReplayAuditName is the replay audit projection's name.
const ReplayAuditName = "replay_audit"

// ReplayAudit projects replay.requested events of the HOOKS stream into
// replay_audit: who replayed what, why, whether the body was edited, and
// the replay's place in its root's chain.
type ReplayAudit struct{}

var _ Projection = ReplayAudit{}

// Name implements Projection.
func (ReplayAudit) Name() string { return ReplayAuditName }

// Stream implements Projection.
func (ReplayAudit) Stream() string { return eventstore.StreamHooks }

// Reset implements Projection.
func (ReplayAudit) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, q("ReplayAuditReset"))
	return err
}

// Apply implements Projection.
func (ReplayAudit) Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error {
	batch := &pgx.Batch{}
	for _, ev := range events {
		if ev.Type != hookstream.EventReplayRequested {
			continue
		}
		var d hookstream.ReplayRequestedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("%w: replay.requested %s: %w", ErrPoison, ev.ID, err)
		}
		if d.RootEventID == "" || d.OriginalEventID == "" || d.NewEventID == "" {
			return fmt.Errorf("%w: replay.requested %s lacks event ids", ErrPoison, ev.ID)
		}
		batch.Queue(q("ReplayAuditInsert"), ev.ID, ev.TenantID, ev.WebhookID, d.RootEventID, d.OriginalEventID,
			d.NewEventID, d.ReplayCount, d.Modified, d.Reason, d.Actor.TokenID, d.Actor.Role, ev.WorkflowID, d.JobID,
			int64(ev.Sequence), ev.Time)
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

// ReplayAuditEntry is one row of GET /api/v1/events/{id}/replays.
type ReplayAuditEntry struct {
	ID              string                 `json:"id"`
	RootEventID     string                 `json:"rootEventId"`
	OriginalEventID string                 `json:"originalEventId"`
	NewEventID      string                 `json:"newEventId"`
	ReplayCount     int                    `json:"replayCount"`
	Modified        bool                   `json:"modified"`
	Reason          string                 `json:"reason"`
	Actor           hookstream.ReplayActor `json:"actor"`
	WorkflowID      string                 `json:"workflowId,omitempty"`
	JobID           string                 `json:"jobId,omitempty"`
	CreatedAt       time.Time              `json:"createdAt"`
}

// Replays reads the replay audit, locates deliveries for replays and
// stores batch replay jobs (the Locator and JobStore of streams/replay).
type Replays struct {
	pool *pgxpool.Pool
}

// NewReplays returns a Replays over pool.
func NewReplays(pool *pgxpool.Pool) *Replays { return &Replays{pool: pool} }

// LocateEvent implements streams/replay's Locator from the delivery log.
func (r *Replays) LocateEvent(ctx context.Context, tenantID, eventID string) (hookstream.ReplayEventRef, error) {
	var ref hookstream.ReplayEventRef
	var seq int64
	err := r.pool.QueryRow(ctx, q("ReplayLocateEvent"), tenantID, eventID).
		Scan(&ref.ID, &ref.WebhookID, &ref.Status, &seq, &ref.CreatedAt)
	if err != nil {
		return ref, fmt.Errorf("locate event: %w", translate(err))
	}
	ref.Stream, ref.Seq = eventstore.StreamHooks, uint64(seq)
	return ref, nil
}

// Audit returns the root of an event's replay chain and every replay of
// it, oldest first. Errors: hookstream.ErrNotFound when the event is
// neither in the delivery log nor in the audit.
func (r *Replays) Audit(ctx context.Context, tenantID, eventID string) (root string, entries []ReplayAuditEntry, err error) {
	var rootPtr *string
	if err := r.pool.QueryRow(ctx, q("ReplayAuditRoot"), tenantID, eventID).Scan(&rootPtr); err != nil {
		return "", nil, fmt.Errorf("replay root: %w", translate(err))
	}
	if rootPtr == nil {
		return "", nil, hookstream.ErrNotFound
	}
	rows, err := r.pool.Query(ctx, q("ReplayAuditList"), tenantID, *rootPtr)
	if err != nil {
		return "", nil, fmt.Errorf("replay audit: %w", translate(err))
	}
	entries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReplayAuditEntry, error) {
		var e ReplayAuditEntry
		err := row.Scan(&e.ID, &e.RootEventID, &e.OriginalEventID, &e.NewEventID, &e.ReplayCount, &e.Modified,
			&e.Reason, &e.Actor.TokenID, &e.Actor.Role, &e.WorkflowID, &e.JobID, &e.CreatedAt)
		return e, err
	})
	if err != nil {
		return "", nil, fmt.Errorf("replay audit: %w", translate(err))
	}
	if entries == nil {
		entries = []ReplayAuditEntry{}
	}
	return *rootPtr, entries, nil
}

func selectionArgs(sel hookstream.ReplaySelection) (ids []string, from, to *time.Time) {
	ids = sel.IDs
	if ids == nil {
		ids = []string{}
	}
	if !sel.From.IsZero() {
		f := sel.From
		from = &f
	}
	if !sel.To.IsZero() {
		t := sel.To
		to = &t
	}
	return ids, from, to
}

// CountSelection implements hookstream.ReplayJobStore.
func (r *Replays) CountSelection(ctx context.Context, tenantID string, sel hookstream.ReplaySelection) (hookstream.ReplaySelectionStats, error) {
	ids, from, to := selectionArgs(sel)
	var st hookstream.ReplaySelectionStats
	var lo, hi int64
	err := r.pool.QueryRow(ctx, q("ReplaySelectionCount"), tenantID, ids, sel.WebhookID, sel.Status, from, to).
		Scan(&st.Matched, &lo, &hi)
	if err != nil {
		return st, fmt.Errorf("count replay selection: %w", translate(err))
	}
	st.MinSeq, st.MaxSeq = uint64(lo), uint64(hi)
	return st, nil
}

// CreateJob implements hookstream.ReplayJobStore.
func (r *Replays) CreateJob(ctx context.Context, job hookstream.ReplayJob, sel *hookstream.ReplaySelection) (hookstream.ReplayJob, error) {
	if sel == nil && job.Matched == 0 {
		job.Status = hookstream.ReplayJobCompleted
	}
	err := InTx(ctx, r.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, q("ReplayJobInsert"), job.ID, job.TenantID, job.Status, job.Spec, job.Subjects, job.UseSet,
			int64(job.StartSeq), int64(job.StopSeq), job.RatePerSec, job.Reason, job.WorkflowID, job.Actor.TokenID,
			job.Actor.Role, job.Matched)
		if err != nil {
			return fmt.Errorf("insert replay job: %w", translate(err))
		}
		if sel == nil {
			return nil
		}
		ids, from, to := selectionArgs(*sel)
		if _, err := tx.Exec(ctx, q("ReplayJobFillSet"), job.ID, job.TenantID, ids, sel.WebhookID, sel.Status, from, to); err != nil {
			return fmt.Errorf("select replay job events: %w", translate(err))
		}
		if _, err := tx.Exec(ctx, q("ReplayJobSetStats"), job.ID, job.TenantID); err != nil {
			return fmt.Errorf("replay job stats: %w", translate(err))
		}
		return nil
	})
	if err != nil {
		return hookstream.ReplayJob{}, err
	}
	return r.Job(ctx, job.TenantID, job.ID)
}

func scanJob(row pgx.Row) (hookstream.ReplayJob, error) {
	var j hookstream.ReplayJob
	var start, stop, pos int64
	err := row.Scan(&j.ID, &j.TenantID, &j.Status, &j.Spec, &j.Subjects, &j.UseSet, &start, &stop, &j.RatePerSec,
		&j.Reason, &j.WorkflowID, &j.Actor.TokenID, &j.Actor.Role, &j.Matched, &j.Replayed, &j.Skipped, &j.Failed,
		&pos, &j.Error, &j.CreatedAt, &j.StartedAt, &j.FinishedAt)
	j.StartSeq, j.StopSeq, j.Position = uint64(start), uint64(stop), uint64(pos)
	return j, translate(err)
}

// Job implements hookstream.ReplayJobStore.
func (r *Replays) Job(ctx context.Context, tenantID, id string) (hookstream.ReplayJob, error) {
	j, err := scanJob(r.pool.QueryRow(ctx, q("ReplayJobGet"), tenantID, id))
	if err != nil {
		return j, fmt.Errorf("get replay job: %w", err)
	}
	return j, nil
}

// ListJobs returns a tenant's newest jobs first, at most limit of them.
func (r *Replays) ListJobs(ctx context.Context, tenantID string, limit int) ([]hookstream.ReplayJob, error) {
	rows, err := r.pool.Query(ctx, q("ReplayJobList"), tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list replay jobs: %w", translate(err))
	}
	defer rows.Close()
	jobs := []hookstream.ReplayJob{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list replay jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list replay jobs: %w", translate(err))
	}
	return jobs, nil
}

// CancelJob implements hookstream.ReplayJobStore.
func (r *Replays) CancelJob(ctx context.Context, tenantID, id string) (hookstream.ReplayJob, error) {
	if _, err := r.pool.Exec(ctx, q("ReplayJobCancel"), tenantID, id); err != nil {
		return hookstream.ReplayJob{}, fmt.Errorf("cancel replay job: %w", translate(err))
	}
	return r.Job(ctx, tenantID, id)
}

// ClaimJob implements hookstream.ReplayJobStore.
func (r *Replays) ClaimJob(ctx context.Context, owner string, lease time.Duration) (hookstream.ReplayJob, bool, error) {
	j, err := scanJob(r.pool.QueryRow(ctx, q("ReplayJobClaim"), owner, float64(lease.Milliseconds())))
	if errors.Is(err, hookstream.ErrNotFound) {
		return j, false, nil
	}
	if err != nil {
		return j, false, fmt.Errorf("claim replay job: %w", err)
	}
	return j, true, nil
}

// SaveProgress implements hookstream.ReplayJobStore.
func (r *Replays) SaveProgress(ctx context.Context, id, owner string, p hookstream.ReplayProgress, lease time.Duration) (string, error) {
	var status string
	err := r.pool.QueryRow(ctx, q("ReplayJobSaveProgress"), id, owner, int64(p.Position), p.Replayed, p.Skipped, p.Failed,
		float64(lease.Milliseconds())).Scan(&status)
	if errors.Is(translate(err), hookstream.ErrNotFound) {
		return "", hookstream.ErrReplayLeaseLost
	}
	if err != nil {
		return "", fmt.Errorf("save replay job progress: %w", translate(err))
	}
	return status, nil
}

// FinishJob implements hookstream.ReplayJobStore.
func (r *Replays) FinishJob(ctx context.Context, id, owner string, p hookstream.ReplayProgress, status, errMsg string) error {
	tag, err := r.pool.Exec(ctx, q("ReplayJobFinish"), id, owner, int64(p.Position), p.Replayed, p.Skipped, p.Failed, status, errMsg)
	if err != nil {
		return fmt.Errorf("finish replay job: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return hookstream.ErrReplayLeaseLost
	}
	return nil
}

// ReleaseJob implements hookstream.ReplayJobStore.
func (r *Replays) ReleaseJob(ctx context.Context, id, owner string, p hookstream.ReplayProgress) error {
	tag, err := r.pool.Exec(ctx, q("ReplayJobRelease"), id, owner, int64(p.Position), p.Replayed, p.Skipped, p.Failed)
	if err != nil {
		return fmt.Errorf("release replay job: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return hookstream.ErrReplayLeaseLost
	}
	return nil
}

// JobEventIDs implements hookstream.ReplayJobStore.
func (r *Replays) JobEventIDs(ctx context.Context, id string) ([]string, error) {
	rows, err := r.pool.Query(ctx, q("ReplayJobEventIDs"), id)
	if err != nil {
		return nil, fmt.Errorf("replay job ids: %w", translate(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("replay job ids: %w", translate(err))
	}
	return ids, nil
}
