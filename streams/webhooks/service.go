package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/schema"
)

// Appender is the one append interface (hookstream.Appender).
type Appender = hookstream.Appender

// SchemaSource finds an event type version for a tenant (its own types,
// then the core ones). version 0 means the latest. Errors:
// hookstream.ErrNotFound for an unknown type or version.
type SchemaSource interface {
	EventType(ctx context.Context, tenantID, name string, version int) (schema.Type, error)
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	KV       jetstream.KeyValue
	Sealer   *hookstream.Sealer
	Appender Appender
	// Schemas looks up event types when a webhook names one; nil refuses
	// webhooks with an eventType.
	Schemas SchemaSource
	// Registry is updated at once after each write (the watcher confirms).
	Registry *Registry
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service changes webhook configuration: KV first, then the config event.
type Service struct {
	cfg ServiceConfig
}

// NewService returns a Service.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}
}

var errPathTaken = hookstream.Invalid(hookstream.ECONFLICT, "path is already in use",
	hookstream.FieldError{Field: "path", Message: "already in use"})

// Create stores a new webhook. w.ID is generated when empty. Errors:
// ECONFLICT when the path is taken, EUNPROCESSABLE for an unknown event
// type, EUNAVAILABLE when JetStream is down.
func (s *Service) Create(ctx context.Context, w hookstream.Webhook, sec hookstream.WebhookSecrets) (hookstream.Webhook, error) {
	if w.ID == "" {
		w.ID = eventstore.NewID()
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	w.CreatedAt, w.UpdatedAt = now, now
	stripComputed(&w)
	rec := Record{Webhook: w}
	var err error
	if rec.Schema, err = s.schemaFor(ctx, w); err != nil {
		return w, err
	}
	if rec.Sealed, err = seal(s.cfg.Sealer, w.ID, sec); err != nil {
		return w, err
	}
	if _, err := Compile(rec, s.cfg.Sealer); err != nil {
		return w, hookstream.Errorf(hookstream.EUNPROCESSABLE, "invalid webhook: %v", err)
	}
	if err := s.claimPath(ctx, w.Path, w.TenantID, w.ID); err != nil {
		return w, err
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return w, fmt.Errorf("marshal webhook: %w", err)
	}
	key := recordKey(w.TenantID, w.ID)
	rev, err := s.cfg.KV.Create(ctx, key, raw)
	if err != nil {
		_ = s.cfg.KV.Delete(context.WithoutCancel(ctx), pathKey(w.Path))
		return w, kvError("create webhook", err)
	}
	s.local(ctx, key, rev, raw)
	return w, s.event(ctx, hookstream.EventWebhookCreated, w, rec)
}

// claimPath makes path point at tenant.id with an atomic Create; a path
// key whose webhook no longer exists (a crash between the two writes of a
// delete) is taken over.
func (s *Service) claimPath(ctx context.Context, path, tenantID, id string) error {
	owner := tenantID + "." + id
	_, err := s.cfg.KV.Create(ctx, pathKey(path), []byte(owner))
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return kvError("claim path", err)
	}
	cur, err := s.cfg.KV.Get(ctx, pathKey(path))
	if err != nil {
		return kvError("read path", err)
	}
	if string(cur.Value()) == owner {
		return nil
	}
	t, i, _ := strings.Cut(string(cur.Value()), ".")
	if _, err := s.cfg.KV.Get(ctx, recordKey(t, i)); err == nil {
		return errPathTaken
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return kvError("read path owner", err)
	}
	if _, err := s.cfg.KV.Update(ctx, pathKey(path), []byte(owner), cur.Revision()); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) || isRevisionMismatch(err) {
			return errPathTaken
		}
		return kvError("claim path", err)
	}
	return nil
}

func isRevisionMismatch(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// load reads a record and its revision from the bucket.
func (s *Service) load(ctx context.Context, tenantID, id string) (Record, uint64, error) {
	var rec Record
	e, err := s.cfg.KV.Get(ctx, recordKey(tenantID, id))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return rec, 0, hookstream.ErrNotFound
		}
		return rec, 0, kvError("read webhook", err)
	}
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return rec, 0, fmt.Errorf("decode webhook %s: %w", id, err)
	}
	return rec, e.Revision(), nil
}

// Secrets returns a webhook's opened secrets (for GET …/secret).
func (s *Service) Secrets(ctx context.Context, tenantID, id string) (hookstream.WebhookSecrets, error) {
	rec, _, err := s.load(ctx, tenantID, id)
	if err != nil {
		return hookstream.WebhookSecrets{}, err
	}
	return open(s.cfg.Sealer, id, rec.Sealed)
}

