package hookstream

import "time"

// WebhookStats are a webhook's delivery statistics from the read models
// (SPEC §7): how often it was triggered, when last, and its error rate. The
// webhook management API merges them into the Webhook JSON when available.
type WebhookStats struct {
	TriggerCount    int64
	LastTriggeredAt *time.Time
	ErrorRate       ErrorRate
}

// EventWebhookDuplicate is appended (stream HOOKS) each time a delivery is
// refused as a duplicate inside the duplicate window, so the delivery log can
// count redeliveries (webhook_events.duplicate_count) from the stream alone.
// Its data is DuplicateData. It never carries the payload.
const EventWebhookDuplicate EventType = "webhook.duplicate"

// DuplicateData is the data of webhook.duplicate.
type DuplicateData struct {
	// EventID is the id of the webhook.received event the delivery
	// duplicates.
	EventID string `json:"eventId"`
	// OriginalSeq is the HOOKS sequence of the original.
	OriginalSeq uint64 `json:"originalSeq"`
	DeliveryID  string `json:"deliveryId"`
}
