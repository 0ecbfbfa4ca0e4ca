package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
)

// The stores in this file hold configuration the API writes (event types,
// webhook filters, workflows), not read models projected from the streams.
// They are additive only: event type versions are immutable rows, a
// filter is replaced as a whole, and workflows are created, never rewritten
// by a projection.

// EventTypeVersion is one immutable version of an event type as stored in
// event_types. TenantID is "" for core types.
type EventTypeVersion struct {
	TenantID    string            `json:"tenantId,omitempty"`
	Name        string            `json:"name"`
	Version     int               `json:"version"`
	Schema      json.RawMessage   `json:"schema"`
	Description string            `json:"description"`
	Examples    []json.RawMessage `json:"examples"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

// EventTypes stores event type versions: the core types seeded by migration
// (tenant NULL) and each tenant's own types.
type EventTypes struct {
	pool *pgxpool.Pool
}

// NewEventTypes returns an EventTypes over pool.
func NewEventTypes(pool *pgxpool.Pool) *EventTypes { return &EventTypes{pool: pool} }

func scanEventType(row pgx.Row, extra ...any) (EventTypeVersion, error) {
	var (
		et       EventTypeVersion
		examples []byte
	)
	dest := append([]any{&et.TenantID, &et.Name, &et.Version, &et.Schema, &et.Description, &examples, &et.CreatedAt, &et.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return et, translate(err)
	}
	if err := json.Unmarshal(examples, &et.Examples); err != nil {
		return et, fmt.Errorf("decode examples of %s v%d: %w", et.Name, et.Version, err)
	}
	if et.Examples == nil {
		et.Examples = []json.RawMessage{}
	}
	return et, nil
}

func collectEventTypes(rows pgx.Rows, err error) ([]EventTypeVersion, error) {
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EventTypeVersion, error) { return scanEventType(r) })
	return out, translate(err)
}

// EventTypeSummary is the latest version of a type with its version count.
type EventTypeSummary struct {
	EventTypeVersion
	Versions int `json:"versions"`
}

// Latest returns the latest version of every core type and of the tenant's
// own types, core types first, each group sorted by name.
func (s *EventTypes) Latest(ctx context.Context, tenantID string) ([]EventTypeSummary, error) {
	rows, err := s.pool.Query(ctx, q("EventTypesLatest"), tenantID)
	if err != nil {
		return nil, fmt.Errorf("list event types: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EventTypeSummary, error) {
		var s EventTypeSummary
		et, err := scanEventType(r, &s.Versions)
		s.EventTypeVersion = et
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list event types: %w", translate(err))
	}
	return out, nil
}

// Versions returns every version of the type named name that the tenant
// sees (a core type or its own), oldest first; none is hookstream.ErrNotFound.
func (s *EventTypes) Versions(ctx context.Context, tenantID, name string) ([]EventTypeVersion, error) {
	out, err := collectEventTypes(s.pool.Query(ctx, q("EventTypeVersions"), tenantID, name))
	if err != nil {
		return nil, fmt.Errorf("event type %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("event type %s: %w", name, hookstream.ErrNotFound)
	}
	return out, nil
}

// Version returns one version; version 0 means the latest.
// Errors: hookstream.ErrNotFound.
func (s *EventTypes) Version(ctx context.Context, tenantID, name string, version int) (EventTypeVersion, error) {
	var row pgx.Row
	if version == 0 {
		row = s.pool.QueryRow(ctx, q("EventTypeLatestVersion"), tenantID, name)
	} else {
		row = s.pool.QueryRow(ctx, q("EventTypeVersion"), tenantID, name, version)
	}
	et, err := scanEventType(row)
	if err != nil {
		return et, fmt.Errorf("event type %s v%d: %w", name, version, err)
	}
	return et, nil
}

// Resolvable returns every version of every type a schema of the tenant may
// reference: the tenant's own types first, then the core types.
func (s *EventTypes) Resolvable(ctx context.Context, tenantID string) ([]EventTypeVersion, error) {
	out, err := collectEventTypes(s.pool.Query(ctx, q("EventTypesResolvable"), tenantID))
	if err != nil {
		return nil, fmt.Errorf("resolvable event types: %w", err)
	}
	return out, nil
}

// Insert stores a new version of a tenant's type. A taken name and version
// (a concurrent writer) is hookstream.ErrConflict.
func (s *EventTypes) Insert(ctx context.Context, et EventTypeVersion) (EventTypeVersion, error) {
	if et.TenantID == "" {
		return et, fmt.Errorf("insert event type %s: core types are seeded by migration only", et.Name)
	}
	examples := et.Examples
	if examples == nil {
		examples = []json.RawMessage{}
	}
	rawExamples, err := json.Marshal(examples)
	if err != nil {
		return et, fmt.Errorf("encode examples: %w", err)
	}
	out, err := scanEventType(s.pool.QueryRow(ctx, q("InsertEventType"),
		et.TenantID, et.Name, et.Version, string(et.Schema), et.Description, string(rawExamples)))
	if err != nil {
		return out, fmt.Errorf("insert event type %s v%d: %w", et.Name, et.Version, err)
	}
	return out, nil
}

// Filter is a webhook's stored rule set (table webhook_filters). RuleSet is
// the JSON of a streams/filter RuleSet; UpdatedAt is its version.
type Filter struct {
	WebhookID string          `json:"webhookId"`
	TenantID  string          `json:"tenantId"`
	RuleSet   json.RawMessage `json:"ruleSet"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// Delivery is one received delivery from the delivery log (webhook_events),
// as the filter test console evaluates it. Headers, Query and Metadata are
// the stored JSON objects; Body is the JSON body, or nil when the body was
// not JSON (BodyText then holds it).
type Delivery struct {
	EventID   string
	Headers   json.RawMessage
	Query     json.RawMessage
	Body      json.RawMessage
	BodyText  string
	Metadata  json.RawMessage
	CreatedAt time.Time
}

// Filters stores webhook filter rule sets.
type Filters struct {
	pool *pgxpool.Pool
}

// NewFilters returns a Filters over pool.
func NewFilters(pool *pgxpool.Pool) *Filters { return &Filters{pool: pool} }

// Get returns the tenant's rule set of a webhook; none is hookstream.ErrNotFound.
func (s *Filters) Get(ctx context.Context, tenantID, webhookID string) (Filter, error) {
	f := Filter{WebhookID: webhookID, TenantID: tenantID}
	err := s.pool.QueryRow(ctx, q("GetFilter"), tenantID, webhookID).Scan(&f.RuleSet, &f.UpdatedAt)
	if err != nil {
		return f, fmt.Errorf("get filter %s: %w", webhookID, translate(err))
	}
	return f, nil
}

// Put replaces a webhook's rule set and bumps its version (UpdatedAt).
// The caller has checked that the webhook belongs to the tenant.
func (s *Filters) Put(ctx context.Context, tenantID, webhookID string, ruleSet json.RawMessage) (Filter, error) {
	f := Filter{WebhookID: webhookID, TenantID: tenantID}
	err := s.pool.QueryRow(ctx, q("PutFilter"), tenantID, webhookID, string(ruleSet)).Scan(&f.RuleSet, &f.UpdatedAt)
	if err != nil {
		return f, fmt.Errorf("put filter %s: %w", webhookID, translate(err))
	}
	return f, nil
}

// Versions returns the version (UpdatedAt) of each of the webhooks' rule
// sets; a webhook without one is absent from the map. One indexed query for
// a whole batch: the pipeline calls it to check its compiled cache.
func (s *Filters) Versions(ctx context.Context, webhookIDs []string) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, q("FilterVersions"), webhookIDs)
	if err != nil {
		return nil, fmt.Errorf("filter versions: %w", translate(err))
	}
	out := make(map[string]time.Time, len(webhookIDs))
	var (
		id string
		at time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &at}, func() error {
		out[id] = at
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("filter versions: %w", translate(err))
	}
	return out, nil
}