// UpdateFunc changes a webhook and its secrets in place.
type UpdateFunc func(w *hookstream.Webhook, sec *hookstream.WebhookSecrets) error

// Update applies fn to the stored webhook and saves it with optimistic
// concurrency (ECONFLICT when another change won). eventType is
// webhook.updated or webhook.secret_rotated.
func (s *Service) Update(ctx context.Context, tenantID, id string, eventType hookstream.EventType, fn UpdateFunc) (hookstream.Webhook, error) {
	rec, rev, err := s.load(ctx, tenantID, id)
	if err != nil {
		return hookstream.Webhook{}, err
	}
	sec, err := open(s.cfg.Sealer, id, rec.Sealed)
	if err != nil {
		return hookstream.Webhook{}, err
	}
	old := rec.Webhook
	w := old
	w.Methods, w.ContentTypes = slices.Clone(w.Methods), slices.Clone(w.ContentTypes)
	if err := fn(&w, &sec); err != nil {
		return old, err
	}
	w.ID, w.TenantID, w.CreatedAt = old.ID, old.TenantID, old.CreatedAt
	w.UpdatedAt = s.cfg.Now().UTC().Truncate(time.Millisecond)
	stripComputed(&w)
	if w.EventType != old.EventType || w.EventTypeVersion != old.EventTypeVersion || (w.EventType != "" && rec.Schema == nil) {
		if rec.Schema, err = s.schemaFor(ctx, w); err != nil {
			return old, err
		}
	}
	rec.Webhook = w
	if rec.Sealed, err = seal(s.cfg.Sealer, id, sec); err != nil {
		return old, err
	}
	if _, err := Compile(rec, s.cfg.Sealer); err != nil {
		return old, hookstream.Errorf(hookstream.EUNPROCESSABLE, "invalid webhook: %v", err)
	}
	if w.Path != old.Path {
		if err := s.claimPath(ctx, w.Path, tenantID, id); err != nil {
			return old, err
		}
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return old, fmt.Errorf("marshal webhook: %w", err)
	}
	key := recordKey(tenantID, id)
	newRev, err := s.cfg.KV.Update(ctx, key, raw, rev)
	if err != nil {
		if w.Path != old.Path {
			_ = s.cfg.KV.Delete(context.WithoutCancel(ctx), pathKey(w.Path))
		}
		if isRevisionMismatch(err) {
			return old, hookstream.Errorf(hookstream.ECONFLICT, "the webhook was changed concurrently; retry")
		}
		return old, kvError("update webhook", err)
	}
	s.local(ctx, key, newRev, raw)
	if w.Path != old.Path {
		_ = s.cfg.KV.Delete(ctx, pathKey(old.Path))
	}
	return w, s.event(ctx, eventType, w, rec)
}

// RotateSecret makes secret the current one and keeps the previous one
// valid for grace (0 revokes it at once).
func (s *Service) RotateSecret(ctx context.Context, tenantID, id, secret string, grace time.Duration) (hookstream.Webhook, error) {
	now := s.cfg.Now().UTC()
	return s.Update(ctx, tenantID, id, hookstream.EventWebhookSecretRotated, func(_ *hookstream.Webhook, sec *hookstream.WebhookSecrets) error {
		sec.GraceSecret, sec.GraceUntil = "", nil
		if grace > 0 && sec.Secret != "" {
			until := now.Add(grace).Truncate(time.Second)
			sec.GraceSecret, sec.GraceUntil = sec.Secret, &until
		}
		sec.Secret = secret
		return nil
	})
}

// Delete removes a webhook, frees its path and drops its test runs.
func (s *Service) Delete(ctx context.Context, tenantID, id string) error {
	rec, rev, err := s.load(ctx, tenantID, id)
	if err != nil {
		return err
	}
	key := recordKey(tenantID, id)
	if err := s.cfg.KV.Delete(ctx, key, jetstream.LastRevision(rev)); err != nil {
		if isRevisionMismatch(err) {
			return hookstream.Errorf(hookstream.ECONFLICT, "the webhook was changed concurrently; retry")
		}
		return kvError("delete webhook", err)
	}
	if s.cfg.Registry != nil {
		s.cfg.Registry.apply(ctx, key, rev+1, nil, true)
	}
	_ = s.cfg.KV.Delete(ctx, pathKey(rec.Path))
	_ = s.cfg.KV.Delete(ctx, testsKey(tenantID, id))
	w := rec.Webhook
	return s.event(ctx, hookstream.EventWebhookDeleted, w, Record{Webhook: hookstream.Webhook{
		ID: w.ID, TenantID: w.TenantID, WorkflowID: w.WorkflowID, Path: w.Path, Name: w.Name, UpdatedAt: s.cfg.Now().UTC(),
	}})
}

