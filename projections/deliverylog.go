package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
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
	EventID string `json:"eventId"`
	// OriginalEventID is webhook.duplicate's reference.
	OriginalEventID string `json:"originalEventId"`
	Reason          string `json:"reason"`
	Error           string `json:"error"`
	ExecutionID     string `json:"executionId"`
	WorkflowID      string `json:"workflowId"`
	Trigger         *struct {
		EventID string `json:"eventId"`
	} `json:"trigger"`
}

type statAcc struct {
	tenant string
	count  int64
	last   time.Time
}

// Apply implements Projection. A batch becomes a handful of set-based
// statements, pipelined in one round trip:
//
//   - the rows of webhook.received and webhook.rejected in one INSERT … SELECT
//     FROM unnest(…); a later event of the same batch about such a row
//     (filtered, processed, failed, duplicate, workflow.triggered) is folded
//     into the row before it is written, with the same rules as the
//     UPDATE statements, so most rows are written once;
//   - the updates of rows written by earlier batches, one UPDATE … FROM
//     unnest(…) per kind, in rounds that hold each row at most once (the
//     order of two updates of one row matters), duplicate counts summed;
//   - the trigger statistics, summed per webhook.
func (DeliveryLog) Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error {
	a := newDeliveryBatch()
	for _, ev := range events {
		if err := a.add(ev); err != nil {
			return fmt.Errorf("%w: %s %s/%d: %w", ErrPoison, ev.Type, ev.Stream, ev.Sequence, err)
		}
	}
	pre, rows, post := a.queue()
	if pre.Len() > 0 {
		if err := tx.SendBatch(ctx, pre).Close(); err != nil {
			return err
		}
	}
	if rows != nil {
		// Its own round trip in QueryExecModeCacheDescribe: the rows (1 KB
		// bodies) go as binary arrays instead of quoted text arrays, which
		// cost the most client and server CPU of the projection.
		if _, err := tx.Exec(ctx, q("InsertDeliveryRowsDescribed"), append([]any{pgx.QueryExecModeCacheDescribe}, rows...)...); err != nil {
			return err
		}
	}
	if post.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, post).Close()
}

// deliveryRow is a webhook_events row written by the current batch.
type deliveryRow struct {
	id, tenant, webhook, workflow, execution, method string
	headers, query, metadata                         string
	body                                             *string
	bodyText, contentType, status, errorMessage      string
	filteredReason, deliveryID, bodyEncoding         string
	replayOf                                         *string
	responseStatus, replayCount, priority, dupes     int
	seq                                              int64
	created                                          time.Time
	processed                                        *time.Time
	test                                             bool
}

// deliveryUpdate is a derived event about a row of an earlier batch.
type deliveryUpdate struct {
	typ, target, tenant string
	text, execution     string // reason or error; execution id
	workflow            string
	at                  time.Time
}

type deliveryBatch struct {
	rows   []*deliveryRow
	byID   map[string]*deliveryRow
	rounds [][]deliveryUpdate
	// seen counts the updates queued per target: the round of the next.
	seen       map[string]int
	dupes      map[string]*[2]string // target|tenant → {target, tenant}, counted in dupeN
	dupeN      map[string]int
	dupeOrder  []string
	stats      map[string]*statAcc
	statsOrder []string
}

func newDeliveryBatch() *deliveryBatch {
	return &deliveryBatch{byID: map[string]*deliveryRow{}, seen: map[string]int{}, dupes: map[string]*[2]string{},
		dupeN: map[string]int{}, stats: map[string]*statAcc{}}
}

// normID returns the canonical form of a uuid, or s when it is not one
// (PostgreSQL then rejects it: a poison event).
func normID(s string) string {
	if u, err := uuid.Parse(s); err == nil {
		return u.String()
	}
	return s
}

