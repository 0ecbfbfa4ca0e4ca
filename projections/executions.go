package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Names of the execution projections.
const (
	ExecutionsName        = "executions"
	ExecutionTriggersName = "execution_triggers"
)

// Executions projects the EXEC stream (execution.* and step.*) into
// executions, execution_steps and dead_letters (every failed execution is
// one dead letter).
type Executions struct{}

var _ Projection = Executions{}

// Name implements Projection.
func (Executions) Name() string { return ExecutionsName }

// Stream implements Projection.
func (Executions) Stream() string { return eventstore.StreamExec }

// Reset implements Projection: rows known from their trigger stay, back to
// pending; the rest goes.
func (Executions) Reset(ctx context.Context, tx pgx.Tx) error {
	for _, name := range []string{"ExecutionsReset", "ExecutionsResetRows", "ExecutionStepsReset", "DeadLettersReset"} {
		if _, err := tx.Exec(ctx, q(name)); err != nil {
			return err
		}
	}
	return nil
}

// attemptEntry is one element of execution_steps.attempts (SHAPES.md).
type attemptEntry struct {
	Attempt         int        `json:"attempt"`
	StartedAt       *time.Time `json:"startedAt,omitempty"`
	DurationMs      *int64     `json:"durationMs,omitempty"`
	StatusCode      *int       `json:"statusCode,omitempty"`
	Error           *string    `json:"error,omitempty"`
	ResponseExcerpt *string    `json:"responseExcerpt,omitempty"`
	Reason          *string    `json:"reason,omitempty"`
}