// ByWebhook returns a webhook's rule set whatever its tenant (the pipeline
// reads ids from events it trusts); none is hookstream.ErrNotFound.
func (s *Filters) ByWebhook(ctx context.Context, webhookID string) (Filter, error) {
	f := Filter{WebhookID: webhookID}
	err := s.pool.QueryRow(ctx, q("FilterByWebhook"), webhookID).Scan(&f.TenantID, &f.RuleSet, &f.UpdatedAt)
	if err != nil {
		return f, fmt.Errorf("filter %s: %w", webhookID, translate(err))
	}
	return f, nil
}

// RecentDeliveries returns the webhook's last n received deliveries from the
// delivery log, newest first.
func (s *Filters) RecentDeliveries(ctx context.Context, tenantID, webhookID string, n int) ([]Delivery, error) {
	rows, err := s.pool.Query(ctx, q("RecentDeliveries"), tenantID, webhookID, n)
	if err != nil {
		return nil, fmt.Errorf("recent deliveries: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := r.Scan(&d.EventID, &d.Headers, &d.Query, &d.Body, &d.BodyText, &d.Metadata, &d.CreatedAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("recent deliveries: %w", translate(err))
	}
	return out, nil
}

// Workflows stores workflows (SPEC §6).
type Workflows struct {
	pool *pgxpool.Pool
}

// NewWorkflows returns a Workflows over pool.
func NewWorkflows(pool *pgxpool.Pool) *Workflows { return &Workflows{pool: pool} }

func scanWorkflow(row pgx.Row) (hookstream.Workflow, error) {
	var w hookstream.Workflow
	var retry, breaker []byte
	var timeout *int
	err := row.Scan(&w.ID, &w.TenantID, &w.Name, &w.Steps, &w.CreatedAt, &w.UpdatedAt, &w.Description, &retry, &timeout, &breaker)
	if err != nil {
		return w, translate(err)
	}
	if len(retry) > 0 {
		_ = json.Unmarshal(retry, &w.Retry)
	}
	if len(breaker) > 0 {
		_ = json.Unmarshal(breaker, &w.Breaker)
	}
	if timeout != nil {
		w.TimeoutMs = *timeout
	}
	w.Retry, w.Breaker = w.Retry.WithDefaults(), w.Breaker.WithDefaults()
	if w.TimeoutMs <= 0 {
		w.TimeoutMs = hookstream.StepTimeoutMsDefault
	}
	return w, nil
}

func workflowArgs(w hookstream.Workflow) ([]any, error) {
	retry, err := json.Marshal(w.Retry.WithDefaults())
	if err != nil {
		return nil, fmt.Errorf("encode retry: %w", err)
	}
	breaker, err := json.Marshal(w.Breaker.WithDefaults())
	if err != nil {
		return nil, fmt.Errorf("encode breaker: %w", err)
	}
	timeout := w.TimeoutMs
	if timeout <= 0 {
		timeout = hookstream.StepTimeoutMsDefault
	}
	steps := string(w.Steps)
	if steps == "" {
		steps = "[]"
	}
	return []any{w.TenantID, w.ID, w.Name, steps, w.Description, string(retry), timeout, string(breaker)}, nil
}

// Create stores a workflow under a new time-ordered id. The caller has
// validated it.
func (s *Workflows) Create(ctx context.Context, w hookstream.Workflow) (hookstream.Workflow, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return hookstream.Workflow{}, fmt.Errorf("new workflow id: %w", err)
	}
	w.ID = id.String()
	args, err := workflowArgs(w)
	if err != nil {
		return hookstream.Workflow{}, err
	}
	args[0], args[1] = args[1], args[0] // InsertWorkflow takes (id, tenant, ...)
	out, err := scanWorkflow(s.pool.QueryRow(ctx, q("InsertWorkflow"), args...))
	if err != nil {
		return out, fmt.Errorf("create workflow: %w", err)
	}
	return out, nil
}

