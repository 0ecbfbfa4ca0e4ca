package hookstream

import (
	"encoding/json"
	"time"
)

// Workflow is what a webhook triggers (SPEC §6): a name, a JSON array of
// steps (each a Step), and its retry, timeout and breaker settings.
type Workflow struct {
	ID          string          `json:"id"`
	TenantID    string          `json:"tenantId"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Steps       json.RawMessage `json:"steps"`
	Retry       RetryPolicy     `json:"retry"`
	TimeoutMs   int             `json:"timeoutMs"`
	Breaker     BreakerPolicy   `json:"breaker"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// StepType is the type of one workflow step.
type StepType = string

// Step types.
const (
	StepHTTP  StepType = "http"
	StepDelay StepType = "delay"
	StepLog   StepType = "log"
)
