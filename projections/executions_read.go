package projections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
)

// ExecutionSummary is one execution in a list (SHAPES.md).
type ExecutionSummary struct {
	ID           string     `json:"id"`
	WorkflowID   string     `json:"workflowId"`
	WorkflowName string     `json:"workflowName"`
	WebhookID    string     `json:"webhookId"`
	EventID      string     `json:"eventId"`
	Priority     int        `json:"priority"`
	Status       string     `json:"status"`
	Error        *string    `json:"error"`
	RedriveOf    *string    `json:"redriveOf"`
	CreatedAt    time.Time  `json:"createdAt"`
	StartedAt    *time.Time `json:"startedAt"`
	FinishedAt   *time.Time `json:"finishedAt"`
	DurationMs   *int64     `json:"durationMs"`
	StepCount    int        `json:"stepCount"`
	CurrentStep  int        `json:"currentStep"`
}

// Execution is an execution with its trigger and steps.
type Execution struct {
	ExecutionSummary
	TriggerData json.RawMessage `json:"triggerData"`
	Steps       []ExecutionStep `json:"steps"`
}

// ExecutionStep is one step of an execution with its attempts.
type ExecutionStep struct {
	Index         int             `json:"index"`
	Name          *string         `json:"name"`
	Type          string          `json:"type"`
	Status        string          `json:"status"`
	StartedAt     *time.Time      `json:"startedAt"`
	FinishedAt    *time.Time      `json:"finishedAt"`
	DurationMs    *int64          `json:"durationMs"`
	Error         *string         `json:"error"`
	Output        json.RawMessage `json:"output"`
	NextAttemptAt *time.Time      `json:"nextAttemptAt"`
	Attempts      []StepAttempt   `json:"attempts"`
}

// StepAttempt is one attempt (or circuit_open wait) of a step.
type StepAttempt struct {
	Attempt         int        `json:"attempt"`
	StartedAt       *time.Time `json:"startedAt"`
	DurationMs      *int64     `json:"durationMs"`
	StatusCode      *int       `json:"statusCode"`
	Error           *string    `json:"error"`
	ResponseExcerpt *string    `json:"responseExcerpt"`
	Reason          *string    `json:"reason"`
}

// DeadLetter is one failed execution awaiting a redrive.
type DeadLetter struct {
	ID                 string     `json:"id"`
	ExecutionID        string     `json:"executionId"`
	WorkflowID         string     `json:"workflowId"`
	WebhookID          string     `json:"webhookId"`
	EventID            string     `json:"eventId"`
	Priority           int        `json:"priority"`
	Error              string     `json:"error"`
	FailedAt           time.Time  `json:"failedAt"`
	RedrivenAt         *time.Time `json:"redrivenAt"`
	RedriveExecutionID *string    `json:"redriveExecutionId"`
	RedriveCount       int        `json:"redriveCount"`
}

// ExecutionFilter selects executions (and dead letters: workflow, webhook,
// from, to).
type ExecutionFilter struct {
	WorkflowID, WebhookID, EventID, Status string
	Priority                               *int
	From, To                               *time.Time
	Cursor                                 string
	Limit                                  int
	IDs                                    []string
}

// ExecutionStore reads the execution read models and stores SLA targets
// and redrive jobs.
type ExecutionStore struct {
	pool *pgxpool.Pool
}

// NewExecutionStore returns an ExecutionStore over pool.
func NewExecutionStore(pool *pgxpool.Pool) *ExecutionStore { return &ExecutionStore{pool: pool} }

// keyset cursors: base64url("<RFC3339Nano>|<uuid>").
func encodeExecCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeExecCursor(s string) (*time.Time, *string, error) {
	if s == "" {
		return nil, nil, nil
	}
	bad := hookstream.Invalid(hookstream.EINVALID, "malformed cursor", hookstream.FieldError{Field: "cursor", Message: "malformed"})
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, nil, bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	t, terr := time.Parse(time.RFC3339Nano, ts)
	if _, uerr := uuid.Parse(id); !ok || terr != nil || uerr != nil {
		return nil, nil, bad
	}
	return &t, &id, nil
}

func scanSummary(r pgx.Row, extra ...any) (ExecutionSummary, error) {
	var e ExecutionSummary
	dest := append([]any{&e.ID, &e.WorkflowID, &e.WorkflowName, &e.WebhookID, &e.EventID, &e.Priority, &e.Status, &e.Error,
		&e.RedriveOf, &e.CreatedAt, &e.StartedAt, &e.FinishedAt, &e.DurationMs, &e.StepCount, &e.CurrentStep}, extra...)
	err := r.Scan(dest...)
	return e, err
}