// Update replaces a workflow's name, steps and settings. Errors:
// hookstream.ErrNotFound for an unknown or foreign id.
func (s *Workflows) Update(ctx context.Context, w hookstream.Workflow) (hookstream.Workflow, error) {
	if _, err := uuid.Parse(w.ID); err != nil {
		return hookstream.Workflow{}, fmt.Errorf("workflow %q: %w", w.ID, hookstream.ErrNotFound)
	}
	args, err := workflowArgs(w)
	if err != nil {
		return hookstream.Workflow{}, err
	}
	out, err := scanWorkflow(s.pool.QueryRow(ctx, q("UpdateWorkflow"), args...))
	if err != nil {
		return out, fmt.Errorf("update workflow: %w", err)
	}
	return out, nil
}

// Delete removes a workflow. Errors: hookstream.ErrNotFound.
func (s *Workflows) Delete(ctx context.Context, tenantID, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("workflow %q: %w", id, hookstream.ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, q("DeleteWorkflow"), tenantID, id)
	if err != nil {
		return fmt.Errorf("delete workflow: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("workflow %q: %w", id, hookstream.ErrNotFound)
	}
	return nil
}

// Get returns one of the tenant's workflows; an unknown, malformed or
// foreign id is hookstream.ErrNotFound.
func (s *Workflows) Get(ctx context.Context, tenantID, id string) (hookstream.Workflow, error) {
	if _, err := uuid.Parse(id); err != nil {
		return hookstream.Workflow{}, fmt.Errorf("workflow %q: %w", id, hookstream.ErrNotFound)
	}
	w, err := scanWorkflow(s.pool.QueryRow(ctx, q("GetWorkflow"), tenantID, id))
	if err != nil {
		return w, fmt.Errorf("get workflow: %w", err)
	}
	return w, nil
}

// List returns up to limit of the tenant's workflows, newest first, after
// cursor (the last id of the previous page, "" for the first page), and the
// cursor of the next page ("" when this page is the last).
func (s *Workflows) List(ctx context.Context, tenantID, cursor string, limit int) ([]hookstream.Workflow, string, error) {
	var after *string
	if cursor != "" {
		if _, err := uuid.Parse(cursor); err != nil {
			return nil, "", hookstream.Invalid(hookstream.EINVALID, "malformed cursor", hookstream.FieldError{Field: "cursor", Message: "malformed"})
		}
		after = &cursor
	}
	rows, err := s.pool.Query(ctx, q("ListWorkflows"), tenantID, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list workflows: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hookstream.Workflow, error) { return scanWorkflow(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list workflows: %w", translate(err))
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}