func (a *deliveryBatch) add(ev *hookstream.Event) error {
	seq := int64(ev.Sequence) // positive
	switch ev.Type {
	case hookstream.EventWebhookReceived:
		var d receivedColumns
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		body, bodyText, enc := bodyColumns(d.Body, d.BodyEncoding)
		var replayOf *string
		if ev.ReplayOf != "" {
			replayOf = &ev.ReplayOf
		}
		// Decided at ingest (Event.Outcome): the row starts in its final
		// status; no derived event follows.
		status, reason := "received", ""
		var processed *time.Time
		switch ev.Outcome {
		case hookstream.OutcomeProcessed:
			status, processed = "processed", &ev.Time
		case hookstream.OutcomeFiltered:
			status, reason, processed = "filtered", d.FilteredReason, &ev.Time
		}
		a.addRow(&deliveryRow{id: ev.ID, tenant: ev.TenantID, webhook: ev.WebhookID, workflow: ev.WorkflowID,
			method: d.Method, headers: rawObject(d.Headers), query: rawObject(d.Query), body: jsonParam(body),
			// A webhook.received is stored only once ingest (or the replay
			// API) answered 202 Accepted for it.
			bodyText: bodyText, contentType: d.ContentType, status: status, responseStatus: http.StatusAccepted, deliveryID: d.DeliveryID,
			replayOf: replayOf, replayCount: ev.ReplayCount, priority: int(ev.Priority), metadata: rawObject(d.Metadata),
			seq: seq, created: ev.Time, bodyEncoding: enc, filteredReason: reason, processed: processed, test: d.Test})
		if d.Test {
			break // test deliveries stay out of the statistics (SPEC §9)
		}
		s := a.stats[ev.WebhookID]
		if s == nil {
			s = &statAcc{tenant: ev.TenantID}
			a.stats[ev.WebhookID] = s
			a.statsOrder = append(a.statsOrder, ev.WebhookID)
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
		raw, err := json.Marshal(d.Body)
		if err != nil {
			return err
		}
		body, bodyText, _ := bodyColumns(raw, "")
		if !d.Truncated && json.Valid([]byte(d.Body)) {
			body = pgJSON([]byte(d.Body))
		}
		a.addRow(&deliveryRow{id: ev.ID, tenant: ev.TenantID, webhook: ev.WebhookID, workflow: ev.WorkflowID,
			method: d.Method, headers: jsonObject(d.Headers), query: jsonObject(d.Query), body: jsonParam(body),
			bodyText: bodyText, status: "rejected", responseStatus: d.Status, errorMessage: d.Reason,
			metadata: jsonObject(d.Metadata), seq: seq, created: ev.Time, priority: int(ev.Priority), replayCount: ev.ReplayCount,
			test: d.Metadata["test"] == true})
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
		u := deliveryUpdate{typ: ev.Type, target: target, tenant: ev.TenantID, execution: d.ExecutionID,
			workflow: d.WorkflowID, at: ev.Time}
		switch ev.Type {
		case hookstream.EventWebhookFiltered:
			u.text = d.Reason
		case hookstream.EventWebhookFailed:
			u.text = d.Error
		}
		a.addUpdate(u)
	}
	return nil
}

func (a *deliveryBatch) addRow(r *deliveryRow) {
	for _, f := range []*string{&r.method, &r.contentType, &r.errorMessage, &r.filteredReason, &r.deliveryID, &r.bodyEncoding, &r.bodyText} {
		*f = pgText(*f)
	}
	key := normID(r.id)
	if _, dup := a.byID[key]; dup {
		return // ON CONFLICT (id) DO NOTHING: the first one stays
	}
	a.byID[key] = r
	a.rows = append(a.rows, r)
}

// addUpdate folds u into a row of this batch or queues it for its round.
func (a *deliveryBatch) addUpdate(u deliveryUpdate) {
	u.text = pgText(u.text)
	key := normID(u.target)
	if r := a.byID[key]; r != nil {
		if t, err := uuid.Parse(u.tenant); err == nil && t.String() == normID(r.tenant) {
			r.fold(u)
			return
		} else if err == nil {
			return // another tenant's row: the UPDATE would match nothing
		}
		// An invalid tenant: let PostgreSQL reject it as before.
	}
	if u.typ == hookstream.EventWebhookDuplicate {
		// Only duplicate_count changes: counts commute, sum them.
		dk := key + "|" + u.tenant
		if _, ok := a.dupes[dk]; !ok {
			a.dupes[dk] = &[2]string{u.target, u.tenant}
			a.dupeOrder = append(a.dupeOrder, dk)
		}
		a.dupeN[dk]++
		return
	}
	round := a.seen[key]
	a.seen[key] = round + 1
	if round == len(a.rounds) {
		a.rounds = append(a.rounds, nil)
	}
	a.rounds[round] = append(a.rounds[round], u)
}

// fold applies u to a row not yet written, exactly as the UPDATE
// statements in deliverylog.sql would (processing_time_ms is computed from
// processed_at by the INSERT, as the UPDATEs do).
func (r *deliveryRow) fold(u deliveryUpdate) {
	at := u.at
	switch u.typ {
	case hookstream.EventWebhookFiltered:
		if r.status == "received" {
			r.status, r.filteredReason, r.processed = "filtered", u.text, &at
		}
	case hookstream.EventWebhookProcessed:
		if r.status == "received" || r.status == "failed" {
			r.status, r.processed, r.errorMessage = "processed", &at, ""
			if u.execution != "" {
				r.execution = u.execution
			}
			if u.workflow != "" {
				r.workflow = u.workflow
			}
		}
	case hookstream.EventWebhookFailed:
		if r.status == "received" {
			r.status, r.errorMessage, r.processed = "failed", u.text, &at
		}
	case hookstream.EventWebhookDuplicate:
		r.dupes++
	case hookstream.EventWorkflowTriggered:
		if u.execution != "" {
			r.execution = u.execution
		}
		if u.workflow != "" && r.workflow == "" {
			r.workflow = u.workflow
		}
	}
}

// queue builds the statements of the batch: the pipelined updates of
// earlier rows (pre), the arguments of the row INSERT (nil: no rows) and
// the pipelined statistics (post). The updates of earlier rows run before
// the INSERT: an update that precedes its row in the stream matches
// nothing, as it would have one event at a time.
func (a *deliveryBatch) queue() (pre *pgx.Batch, rows []any, post *pgx.Batch) {
	b := &pgx.Batch{}
	pre, post = b, &pgx.Batch{}
	for _, round := range a.rounds {
		byType := map[string][]deliveryUpdate{}
		var order []string
		for _, u := range round {
			if _, ok := byType[u.typ]; !ok {
				order = append(order, u.typ)
			}
			byType[u.typ] = append(byType[u.typ], u)
		}
		for _, typ := range order {
			us := byType[typ]
			targets, tenants, texts, execs, wfs := make([]string, len(us)), make([]string, len(us)), make([]string, len(us)), make([]string, len(us)), make([]string, len(us))
			ats := make([]time.Time, len(us))
			for i, u := range us {
				targets[i], tenants[i], texts[i], execs[i], wfs[i], ats[i] = u.target, u.tenant, u.text, u.execution, u.workflow, u.at
			}
			switch typ {
			case hookstream.EventWebhookFiltered:
				b.Queue(q("MarkFilteredBatch"), targets, tenants, texts, ats)
			case hookstream.EventWebhookProcessed:
				b.Queue(q("MarkProcessedBatch"), targets, tenants, execs, wfs, ats)
			case hookstream.EventWebhookFailed:
				b.Queue(q("MarkFailedBatch"), targets, tenants, texts, ats)
			case hookstream.EventWorkflowTriggered:
				b.Queue(q("LinkExecutionBatch"), targets, tenants, execs, wfs)
			}
		}
	}
	if len(a.dupeOrder) > 0 {
		targets, tenants, counts := make([]string, 0, len(a.dupeOrder)), make([]string, 0, len(a.dupeOrder)), make([]int32, 0, len(a.dupeOrder))
		for _, k := range a.dupeOrder {
			d := a.dupes[k]
			targets, tenants, counts = append(targets, d[0]), append(tenants, d[1]), append(counts, int32(a.dupeN[k])) // ≤ batch size
		}
		b.Queue(q("CountDuplicatesBatch"), targets, tenants, counts)
	}
	if n := len(a.rows); n > 0 {
		var (
			ids, tenants, webhooks, workflows, executions, methods = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			headers, queries, metadata, texts, ctypes, statuses    = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			errs, reasons, deliveries, encs                        = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			bodies, replayOf                                       = make([]*string, n), make([]*string, n)
			respStatus, replayCounts, priorities, dupes            = make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
			seqs                                                   = make([]int64, n)
			tests                                                  = make([]bool, n)
			created                                                = make([]time.Time, n)
			processed                                              = make([]*time.Time, n)
		)
		for i, r := range a.rows {
			ids[i], tenants[i], webhooks[i], workflows[i], executions[i], methods[i] = r.id, r.tenant, r.webhook, r.workflow, r.execution, r.method
			headers[i], queries[i], metadata[i], texts[i], ctypes[i], statuses[i] = r.headers, r.query, r.metadata, r.bodyText, r.contentType, r.status
			errs[i], reasons[i], deliveries[i], encs[i] = r.errorMessage, r.filteredReason, r.deliveryID, r.bodyEncoding
			bodies[i], replayOf[i] = r.body, r.replayOf
			respStatus[i], replayCounts[i], priorities[i], dupes[i] = int32(r.responseStatus), int32(r.replayCount), int32(r.priority), int32(r.dupes) // small
			seqs[i], created[i], processed[i], tests[i] = r.seq, r.created, r.processed, r.test
		}
		rows = []any{ids, tenants, webhooks, workflows, executions, methods,
			headers, queries, bodies, texts, ctypes, statuses, respStatus, errs, deliveries, replayOf,
			replayCounts, priorities, metadata, reasons, dupes, seqs, created, processed, encs, tests}
	}
	b = post
	if len(a.statsOrder) > 0 {
		ids := make([]string, 0, len(a.statsOrder))
		tenants := make([]string, 0, len(a.statsOrder))
		counts := make([]int64, 0, len(a.statsOrder))
		lasts := make([]time.Time, 0, len(a.statsOrder))
		for _, id := range a.statsOrder {
			s := a.stats[id]
			ids, tenants, counts, lasts = append(ids, id), append(tenants, s.tenant), append(counts, s.count), append(lasts, s.last)
		}
		b.Queue(q("UpsertWebhookStats"), ids, tenants, counts, lasts)
		b.Queue(q("CopyStatsToWebhooks"), ids)
	}
	return pre, rows, post
}

// bodyColumns returns the body (jsonb, the JSON value as stored in the
// event: objects, arrays, and strings for text or base64 bodies), the
// lower-cased search text and the encoding.
func bodyColumns(raw json.RawMessage, encoding string) (body []byte, text, enc string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", encoding
	}
	raw = pgJSON(raw)
	if encoding != "" {
		return raw, "", encoding // binary: not searchable
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return raw, pgText(strings.ToLower(s)), ""
		}
	}
	return raw, pgText(strings.ToLower(string(raw))), ""
}

