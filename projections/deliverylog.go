package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// DeliveryLogName is the delivery log projection's name.
const DeliveryLogName = "webhook_events"

// DeliveryLog projects the HOOKS stream into webhook_events (the delivery
// log) and webhook_stats (trigger count and last trigger per webhook,
// copied onto the webhooks table).
//
// Status moves received → processed | filtered | failed (and failed →
// processed when a retry succeeds); rejected is its own row. A status
// update never moves a row back, so applying the stream in order is
// idempotent. Rows keep the payload as received: maskPaths apply when rows
// are read (API, export), so changing a webhook's maskPaths takes effect at
// once for every stored row.
type DeliveryLog struct{}

// Name implements Projection.
func (DeliveryLog) Name() string { return DeliveryLogName }

// Stream implements Projection.
func (DeliveryLog) Stream() string { return eventstore.StreamHooks }

// Reset implements Projection.
func (DeliveryLog) Reset(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, q("ResetDeliveryLog")); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, q("ResetWebhookTriggerStats"))
	return err
}

type derivedData struct {
	EventID     string `json:"eventId"`
	// OriginalEventID is webhook.duplicate's reference.
	OriginalEventID string `json:"originalEventId"`
	Reason      string `json:"reason"`
	Error       string `json:"error"`
	ExecutionID string `json:"executionId"`
	WorkflowID  string `json:"workflowId"`
	Trigger     *struct {
		EventID string `json:"eventId"`
	} `json:"trigger"`
}

type statAcc struct {
	tenant string
	count  int64
	last   time.Time
}

// Apply implements Projection: one pipelined pgx.Batch per call.
func (DeliveryLog) Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error {
	b := &pgx.Batch{}
	stats := map[string]*statAcc{}
	var order []string
	for _, ev := range events {
		if err := queueDeliveryEvent(b, ev, stats, &order); err != nil {
			return fmt.Errorf("%w: %s %s/%d: %w", ErrPoison, ev.Type, ev.Stream, ev.Sequence, err)
		}
	}
	if len(order) > 0 {
		ids := make([]string, 0, len(order))
		tenants := make([]string, 0, len(order))
		counts := make([]int64, 0, len(order))
		lasts := make([]time.Time, 0, len(order))
		for _, id := range order {
			s := stats[id]
			ids, tenants, counts, lasts = append(ids, id), append(tenants, s.tenant), append(counts, s.count), append(lasts, s.last)
		}
		b.Queue(q("UpsertWebhookStats"), ids, tenants, counts, lasts)
		b.Queue(q("CopyStatsToWebhooks"), ids)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

func queueDeliveryEvent(b *pgx.Batch, ev *hookstream.Event, stats map[string]*statAcc, order *[]string) error {
	seq := int64(ev.Sequence) //nolint:gosec // positive
	switch ev.Type {
	case hookstream.EventWebhookReceived:
		var d hookstream.ReceivedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		body, bodyText, enc := bodyColumns(d.Body, d.BodyEncoding)
		var replayOf *string
		if ev.ReplayOf != "" {
			replayOf = &ev.ReplayOf
		}
		b.Queue(q("InsertReceived"), ev.ID, ev.TenantID, ev.WebhookID, ev.WorkflowID, d.Method,
			jsonOr(d.Headers, "{}"), jsonOr(d.Query, "{}"), jsonParam(body), bodyText, d.ContentType,
			d.DeliveryID, replayOf, ev.ReplayCount, int(ev.Priority), jsonOr(d.Metadata, "{}"), seq, ev.Time, enc)
		s := stats[ev.WebhookID]
		if s == nil {
			s = &statAcc{tenant: ev.TenantID}
			stats[ev.WebhookID] = s
			*order = append(*order, ev.WebhookID)
		}
		s.count++
		if ev.Time.After(s.last) {
			s.last = ev.Time
		}
	case hookstream.EventWebhookRejected:
		var d hookstream.RejectedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		raw, _ := json.Marshal(d.Body)
		body, bodyText, _ := bodyColumns(raw, "")
		if !d.Truncated && json.Valid([]byte(d.Body)) {
			body = []byte(sanitizeJSON(d.Body))
		}
		b.Queue(q("InsertRejected"), ev.ID, ev.TenantID, ev.WebhookID, ev.WorkflowID, d.Method,
			jsonOr(d.Headers, "{}"), jsonOr(d.Query, "{}"), jsonParam(body), bodyText,
			d.Status, d.Reason, jsonOr(d.Metadata, "{}"), seq, ev.Time, int(ev.Priority), ev.ReplayCount)
	case hookstream.EventWebhookFiltered, hookstream.EventWebhookProcessed, hookstream.EventWebhookFailed,
		hookstream.EventWebhookDuplicate, hookstream.EventWorkflowTriggered:
		var d derivedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		target := d.EventID
		if target == "" {
			target = d.OriginalEventID
		}
		if target == "" && d.Trigger != nil {
			target = d.Trigger.EventID
		}
		if target == "" {
			return nil // nothing in the delivery log to update
		}
		switch ev.Type {
		case hookstream.EventWebhookFiltered:
			b.Queue(q("MarkFiltered"), target, ev.TenantID, d.Reason, ev.Time)
		case hookstream.EventWebhookProcessed:
			b.Queue(q("MarkProcessed"), target, ev.TenantID, d.ExecutionID, d.WorkflowID, ev.Time)
		case hookstream.EventWebhookFailed:
			b.Queue(q("MarkFailed"), target, ev.TenantID, d.Error, ev.Time)
		case hookstream.EventWebhookDuplicate:
			b.Queue(q("CountDuplicate"), target, ev.TenantID)
		case hookstream.EventWorkflowTriggered:
			b.Queue(q("LinkExecution"), target, ev.TenantID, d.ExecutionID, d.WorkflowID)
		}
	}
	return nil
}

// bodyColumns returns the body (jsonb, the JSON value as stored in the
// event: objects, arrays, and strings for text or base64 bodies), the
// lower-cased search text and the encoding.
func bodyColumns(raw json.RawMessage, encoding string) (body []byte, text, enc string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", encoding
	}
	// jsonb cannot hold U+0000.
	raw = bytes.ReplaceAll(raw, []byte(`\u0000`), []byte(`\ufffd`))
	if encoding != "" {
		return raw, "", encoding // binary: not searchable
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return raw, sanitizeText(strings.ToLower(s)), ""
		}
	}
	return raw, sanitizeText(strings.ToLower(string(raw))), ""
}

// sanitizeText drops NUL bytes, which PostgreSQL text cannot hold.
func sanitizeText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// jsonOr marshals v, or returns def for nil/empty values. JSON parameters
// are passed as strings: in QueryExecModeExec a []byte is sent as bytea.
func jsonOr(v any, def string) string {
	switch x := v.(type) {
	case map[string][]string:
		if len(x) == 0 {
			return def
		}
	case map[string]any:
		if len(x) == 0 {
			return def
		}
	}
	raw, err := json.Marshal(v)
	if err != nil || string(raw) == "null" {
		return def
	}
	return sanitizeJSON(string(raw))
}

// sanitizeJSON replaces \u0000, which jsonb cannot hold.
func sanitizeJSON(s string) string {
	return strings.ReplaceAll(s, `\u0000`, `\ufffd`)
}

// jsonParam is a nullable jsonb parameter.
func jsonParam(raw []byte) *string {
	if raw == nil {
		return nil
	}
	s := string(raw)
	return &s
}
