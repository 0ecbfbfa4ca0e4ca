package hookstream

import (
	"encoding/json"
	"time"
)

// EventType names a kind of event. Core types are registered with a JSON
// Schema of their data (SPEC §2, §5).
type EventType = string

// Core event types.
const (
	EventWebhookReceived      EventType = "webhook.received"
	EventWebhookRejected      EventType = "webhook.rejected"
	EventWebhookFiltered      EventType = "webhook.filtered"
	EventWebhookProcessed     EventType = "webhook.processed"
	EventWebhookFailed        EventType = "webhook.failed"
	EventWorkflowTriggered    EventType = "workflow.triggered"
	EventExecutionStarted     EventType = "execution.started"
	EventExecutionCompleted   EventType = "execution.completed"
	EventExecutionFailed      EventType = "execution.failed"
	EventExecutionCancelled   EventType = "execution.cancelled"
	EventStepStarted          EventType = "step.started"
	EventStepCompleted        EventType = "step.completed"
	EventStepFailed           EventType = "step.failed"
	EventStepRetrying         EventType = "step.retrying"
	EventReplayRequested      EventType = "replay.requested"
	EventWebhookCreated       EventType = "webhook.created"
	EventWebhookUpdated       EventType = "webhook.updated"
	EventWebhookDeleted       EventType = "webhook.deleted"
	EventWebhookSecretRotated EventType = "webhook.secret_rotated"
)

// Event is a CloudEvents 1.0 event in structured JSON mode, as stored in the
// JetStream message data. Extension attributes (tenantid, webhookid, priority,
// replaycount, replayof) are lower case as CloudEvents requires.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            EventType `json:"type"`
	Subject         string    `json:"subject,omitempty"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype,omitempty"`
	TenantID        string    `json:"tenantid"`
	WebhookID       string    `json:"webhookid,omitempty"`
	WorkflowID      string    `json:"workflowid,omitempty"`
	Priority        Priority  `json:"priority"`
	ReplayCount     int       `json:"replaycount"`
	ReplayOf        string    `json:"replayof"`
	// Outcome, on webhook.received, is the decision ingest already took
	// when nothing was left to decide asynchronously: OutcomeProcessed or
	// OutcomeFiltered (the reason is ReceivedData.FilteredReason). Empty:
	// the pipeline decides (SPEC §4) and appends the derived events.
	Outcome string          `json:"outcome,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`

	// Sequence is the JetStream stream sequence; set when read, not stored.
	Sequence uint64 `json:"-"`
	// Stream is the stream the event was read from; set when read.
	Stream string `json:"-"`
}

// Outcomes recorded by ingest on webhook.received (Event.Outcome).
const (
	OutcomeProcessed = "processed"
	OutcomeFiltered  = "filtered"
)

// ReceivedData is the data of webhook.received (SPEC §2).
type ReceivedData struct {
	Method       string              `json:"method"`
	Path         string              `json:"path"`
	Headers      map[string][]string `json:"headers"`
	Query        map[string][]string `json:"query,omitempty"`
	Body         json.RawMessage     `json:"body,omitempty"`
	BodyEncoding string              `json:"bodyEncoding,omitempty"`
	ContentType  string              `json:"contentType,omitempty"`
	BodyBytes    int                 `json:"bodyBytes"`
	Metadata     map[string]any      `json:"metadata,omitempty"`
	Auth         AuthResult          `json:"auth"`
	DeliveryID   string              `json:"deliveryId,omitempty"`
	Test         bool                `json:"test,omitempty"`
	// SchemaErrors is set when schemaMode is warn and the body failed.
	SchemaErrors []FieldError `json:"schemaErrors,omitempty"`
	// FilteredReason is the failing rule when ingest filtered the delivery
	// (Event.Outcome == OutcomeFiltered).
	FilteredReason string `json:"filteredReason,omitempty"`
}

// AuthResult records how a delivery was authenticated.
type AuthResult struct {
	Type     AuthType `json:"type"`
	Scheme   string   `json:"scheme,omitempty"`
	Verified bool     `json:"verified"`
}

// RejectedData is the data of webhook.rejected.
type RejectedData struct {
	Status    int                 `json:"status"`
	Code      string              `json:"code"`
	Reason    string              `json:"reason"`
	Method    string              `json:"method"`
	Path      string              `json:"path"`
	Headers   map[string][]string `json:"headers"`
	Query     map[string][]string `json:"query,omitempty"`
	Body      string              `json:"body"`
	Truncated bool                `json:"truncated"`
	Metadata  map[string]any      `json:"metadata,omitempty"`
	Errors    []FieldError        `json:"errors,omitempty"`
}

// RejectedBodyMax is how much of a rejected body is kept (SPEC §3.1).
const RejectedBodyMax = 4096