// List returns a page of the tenant's executions, newest first.
func (s *ExecutionStore) List(ctx context.Context, tenantID string, f ExecutionFilter) ([]ExecutionSummary, string, error) {
	ct, cid, err := decodeExecCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, q("ExecutionsList"), tenantID, f.WorkflowID, f.WebhookID, f.EventID, f.Status, f.Priority,
		f.From, f.To, ct, cid, f.Limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list executions: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExecutionSummary, error) { return scanSummary(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list executions: %w", translate(err))
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeExecCursor(last.CreatedAt, last.ID)
	}
	return out, next, nil
}

// Get returns one of the tenant's executions with its steps. Errors:
// hookstream.ErrNotFound for an unknown, malformed or foreign id.
func (s *ExecutionStore) Get(ctx context.Context, tenantID, id string) (Execution, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Execution{}, fmt.Errorf("execution %q: %w", id, hookstream.ErrNotFound)
	}
	var ex Execution
	var trigger []byte
	sum, err := scanSummary(s.pool.QueryRow(ctx, q("ExecutionGet"), tenantID, id), &trigger)
	if err != nil {
		return ex, fmt.Errorf("get execution: %w", translate(err))
	}
	ex.ExecutionSummary = sum
	ex.TriggerData = trigger
	if len(trigger) == 0 {
		ex.TriggerData = json.RawMessage("null")
	}
	rows, err := s.pool.Query(ctx, q("ExecutionSteps"), id, tenantID)
	if err != nil {
		return ex, fmt.Errorf("execution steps: %w", translate(err))
	}
	ex.Steps, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExecutionStep, error) {
		var st ExecutionStep
		var output, attempts []byte
		err := r.Scan(&st.Index, &st.Name, &st.Type, &st.Status, &st.StartedAt, &st.FinishedAt, &st.DurationMs, &st.Error,
			&output, &st.NextAttemptAt, &attempts)
		if err != nil {
			return st, err
		}
		st.Output = output
		if len(output) == 0 {
			st.Output = json.RawMessage("null")
		}
		st.Attempts = []StepAttempt{}
		if len(attempts) > 0 {
			if err := json.Unmarshal(attempts, &st.Attempts); err != nil {
				return st, fmt.Errorf("attempts: %w", err)
			}
		}
		return st, nil
	})
	if err != nil {
		return ex, fmt.Errorf("execution steps: %w", translate(err))
	}
	if ex.Steps == nil {
		ex.Steps = []ExecutionStep{}
	}
	return ex, nil
}

// ExecutionTrigger is what a redrive needs of a failed execution.
type ExecutionTrigger struct {
	WorkflowID string
	WebhookID  string
	Priority   int
	Trigger    hookstream.TriggerContext
}

// Trigger returns an execution's trigger. Errors: hookstream.ErrNotFound,
// or ECONFLICT when its trigger is not projected yet.
func (s *ExecutionStore) Trigger(ctx context.Context, tenantID, executionID string) (ExecutionTrigger, error) {
	var t ExecutionTrigger
	var raw []byte
	err := s.pool.QueryRow(ctx, q("ExecutionTrigger"), tenantID, executionID).Scan(&t.WorkflowID, &t.WebhookID, &t.Priority, &raw)
	if err != nil {
		return t, fmt.Errorf("execution trigger: %w", translate(err))
	}
	if len(raw) == 0 {
		return t, hookstream.Errorf(hookstream.ECONFLICT, "the trigger of execution %s is not in the read model yet", executionID)
	}
	if err := json.Unmarshal(raw, &t.Trigger); err != nil {
		return t, fmt.Errorf("execution trigger: %w", err)
	}
	return t, nil
}

func scanDeadLetter(r pgx.Row) (DeadLetter, error) {
	var d DeadLetter
	err := r.Scan(&d.ID, &d.ExecutionID, &d.WorkflowID, &d.WebhookID, &d.EventID, &d.Priority, &d.Error, &d.FailedAt,
		&d.RedrivenAt, &d.RedriveExecutionID, &d.RedriveCount)
	return d, err
}

// DeadLetters returns a page of the tenant's dead letters, newest first.
// With f.IDs only those ids are considered.
func (s *ExecutionStore) DeadLetters(ctx context.Context, tenantID string, f ExecutionFilter) ([]DeadLetter, string, error) {
	ct, cid, err := decodeExecCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	ids := f.IDs
	if ids == nil {
		ids = []string{}
	}
	rows, err := s.pool.Query(ctx, q("DeadLettersList"), tenantID, f.WorkflowID, f.WebhookID, f.From, f.To, ct, cid, ids, f.Limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list dead letters: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadLetter, error) { return scanDeadLetter(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list dead letters: %w", translate(err))
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeExecCursor(last.FailedAt, last.ID)
	}
	return out, next, nil
}

// DeadLetter returns one dead letter. Errors: hookstream.ErrNotFound.
func (s *ExecutionStore) DeadLetter(ctx context.Context, tenantID, id string) (DeadLetter, error) {
	if _, err := uuid.Parse(id); err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %q: %w", id, hookstream.ErrNotFound)
	}
	d, err := scanDeadLetter(s.pool.QueryRow(ctx, q("DeadLetterGet"), tenantID, id))
	if err != nil {
		return d, fmt.Errorf("dead letter: %w", translate(err))
	}
	return d, nil
}