func resultPatch(d *hookstream.StepEventData) attemptEntry {
	a := attemptEntry{Attempt: d.Attempt}
	if d.DurationMs > 0 {
		a.DurationMs = &d.DurationMs
	}
	if d.StatusCode > 0 {
		a.StatusCode = &d.StatusCode
	}
	if d.Error != "" {
		a.Error = &d.Error
	}
	if d.ResponseExcerpt != "" {
		a.ResponseExcerpt = &d.ResponseExcerpt
	}
	return a
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Apply implements Projection.
func (Executions) Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error {
	batch := &pgx.Batch{}
	for _, ev := range events {
		if err := queueExecEvent(batch, ev); err != nil {
			return err
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

func queueExecEvent(batch *pgx.Batch, ev *hookstream.Event) error {
	poison := func(err error) error { return fmt.Errorf("%w: %s %s: %w", ErrPoison, ev.Type, ev.ID, err) }
	switch ev.Type {
	case hookstream.EventExecutionStarted:
		var d hookstream.ExecutionStartedData
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.ExecutionID == "" {
			return poison(fmt.Errorf("malformed data: %w", err))
		}
		var received *time.Time
		if !d.ReceivedAt.IsZero() {
			received = &d.ReceivedAt
		}
		batch.Queue(q("ExecStarted"), d.ExecutionID, ev.TenantID, d.WorkflowID, ev.WebhookID, d.EventID, int(ev.Priority),
			d.RedriveOf, d.StepCount, received, ev.Time)
		if len(d.StepTypes) > 0 {
			names := d.StepNames
			if len(names) != len(d.StepTypes) {
				names = make([]string, len(d.StepTypes))
			}
			batch.Queue(q("ExecStepsInit"), d.ExecutionID, ev.TenantID, d.StepTypes, names)
		}
	case hookstream.EventStepStarted, hookstream.EventStepRetrying, hookstream.EventStepCompleted, hookstream.EventStepFailed:
		var d hookstream.StepEventData
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.ExecutionID == "" {
			return poison(fmt.Errorf("malformed data: %w", err))
		}
		queueStepEvent(batch, ev, &d)
	case hookstream.EventExecutionCompleted, hookstream.EventExecutionFailed, hookstream.EventExecutionCancelled:
		var d hookstream.ExecutionFinishedData
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.ExecutionID == "" {
			return poison(fmt.Errorf("malformed data: %w", err))
		}
		status := strings.TrimPrefix(ev.Type, "execution.")
		batch.Queue(q("ExecFinished"), d.ExecutionID, ev.TenantID, d.WorkflowID, ev.WebhookID, d.EventID, int(ev.Priority),
			status, d.Error, ev.Time, d.DurationMs)
		if ev.Type == hookstream.EventExecutionFailed {
			batch.Queue(q("DeadLetterInsert"), ev.ID, ev.TenantID, d.ExecutionID, d.WorkflowID, ev.WebhookID, d.EventID,
				int(ev.Priority), d.Error, ev.Time)
			batch.Queue(q("ExecLinkRedrive"), d.ExecutionID)
		}
	}
	return nil
}

func queueStepEvent(batch *pgx.Batch, ev *hookstream.Event, d *hookstream.StepEventData) {
	switch ev.Type {
	case hookstream.EventStepStarted:
		at := ev.Time
		entry := attemptEntry{Attempt: d.Attempt, StartedAt: &at}
		status := "running"
		if d.ResumeAt != nil {
			status = "waiting"
		}
		batch.Queue(q("ExecStepStarted"), d.ExecutionID, d.StepIndex, ev.TenantID, mustJSON(entry), status, d.ResumeAt, d.StepType, ev.Time)
		batch.Queue(q("ExecProgress"), d.ExecutionID, d.StepIndex, "running")
	case hookstream.EventStepRetrying:
		circuit := d.Reason != ""
		patch := resultPatch(d)
		if circuit {
			at := ev.Time
			patch.StartedAt, patch.Reason = &at, &d.Reason
		}
		batch.Queue(q("ExecStepRetrying"), d.ExecutionID, d.StepIndex, d.NextAttemptAt, mustJSON(patch), circuit)
		batch.Queue(q("ExecProgress"), d.ExecutionID, d.StepIndex, "retrying")
	case hookstream.EventStepCompleted, hookstream.EventStepFailed:
		status := strings.TrimPrefix(ev.Type, "step.")
		var output any
		if len(d.Output) > 0 {
			output = string(d.Output)
		}
		batch.Queue(q("ExecStepFinished"), d.ExecutionID, d.StepIndex, status, ev.Time, d.DurationMs, d.Error, output,
			mustJSON(resultPatch(d)))
		next := d.StepIndex
		if ev.Type == hookstream.EventStepCompleted {
			next++
		}
		batch.Queue(q("ExecProgress"), d.ExecutionID, next, "running")
	}
}

// ExecutionTriggers projects workflow.triggered events of the HOOKS
// stream: an execution exists (pending) from its trigger on, with the
// trigger data a redrive reuses; a redrive's trigger links its dead letter.
type ExecutionTriggers struct{}

var _ Projection = ExecutionTriggers{}

// Name implements Projection.
func (ExecutionTriggers) Name() string { return ExecutionTriggersName }

// Stream implements Projection.
func (ExecutionTriggers) Stream() string { return eventstore.StreamHooks }

// Reset implements Projection.
func (ExecutionTriggers) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, q("ExecutionTriggersReset"))
	return err
}

// Apply implements Projection.
func (ExecutionTriggers) Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error {
	batch := &pgx.Batch{}
	for _, ev := range events {
		if ev.Type != hookstream.EventWorkflowTriggered {
			continue
		}
		var d hookstream.TriggeredData
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.ExecutionID == "" {
			return fmt.Errorf("%w: workflow.triggered %s: malformed data", ErrPoison, ev.ID)
		}
		if _, err := uuid.Parse(d.ExecutionID); err != nil {
			return fmt.Errorf("%w: workflow.triggered %s: execution id %q", ErrPoison, ev.ID, d.ExecutionID)
		}
		received := ev.Time
		if s, ok := d.Trigger.Metadata["receivedAt"].(string); ok && d.RedriveOf == "" && ev.ReplayCount == 0 {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				received = t
			}
		}
		trigger := map[string]any{
			"headers": d.Trigger.Headers, "query": d.Trigger.Query, "body": d.Trigger.Body,
			"metadata": d.Trigger.Metadata, "eventId": d.Trigger.EventID, "webhookId": d.Trigger.WebhookID,
		}
		if len(d.Trigger.Body) == 0 {
			trigger["body"] = nil
		}
		batch.Queue(q("ExecTriggered"), d.ExecutionID, ev.TenantID, d.WorkflowID, ev.WebhookID, d.Trigger.EventID,
			int(ev.Priority), d.RedriveOf, mustJSON(trigger), received, ev.Time)
		if d.RedriveOf != "" {
			batch.Queue(q("ExecLinkRedrive"), d.RedriveOf)
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}
