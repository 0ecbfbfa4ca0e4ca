package hookstream

import (
	"encoding/json"
	"time"
)

// Workflow settings defaults (SPEC §6).
const (
	RetryMaxAttemptsDefault     = 5
	RetryInitialIntervalDefault = 1000
	RetryMaxIntervalDefault     = 30000
	RetryMultiplierDefault      = 2.0
	StepTimeoutMsDefault        = 10000
	BreakerFailureThresholdDef  = 5
	BreakerCooldownMsDefault    = 30000
	ResponseExcerptMax          = 64 << 10
)

// ReasonCircuitOpen is the reason of a step.retrying event written while
// the destination's circuit breaker is open.
const ReasonCircuitOpen = "circuit_open"

// RetryPolicy is a workflow's retry settings.
type RetryPolicy struct {
	MaxAttempts       int     `json:"maxAttempts"`
	InitialIntervalMs int     `json:"initialIntervalMs"`
	MaxIntervalMs     int     `json:"maxIntervalMs"`
	Multiplier        float64 `json:"multiplier"`
}

// WithDefaults fills zero fields.
func (p RetryPolicy) WithDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = RetryMaxAttemptsDefault
	}
	if p.InitialIntervalMs <= 0 {
		p.InitialIntervalMs = RetryInitialIntervalDefault
	}
	if p.MaxIntervalMs <= 0 {
		p.MaxIntervalMs = RetryMaxIntervalDefault
	}
	if p.Multiplier < 1 {
		p.Multiplier = RetryMultiplierDefault
	}
	return p
}

// BreakerPolicy is a workflow's circuit breaker settings.
type BreakerPolicy struct {
	FailureThreshold int `json:"failureThreshold"`
	CooldownMs       int `json:"cooldownMs"`
}

// WithDefaults fills zero fields.
func (p BreakerPolicy) WithDefaults() BreakerPolicy {
	if p.FailureThreshold <= 0 {
		p.FailureThreshold = BreakerFailureThresholdDef
	}
	if p.CooldownMs <= 0 {
		p.CooldownMs = BreakerCooldownMsDefault
	}
	return p
}

// Step is one workflow step (SPEC §6). Which fields apply depends on Type:
// http uses Method, URL, Headers and Body (templates); delay uses Ms; log
// uses Message (a template).
type Step struct {
	Type    StepType          `json:"type"`
	Name    string            `json:"name,omitempty"`
	Method  string            `json:"method,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	Ms      int64             `json:"ms,omitempty"`
	Message string            `json:"message,omitempty"`
}

// WorkflowSpec is what the runner executes: the steps and settings of a
// workflow, snapshotted when an execution starts.
type WorkflowSpec struct {
	Name      string        `json:"name"`
	Steps     []Step        `json:"steps"`
	Retry     RetryPolicy   `json:"retry"`
	TimeoutMs int           `json:"timeoutMs"`
	Breaker   BreakerPolicy `json:"breaker"`
}

// TriggerContext is the trigger of an execution, as templates see it.
type TriggerContext struct {
	Headers   map[string][]string `json:"headers"`
	Query     map[string][]string `json:"query,omitempty"`
	Body      json.RawMessage     `json:"body"`
	Metadata  map[string]any      `json:"metadata"`
	EventID   string              `json:"eventId"`
	WebhookID string              `json:"webhookId"`
}

// TriggeredData is the data of workflow.triggered (SPEC §4). RedriveOf is
// set when a dead letter is redriven: the failed execution's id.
type TriggeredData struct {
	ExecutionID string         `json:"executionId"`
	WorkflowID  string         `json:"workflowId"`
	NodeID      string         `json:"nodeId,omitempty"`
	Trigger     TriggerContext `json:"trigger"`
	Priority    Priority       `json:"priority"`
	RedriveOf   string         `json:"redriveOf,omitempty"`
}

// ExecutionStartedData is the data of execution.started. ReceivedAt is
// when the triggering delivery was received (the SLA clock's start).
type ExecutionStartedData struct {
	ExecutionID string    `json:"executionId"`
	WorkflowID  string    `json:"workflowId"`
	EventID     string    `json:"eventId"`
	RedriveOf   string    `json:"redriveOf,omitempty"`
	ReceivedAt  time.Time `json:"receivedAt,omitzero"`
	StepCount   int       `json:"stepCount,omitempty"`
	StepTypes   []string  `json:"stepTypes,omitempty"`
	StepNames   []string  `json:"stepNames,omitempty"`
}

// ExecutionFinishedData is the data of execution.completed, .failed and
// .cancelled. FailedStep is the index of the step that failed (failed only).
type ExecutionFinishedData struct {
	ExecutionID string `json:"executionId"`
	WorkflowID  string `json:"workflowId"`
	EventID     string `json:"eventId"`
	Error       string `json:"error,omitempty"`
	DurationMs  int64  `json:"durationMs"`
	FailedStep  *int   `json:"failedStep,omitempty"`
}

// StepEventData is the data of step.started, .completed, .failed and
// .retrying. Reason is "circuit_open" when a step waits for an open
// breaker (not counted as an attempt); Output is a completed step's result
// (for http: statusCode, headers and body).
type StepEventData struct {
	ExecutionID     string          `json:"executionId"`
	StepIndex       int             `json:"stepIndex"`
	StepType        StepType        `json:"stepType"`
	Attempt         int             `json:"attempt"`
	Error           string          `json:"error,omitempty"`
	DurationMs      int64           `json:"durationMs,omitempty"`
	StatusCode      int             `json:"statusCode,omitempty"`
	ResponseExcerpt string          `json:"responseExcerpt,omitempty"`
	NextAttemptAt   *time.Time      `json:"nextAttemptAt,omitempty"`
	Reason          string          `json:"reason,omitempty"`
	Output          json.RawMessage `json:"output,omitempty"`
	ResumeAt        *time.Time      `json:"resumeAt,omitempty"`
}

// SLATargets are a tenant's time-to-start targets per priority, in ms
// (SPEC §6: received → execution.started).
type SLATargets struct {
	Critical int64 `json:"critical"`
	High     int64 `json:"high"`
	Normal   int64 `json:"normal"`
	Low      int64 `json:"low"`
}

// SLATargetsDefault are the targets of a tenant that set none.
var SLATargetsDefault = SLATargets{Critical: 1000, High: 5000, Normal: 30000, Low: 300000}

// Of returns the target of priority p.
func (t SLATargets) Of(p Priority) time.Duration {
	ms := t.Normal
	switch p {
	case PriorityCritical:
		ms = t.Critical
	case PriorityHigh:
		ms = t.High
	case PriorityLow:
		ms = t.Low
	case PriorityNormal:
	}
	return time.Duration(ms) * time.Millisecond
}

// PriorityName is the lower-case name of a priority (critical, high,
// normal, low).
func PriorityName(p Priority) string {
	switch p {
	case PriorityCritical:
		return "critical"
	case PriorityHigh:
		return "high"
	case PriorityLow:
		return "low"
	default:
		return "normal"
	}
}

// RedriveTarget is what a redrive needs of a dead letter: the failed
// execution and its trigger.
type RedriveTarget struct {
	DeadLetterID string
	ExecutionID  string
	WorkflowID   string
	WebhookID    string
	Priority     Priority
	Trigger      TriggerContext
}