// SLATargets returns the tenant's targets (the defaults when it set none).
func (s *ExecutionStore) SLATargets(ctx context.Context, tenantID string) (hookstream.SLATargets, error) {
	t := hookstream.SLATargetsDefault
	err := s.pool.QueryRow(ctx, q("SLATargetsGet"), tenantID).Scan(&t.Critical, &t.High, &t.Normal, &t.Low)
	if errors.Is(err, pgx.ErrNoRows) {
		return hookstream.SLATargetsDefault, nil
	}
	if err != nil {
		return t, fmt.Errorf("sla targets: %w", translate(err))
	}
	return t, nil
}

// PutSLATargets stores the tenant's targets.
func (s *ExecutionStore) PutSLATargets(ctx context.Context, tenantID string, t hookstream.SLATargets) error {
	if _, err := s.pool.Exec(ctx, q("SLATargetsPut"), tenantID, t.Critical, t.High, t.Normal, t.Low); err != nil {
		return fmt.Errorf("put sla targets: %w", translate(err))
	}
	return nil
}

// SLAWindow is one priority's figures over a window.
type SLAWindow struct {
	Started  int64    `json:"started"`
	P50Ms    *float64 `json:"p50Ms"`
	P95Ms    *float64 `json:"p95Ms"`
	P99Ms    *float64 `json:"p99Ms"`
	Breaches int64    `json:"breaches"`
}

// SLAPriority is one priority's SLA report.
type SLAPriority struct {
	Priority int       `json:"priority"`
	Name     string    `json:"name"`
	TargetMs int64     `json:"targetMs"`
	Hour     SLAWindow `json:"hour"`
	Day      SLAWindow `json:"day"`
}

// SLA reports every priority (critical first) over the last hour and day.
func (s *ExecutionStore) SLA(ctx context.Context, tenantID string) ([]SLAPriority, error) {
	t, err := s.SLATargets(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]SLAPriority, 4)
	for i := range out {
		p := hookstream.Priority(3 - i)
		out[i] = SLAPriority{Priority: int(p), Name: hookstream.PriorityName(p), TargetMs: t.Of(p).Milliseconds()}
	}
	rows, err := s.pool.Query(ctx, q("SLAStats"), tenantID, t.Critical, t.High, t.Normal, t.Low)
	if err != nil {
		return nil, fmt.Errorf("sla: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var p int
		var h, d SLAWindow
		if err := rows.Scan(&p, &h.Started, &h.P50Ms, &h.P95Ms, &h.P99Ms, &h.Breaches, &d.Started, &d.P50Ms, &d.P95Ms, &d.P99Ms, &d.Breaches); err != nil {
			return nil, fmt.Errorf("sla: %w", err)
		}
		if p >= 0 && p <= 3 {
			out[3-p].Hour, out[3-p].Day = h, d
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sla: %w", translate(err))
	}
	return out, nil
}

// RedriveJob is a bulk redrive's progress.
type RedriveJob struct {
	JobID      string     `json:"jobId"`
	Status     string     `json:"status"`
	Matched    int64      `json:"matched"`
	Done       int64      `json:"done"`
	Failed     int64      `json:"failed"`
	CreatedAt  time.Time  `json:"createdAt"`
	FinishedAt *time.Time `json:"finishedAt"`
}

func scanRedriveJob(r pgx.Row) (RedriveJob, error) {
	var j RedriveJob
	err := r.Scan(&j.JobID, &j.Status, &j.Matched, &j.Done, &j.Failed, &j.CreatedAt, &j.FinishedAt)
	return j, err
}

// CreateRedriveJob stores a job over dead letter ids.
func (s *ExecutionStore) CreateRedriveJob(ctx context.Context, tenantID string, ids []string) (RedriveJob, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return RedriveJob{}, fmt.Errorf("job id: %w", err)
	}
	err = InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, q("RedriveJobInsert"), id.String(), tenantID, len(ids)); err != nil {
			return translate(err)
		}
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, q("RedriveJobItems"), id.String(), ids); err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return RedriveJob{}, fmt.Errorf("create redrive job: %w", err)
	}
	return s.RedriveJob(ctx, tenantID, id.String())
}