// AddTest records a test-console run, keeping the last TestsKept.
func (s *Service) AddTest(ctx context.Context, tenantID, id string, run TestRun) error {
	key := testsKey(tenantID, id)
	for range 5 {
		var runs []TestRun
		var rev uint64
		e, err := s.cfg.KV.Get(ctx, key)
		switch {
		case err == nil:
			rev = e.Revision()
			if err := json.Unmarshal(e.Value(), &runs); err != nil {
				runs = nil
			}
		case errors.Is(err, jetstream.ErrKeyNotFound):
		default:
			return kvError("read tests", err)
		}
		runs = append([]TestRun{run}, runs...)
		if len(runs) > TestsKept {
			runs = runs[:TestsKept]
		}
		raw, err := json.Marshal(runs)
		if err != nil {
			return fmt.Errorf("marshal tests: %w", err)
		}
		if rev == 0 {
			_, err = s.cfg.KV.Create(ctx, key, raw)
		} else {
			_, err = s.cfg.KV.Update(ctx, key, raw, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isRevisionMismatch(err) {
			return kvError("write tests", err)
		}
	}
	return hookstream.Errorf(hookstream.ECONFLICT, "too many concurrent test runs; retry")
}

// Tests returns the last test-console runs, newest first.
func (s *Service) Tests(ctx context.Context, tenantID, id string) ([]TestRun, error) {
	e, err := s.cfg.KV.Get(ctx, testsKey(tenantID, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return []TestRun{}, nil
	} else if err != nil {
		return nil, kvError("read tests", err)
	}
	var runs []TestRun
	if err := json.Unmarshal(e.Value(), &runs); err != nil {
		return []TestRun{}, nil //nolint:nilerr // an unreadable history reads as empty; the next run overwrites it
	}
	return runs, nil
}

func (s *Service) local(ctx context.Context, key string, rev uint64, raw []byte) {
	if s.cfg.Registry != nil {
		s.cfg.Registry.apply(ctx, key, rev, raw, false)
	}
}

func (s *Service) schemaFor(ctx context.Context, w hookstream.Webhook) (*schema.Type, error) {
	if w.EventType == "" {
		return nil, nil
	}
	bad := func(msg string) error {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, msg, hookstream.FieldError{Field: "eventType", Message: msg})
	}
	if s.cfg.Schemas == nil {
		return nil, bad("event types are not available")
	}
	t, err := s.cfg.Schemas.EventType(ctx, w.TenantID, w.EventType, w.EventTypeVersion)
	if err != nil {
		if hookstream.ErrorCode(err) == hookstream.ENOTFOUND {
			if w.EventTypeVersion > 0 {
				return nil, bad(fmt.Sprintf("event type %s version %d does not exist", w.EventType, w.EventTypeVersion))
			}
			return nil, bad(fmt.Sprintf("event type %s does not exist", w.EventType))
		}
		return nil, err
	}
	return &t, nil
}

// event appends a config event carrying rec (secrets sealed).
func (s *Service) event(ctx context.Context, t hookstream.EventType, w hookstream.Webhook, rec Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("marshal config event: %w", err)
	}
	ev := eventstore.NewEvent(t)
	ev.TenantID, ev.WebhookID, ev.WorkflowID, ev.Priority = w.TenantID, w.ID, w.WorkflowID, w.Priority
	ev.Data = data
	if _, err := s.cfg.Appender.Append(ctx, ev, eventstore.AppendOptions{}); err != nil {
		return fmt.Errorf("append %s: %w", t, err)
	}
	return nil
}

// stripComputed clears what is computed when shown (stats, URL).
func stripComputed(w *hookstream.Webhook) {
	w.URL, w.TriggerCount, w.LastTriggeredAt, w.ErrorRate = "", 0, nil, nil
}

// kvError translates a KV failure: unavailable when JetStream is down.
func kvError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) || strings.Contains(err.Error(), "no responders") ||
		strings.Contains(err.Error(), "connection closed") {
		return fmt.Errorf("%s: %w: %w", op, hookstream.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
