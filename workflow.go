package hookstream

import (
	"encoding/json"
	"time"
)

// Workflow is what a webhook triggers (SPEC §6): a name and a JSON array of
// steps, each an object with a "type" among the StepType constants. The
// runner interprets the steps; the API only checks their shape.
type Workflow struct {
	ID        string          `json:"id"`
	TenantID  string          `json:"tenantId"`
	Name      string          `json:"name"`
	Steps     json.RawMessage `json:"steps"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// StepType is the type of one workflow step.
type StepType = string

// Step types.
const (
	StepHTTP  StepType = "http"
	StepDelay StepType = "delay"
	StepLog   StepType = "log"
)