// jsonObject marshals v, or returns "{}" for nil/empty values. JSON
// parameters are passed as strings: in QueryExecModeExec a []byte is sent as
// bytea.
func jsonObject(v any) string {
	const def = "{}"
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
	return string(pgJSON(raw))
}

// receivedColumns is what the delivery log reads of webhook.received data:
// the JSON objects stay raw (they go to jsonb columns as they are), so no
// map is built and marshalled again per event.
type receivedColumns struct {
	Method         string          `json:"method"`
	Headers        json.RawMessage `json:"headers"`
	Query          json.RawMessage `json:"query"`
	Body           json.RawMessage `json:"body"`
	BodyEncoding   string          `json:"bodyEncoding"`
	ContentType    string          `json:"contentType"`
	Metadata       json.RawMessage `json:"metadata"`
	DeliveryID     string          `json:"deliveryId"`
	FilteredReason string          `json:"filteredReason"`
	Test           bool            `json:"test"`
}

// rawObject is jsonObject for a raw JSON value: "{}" for a missing, null
// or empty object, else the value made storable (pgJSON).
func rawObject(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" || raw[0] != '{' {
		return "{}"
	}
	return string(pgJSON(raw))
}

// jsonParam is a nullable jsonb parameter.
func jsonParam(raw []byte) *string {
	if raw == nil {
		return nil
	}
	s := string(raw)
	return &s
}
