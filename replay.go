package hookstream

import (
	"encoding/json"
	"errors"
	"time"
)

// ReplayActor is who asked for a replay (replay.requested data.actor).
type ReplayActor struct {
	TokenID string `json:"tokenId"`
	Role    Role   `json:"role"`
}

// ReplayRequestedData is the data of replay.requested (SPEC §7).
type ReplayRequestedData struct {
	OriginalEventID string      `json:"originalEventId"`
	RootEventID     string      `json:"rootEventId"`
	NewEventID      string      `json:"newEventId"`
	Actor           ReplayActor `json:"actor"`
	Reason          string      `json:"reason,omitempty"`
	Modified        bool        `json:"modified"`
	ReplayCount     int         `json:"replayCount"`
	JobID           string      `json:"jobId,omitempty"`
}

// ReplayEventRef locates a delivery of the delivery log in the stream.
type ReplayEventRef struct {
	ID        string
	WebhookID string
	Status    string
	Stream    string
	Seq       uint64
	CreatedAt time.Time
}

// Replay job statuses.
const (
	ReplayJobPending   = "pending"
	ReplayJobRunning   = "running"
	ReplayJobCompleted = "completed"
	ReplayJobCancelled = "cancelled"
	ReplayJobFailed    = "failed"
)

// ErrReplayLeaseLost: a replay job's lease is no longer held by the caller
// (it expired and another node claimed the job).
var ErrReplayLeaseLost = errors.New("replay job lease lost")

// ReplaySelection picks deliveries from the delivery log for a batch
// replay: IDs, or a status with an optional webhook and time range.
type ReplaySelection struct {
	IDs       []string
	WebhookID string
	Status    string
	From, To  time.Time
}

// ReplaySelectionStats describe a selection: how many deliveries and their
// range of HOOKS stream sequences.
type ReplaySelectionStats struct {
	Matched        int64
	MinSeq, MaxSeq uint64
}

// ReplayProgress is what a running replay job persists.
type ReplayProgress struct {
	Position                  uint64
	Replayed, Skipped, Failed int64
}

// ReplayJob is a batch replay job (GET /api/v1/replays/{jobId}).
type ReplayJob struct {
	ID         string          `json:"id"`
	TenantID   string          `json:"-"`
	Status     string          `json:"status"`
	Spec       json.RawMessage `json:"spec"`
	Subjects   []string        `json:"-"`
	UseSet     bool            `json:"-"`
	StartSeq   uint64          `json:"startSeq"`
	StopSeq    uint64          `json:"stopSeq"`
	RatePerSec float64         `json:"ratePerSec"`
	Reason     string          `json:"reason,omitempty"`
	WorkflowID string          `json:"workflowId,omitempty"`
	Actor      ReplayActor     `json:"actor"`
	Matched    int64           `json:"matched"`
	Replayed   int64           `json:"replayed"`
	Skipped    int64           `json:"skipped"`
	Failed     int64           `json:"failed"`
	Position   uint64          `json:"position"`
	Error      string          `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	StartedAt  *time.Time      `json:"startedAt"`
	FinishedAt *time.Time      `json:"finishedAt"`
}

// Progress returns the job's persisted progress.
func (j ReplayJob) Progress() ReplayProgress {
	return ReplayProgress{Position: j.Position, Replayed: j.Replayed, Skipped: j.Skipped, Failed: j.Failed}
}
