package projections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
)

// Event list limits (SPEC §7).
const (
	EventsLimitDefault = 50
	EventsLimitMax     = 500
)

// DeliveryStatuses are the statuses of the delivery log.
var DeliveryStatuses = []string{"received", "processed", "filtered", "failed", "rejected"}

// EventFilter selects delivery-log rows of one tenant.
type EventFilter struct {
	TenantID   string
	WebhookID  string
	WorkflowID string
	Statuses   []string
	From, To   time.Time
	// Q is a case-insensitive substring of the body.
	Q string
	// Path is a JSONPath predicate over the body (PostgreSQL jsonpath
	// syntax): `$.data.status == "paid"`, or a filter path
	// `$.items[*] ? (@.price > 10)` matching when it selects something.
	Path   string
	Limit  int
	Cursor string
}

// DeliveryEvent is a row of the delivery log as the API shows it (SPEC §7).
type DeliveryEvent struct {
	ID               string              `json:"id"`
	WebhookID        string              `json:"webhookId"`
	WorkflowID       string              `json:"workflowId,omitempty"`
	Status           string              `json:"status"`
	Method           string              `json:"method"`
	Headers          map[string][]string `json:"headers"`
	Query            map[string][]string `json:"query"`
	Body             json.RawMessage     `json:"body"`
	BodyEncoding     string              `json:"bodyEncoding,omitempty"`
	ContentType      string              `json:"contentType"`
	Metadata         map[string]any      `json:"metadata"`
	DeliveryID       string              `json:"deliveryId"`
	DuplicateCount   int                 `json:"duplicateCount"`
	FilteredReason   string              `json:"filteredReason"`
	ErrorMessage     string              `json:"errorMessage"`
	ResponseStatus   int                 `json:"responseStatus"`
	ProcessingTimeMs *float64            `json:"processingTimeMs"`
	ExecutionID      string              `json:"executionId"`
	ReplayOf         *string             `json:"replayOf"`
	ReplayCount      int                 `json:"replayCount"`
	Priority         int                 `json:"priority"`
	StreamSeq        int64               `json:"streamSeq"`
	CreatedAt        time.Time           `json:"createdAt"`
	ProcessedAt      *time.Time          `json:"processedAt,omitempty"`
	// Test marks a delivery sent from the test console (left out of
	// statistics).
	Test bool `json:"test"`
	// Replays are the deliveries replayed from this one (detail only).
	Replays []ReplayRef `json:"replays,omitempty"`
}

// ReplayRef is one replay of a delivery with its audit (actor, reason,
// modified), as GET /api/v1/events/{id}/replays shows it. Actor is null
// until the replay_audit projection has the replay.requested event.
type ReplayRef struct {
	ID              string                  `json:"id"`
	Status          string                  `json:"status"`
	ReplayCount     int                     `json:"replayCount"`
	CreatedAt       time.Time               `json:"createdAt"`
	OriginalEventID *string                 `json:"originalEventId"`
	Actor           *hookstream.ReplayActor `json:"actor"`
	Reason          string                  `json:"reason"`
	Modified        bool                    `json:"modified"`
	RequestedAt     *time.Time              `json:"requestedAt"`
}

// Events answers the events API from the delivery log.
type Events struct {
	pool *pgxpool.Pool
}

// NewEvents returns an Events over pool.
func NewEvents(pool *pgxpool.Pool) *Events { return &Events{pool: pool} }

type cursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"id"`
}

func encodeCursor(t time.Time, id string) string {
	raw, err := json.Marshal(cursor{T: t, ID: id})
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.ID == "" || c.T.IsZero() {
		return c, hookstream.Invalid(hookstream.EINVALID, "invalid cursor", hookstream.FieldError{Field: "cursor", Message: "not a cursor returned by this API"})
	}
	return c, nil
}

// likePattern escapes s for LIKE and wraps it in %…%.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// eventQuery is a validated filter: the conditions that are present, each
// with its own parameter. Only present filters reach the SQL (no
// "$n IS NULL OR …" catch-alls, no status = ANY), so the planner can order
// by the (tenant_id, status, created_at DESC, id DESC) index and use the
// trigram and jsonb_path_ops indexes for q and path.
type eventQuery struct {
	f        EventFilter
	statuses []string
	like     string
	// predicate is a JSONPath predicate (@@), filterPath a filter path (@?).
	predicate, filterPath string
}

// validate checks f and returns its query.
func (e *Events) validate(ctx context.Context, f EventFilter) (eventQuery, error) {
	var fields []hookstream.FieldError
	eq := eventQuery{f: f}
	seen := map[string]bool{}
	for _, s := range f.Statuses {
		ok := false
		for _, v := range DeliveryStatuses {
			ok = ok || s == v
		}
		if !ok {
			fields = append(fields, hookstream.FieldError{Field: "status", Message: fmt.Sprintf("unknown status %q (one of %s)", s, strings.Join(DeliveryStatuses, ", "))})
			continue
		}
		if !seen[s] {
			seen[s] = true
			eq.statuses = append(eq.statuses, s)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fields = append(fields, hookstream.FieldError{Field: "from", Message: "from must be before to"})
	}
	if f.Q != "" {
		if len(f.Q) > 1000 {
			fields = append(fields, hookstream.FieldError{Field: "q", Message: "at most 1000 characters"})
		}
		eq.like = likePattern(f.Q)
	}
	if f.Path != "" {
		if err := e.checkPath(ctx, f.Path); err != nil {
			var he *hookstream.Error
			if !errors.As(err, &he) {
				return eq, err
			}
			fields = append(fields, he.Fields...)
		} else if strings.Contains(f.Path, "?") {
			eq.filterPath = f.Path // a filter path: matches when it selects something
		} else {
			eq.predicate = f.Path
		}
	}
	if len(fields) > 0 {
		return eq, hookstream.Invalid(hookstream.EINVALID, "invalid event filter", fields...)
	}
	return eq, nil
}

// sqlBuilder collects positional parameters.
type sqlBuilder struct {
	args []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// conditions returns the WHERE conditions shared by every status branch.
func (eq eventQuery) conditions(b *sqlBuilder, after *cursor) []string {
	f := eq.f
	conds := []string{"tenant_id = " + b.arg(f.TenantID) + "::uuid"}
	if f.WebhookID != "" {
		conds = append(conds, "webhook_id = "+b.arg(f.WebhookID)+"::uuid")
	}
	if f.WorkflowID != "" {
		conds = append(conds, "workflow_id = "+b.arg(f.WorkflowID)+"::text")
	}
	if !f.From.IsZero() {
		conds = append(conds, "created_at >= "+b.arg(f.From)+"::timestamptz")
	}
	if !f.To.IsZero() {
		conds = append(conds, "created_at < "+b.arg(f.To)+"::timestamptz")
	}
	if eq.like != "" {
		conds = append(conds, "body_text LIKE "+b.arg(eq.like)+"::text")
	}
	if eq.predicate != "" {
		conds = append(conds, "body @@ "+b.arg(eq.predicate)+"::jsonpath")
	}
	if eq.filterPath != "" {
		conds = append(conds, "body @? "+b.arg(eq.filterPath)+"::jsonpath")
	}
	if after != nil {
		conds = append(conds, "(created_at, id) < ("+b.arg(after.T)+"::timestamptz, "+b.arg(after.ID)+"::uuid)")
	}
	return conds
}

// sql returns the query and its parameters, newest first; limit 0: all.
// Several statuses become a UNION ALL of one branch per status, each an
// ordered scan of the composite index, merged (Merge Append).
func (eq eventQuery) sql(after *cursor, limit int) (string, []any) {
	b := &sqlBuilder{}
	conds := eq.conditions(b, after)
	cols := q("EventColumns")
	// Qualified: a bare "id" would name the output column id::text.
	const order = " ORDER BY webhook_events.created_at DESC, webhook_events.id DESC"
	lim := ""
	if limit > 0 {
		lim = " LIMIT " + b.arg(limit)
	}
	branch := func(status, sel string) string {
		c := conds
		if status != "" {
			c = append(c[:len(c):len(c)], "status = "+b.arg(status)+"::text")
		}
		return "SELECT " + sel + " FROM webhook_events WHERE " + strings.Join(c, " AND ")
	}
	switch len(eq.statuses) {
	case 0:
		return branch("", cols) + order + lim, b.args
	case 1:
		return branch(eq.statuses[0], cols) + order + lim, b.args
	}
	// The branches select whole rows, so the merge is on the indexed
	// columns themselves (not their text forms).
	parts := make([]string, len(eq.statuses))
	for i, s := range eq.statuses {
		parts[i] = "(" + branch(s, "*") + order + lim + ")"
	}
	return "SELECT " + cols + " FROM (" + strings.Join(parts, " UNION ALL ") + ") webhook_events" + order + lim, b.args
}

// checkPath lets PostgreSQL parse the JSONPath (the same parser that runs
// it): a syntax error is a 400 naming the field.
func (e *Events) checkPath(ctx context.Context, path string) error {
	if len(path) > 1000 {
		return hookstream.Invalid(hookstream.EINVALID, "invalid path", hookstream.FieldError{Field: "path", Message: "at most 1000 characters"})
	}
	var ok bool
	err := e.pool.QueryRow(ctx, q("CheckJSONPath"), path).Scan(&ok)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code[:2] == "42" || pgErr.Code[:2] == "22") {
		return hookstream.Invalid(hookstream.EINVALID, "invalid path", hookstream.FieldError{Field: "path", Message: "not a JSONPath: " + pgErr.Message})
	}
	return err
}

func scanEvent(row pgx.Row) (DeliveryEvent, error) {
	var ev DeliveryEvent
	var headers, query, metadata, body []byte
	err := row.Scan(&ev.ID, &ev.WebhookID, &ev.WorkflowID, &ev.ExecutionID, &ev.Method, &headers, &query, &body,
		&ev.ContentType, &ev.Status, &ev.ResponseStatus, &ev.ErrorMessage, &ev.ProcessingTimeMs, &ev.DeliveryID,
		&ev.ReplayOf, &ev.ReplayCount, &ev.Priority, &metadata, &ev.FilteredReason, &ev.DuplicateCount,
		&ev.StreamSeq, &ev.CreatedAt, &ev.ProcessedAt, &ev.BodyEncoding, &ev.Test)
	if err != nil {
		return ev, translate(err)
	}
	_ = json.Unmarshal(headers, &ev.Headers)
	_ = json.Unmarshal(query, &ev.Query)
	_ = json.Unmarshal(metadata, &ev.Metadata)
	if body != nil {
		ev.Body = body
	} else {
		ev.Body = json.RawMessage("null")
	}
	ev.CreatedAt = ev.CreatedAt.UTC()
	return ev, nil
}

// ListEvents returns one page, newest first, and the cursor of the next
// page ("" at the end). Masks (maskPaths) are applied.
func (e *Events) ListEvents(ctx context.Context, f EventFilter) ([]DeliveryEvent, string, error) {
	if f.Limit <= 0 {
		f.Limit = EventsLimitDefault
	}
	if f.Limit > EventsLimitMax {
		return nil, "", hookstream.Invalid(hookstream.EINVALID, "invalid limit", hookstream.FieldError{Field: "limit", Message: fmt.Sprintf("at most %d", EventsLimitMax)})
	}
	eq, err := e.validate(ctx, f)
	if err != nil {
		return nil, "", err
	}
	var after *cursor
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		after = &c
	}
	sql, args := eq.sql(after, f.Limit+1)
	rows, err := e.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeliveryEvent, error) { return scanEvent(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	masks, err := loadMasks(ctx, e.pool, f.TenantID)
	if err != nil {
		return nil, "", err
	}
	for i := range out {
		masks.apply(&out[i])
	}
	return out, next, nil
}

// Event returns one delivery with its replays; hookstream.ErrNotFound for
// an unknown id or another tenant's.
func (e *Events) Event(ctx context.Context, tenantID, id string) (DeliveryEvent, error) {
	ev, err := scanEvent(e.pool.QueryRow(ctx, q("GetEvent"), tenantID, id))
	if err != nil {
		return ev, fmt.Errorf("get event: %w", err)
	}
	rows, err := e.pool.Query(ctx, q("ListReplays"), tenantID, id)
	if err != nil {
		return ev, fmt.Errorf("list replays: %w", translate(err))
	}
	ev.Replays, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReplayRef, error) {
		var rr ReplayRef
		var token, role, reason *string
		var modified *bool
		err := r.Scan(&rr.ID, &rr.Status, &rr.ReplayCount, &rr.CreatedAt, &token, &role, &reason, &modified,
			&rr.OriginalEventID, &rr.RequestedAt)
		if token != nil && role != nil {
			rr.Actor = &hookstream.ReplayActor{TokenID: *token, Role: *role}
		}
		if reason != nil {
			rr.Reason = *reason
		}
		if modified != nil {
			rr.Modified = *modified
		}
		return rr, err
	})
	if err != nil {
		return ev, fmt.Errorf("list replays: %w", err)
	}
	masks, err := loadMasks(ctx, e.pool, tenantID)
	if err != nil {
		return ev, err
	}
	masks.apply(&ev)
	return ev, nil
}

// ExportEvents visits every matching row, newest first, streamed from
// PostgreSQL (rows are read from the connection as fn consumes them, so
// memory stays constant at any size). Masks are applied. Limit and Cursor
// are ignored.
func (e *Events) ExportEvents(ctx context.Context, f EventFilter, fn func(*DeliveryEvent) error) error {
	eq, err := e.validate(ctx, f)
	if err != nil {
		return err
	}
	sql, args := eq.sql(nil, 0)
	masks, err := loadMasks(ctx, e.pool, f.TenantID)
	if err != nil {
		return err
	}
	rows, err := e.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("export events: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return err
		}
		masks.apply(&ev)
		if err := fn(&ev); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export events: %w", translate(err))
	}
	return nil
}