// RedriveJob returns a job. Errors: hookstream.ErrNotFound.
func (s *ExecutionStore) RedriveJob(ctx context.Context, tenantID, id string) (RedriveJob, error) {
	if _, err := uuid.Parse(id); err != nil {
		return RedriveJob{}, fmt.Errorf("redrive job %q: %w", id, hookstream.ErrNotFound)
	}
	j, err := scanRedriveJob(s.pool.QueryRow(ctx, q("RedriveJobGet"), tenantID, id))
	if err != nil {
		return j, fmt.Errorf("redrive job: %w", translate(err))
	}
	return j, nil
}

// RedriveJobs lists the tenant's last 100 jobs, newest first.
func (s *ExecutionStore) RedriveJobs(ctx context.Context, tenantID string) ([]RedriveJob, error) {
	rows, err := s.pool.Query(ctx, q("RedriveJobList"), tenantID)
	if err != nil {
		return nil, fmt.Errorf("redrive jobs: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RedriveJob, error) { return scanRedriveJob(r) })
	if err != nil {
		return nil, fmt.Errorf("redrive jobs: %w", translate(err))
	}
	return out, nil
}

// CancelRedriveJob cancels a running job; a finished job is left as it is.
// Errors: hookstream.ErrNotFound.
func (s *ExecutionStore) CancelRedriveJob(ctx context.Context, tenantID, id string) (RedriveJob, error) {
	j, err := s.RedriveJob(ctx, tenantID, id)
	if err != nil {
		return j, err
	}
	if _, err := s.pool.Exec(ctx, q("RedriveJobCancel"), tenantID, id); err != nil {
		return j, fmt.Errorf("cancel redrive job: %w", translate(err))
	}
	return s.RedriveJob(ctx, tenantID, id)
}

// ClaimRedriveJob leases the oldest running job not leased by another
// node; ok is false when there is none.
func (s *ExecutionStore) ClaimRedriveJob(ctx context.Context, owner string, lease time.Duration) (jobID, tenantID string, ok bool, err error) {
	err = s.pool.QueryRow(ctx, q("RedriveJobClaim"), owner, float64(lease.Milliseconds())).Scan(&jobID, &tenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("claim redrive job: %w", translate(err))
	}
	return jobID, tenantID, true, nil
}

// PendingRedriveItems returns up to n dead letter ids the job has not done.
func (s *ExecutionStore) PendingRedriveItems(ctx context.Context, jobID string, n int) ([]string, error) {
	rows, err := s.pool.Query(ctx, q("RedriveJobPending"), jobID, n)
	if err != nil {
		return nil, fmt.Errorf("redrive items: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("redrive items: %w", translate(err))
	}
	return out, nil
}

// MarkRedriveItem records an item's outcome (done or failed), renews the
// lease, and returns the job's status (cancelled stops the worker).
func (s *ExecutionStore) MarkRedriveItem(ctx context.Context, jobID, deadLetterID string, ok bool, lease time.Duration) (string, error) {
	state := "done"
	if !ok {
		state = "failed"
	}
	var status string
	err := s.pool.QueryRow(ctx, q("RedriveJobMark"), jobID, deadLetterID, state, float64(lease.Milliseconds())).Scan(&status)
	if err != nil {
		return "", fmt.Errorf("mark redrive item: %w", translate(err))
	}
	return status, nil
}

// FinishRedriveJob marks a running job completed.
func (s *ExecutionStore) FinishRedriveJob(ctx context.Context, jobID string) error {
	if _, err := s.pool.Exec(ctx, q("RedriveJobFinish"), jobID); err != nil {
		return fmt.Errorf("finish redrive job: %w", translate(err))
	}
	return nil
}

// RedriveTarget returns a dead letter's failed execution and its trigger.
// Errors: hookstream.ErrNotFound; ECONFLICT when the trigger is not in the
// read model yet.
func (s *ExecutionStore) RedriveTarget(ctx context.Context, tenantID, deadLetterID string) (hookstream.RedriveTarget, error) {
	d, err := s.DeadLetter(ctx, tenantID, deadLetterID)
	if err != nil {
		return hookstream.RedriveTarget{}, err
	}
	t, err := s.Trigger(ctx, tenantID, d.ExecutionID)
	if err != nil {
		return hookstream.RedriveTarget{}, err
	}
	return hookstream.RedriveTarget{
		DeadLetterID: d.ID, ExecutionID: d.ExecutionID, WorkflowID: t.WorkflowID, WebhookID: t.WebhookID,
		Priority: hookstream.Priority(t.Priority), Trigger: t.Trigger,
	}, nil
}
