package replay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/schema"
)

// Defaults of Config.
const (
	CounterBucketDefault = "replay_counters"
	// CounterTTLDefault outlives the stream's MaxAge: a root older than the
	// stream cannot replay anyway.
	CounterTTLDefault = 366 * 24 * time.Hour
	// criticalTimeout bounds a replay's reservation and appends.
	criticalTimeout = 30 * time.Second
)

// EventRef locates a delivery of the delivery log in the stream.
type EventRef = hookstream.ReplayEventRef

// Locator finds deliveries in the delivery log.
type Locator interface {
	// LocateEvent returns where a tenant's delivery is stored.
	// Errors: hookstream.ErrNotFound (unknown, or another tenant's).
	LocateEvent(ctx context.Context, tenantID, eventID string) (EventRef, error)
}

// Tenants returns a tenant's settings (retention, replay bound).
type Tenants interface {
	// Tenant errors: hookstream.ErrNotFound.
	Tenant(ctx context.Context, id string) (hookstream.Tenant, error)
}

// LookupWebhookFunc returns a tenant's webhook and, when it names an event
// type with schemaMode warn or enforce, its compiled validator.
type LookupWebhookFunc func(tenantID, webhookID string) (hookstream.Webhook, *schema.Validator, bool)

// Config configures a Service.
type Config struct {
	Store *eventstore.Store
	// Appender appends the replays and their replay.requested; default
	// Store. The node's eventstore.Batcher groups the appends of a batch
	// job's concurrent replays (and of ingest) into one fsync per batch.
	Appender Appender
	Locator  Locator
	Tenants  Tenants
	// LookupWebhook validates edited bodies; nil validates nothing (only for
	// tests without webhooks).
	LookupWebhook LookupWebhookFunc
	// CounterBucket is the KV bucket of replay counters; default
	// CounterBucketDefault.
	CounterBucket string
	Logger        *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Appender appends an event and returns after its PubAck:
// *eventstore.Store or *eventstore.Batcher.
type Appender interface {
	Append(ctx context.Context, ev *hookstream.Event, opts eventstore.AppendOptions) (eventstore.AppendResult, error)
}

// Service performs replays. It is safe for concurrent use.
type Service struct {
	cfg       Config
	counters  *eventstore.Counters
	requested *schema.Validator
	logger    *slog.Logger
}

// NewService opens the counter bucket and compiles the replay.requested
// schema.
func NewService(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Locator == nil || cfg.Tenants == nil {
		return nil, errors.New("replay: Store, Locator and Tenants are required")
	}
	if cfg.CounterBucket == "" {
		cfg.CounterBucket = CounterBucketDefault
	}
	if cfg.Appender == nil {
		cfg.Appender = cfg.Store
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	counters, err := cfg.Store.Counters(ctx, cfg.CounterBucket, CounterTTLDefault)
	if err != nil {
		return nil, err
	}
	var requested *schema.Validator
	for _, t := range schema.Core() {
		if t.Name == hookstream.EventReplayRequested {
			if requested, err = schema.Compile(t, schema.Resolver(schema.Core()...)); err != nil {
				return nil, fmt.Errorf("compile replay.requested: %w", err)
			}
		}
	}
	if requested == nil {
		return nil, errors.New("replay: core schema replay.requested missing")
	}
	return &Service{cfg: cfg, counters: counters, requested: requested, logger: cfg.Logger}, nil
}

// AuditAppendAttempts is how often the audit event (replay.requested) of
// an appended replay is tried in all, waiting AuditAppendBackoff between
// attempts (deduplicated by its message id, so a retry never doubles it).
const AuditAppendAttempts = 5

// AuditAppendBackoff is the wait between attempts at the audit event.
var AuditAppendBackoff = hookstream.Backoff{Base: 200 * time.Millisecond, Max: 2 * time.Second}

// Request is a single replay: POST /api/v1/events/{id}/replay.
type Request struct {
	// Body, when set (and not JSON null), replaces the original body.
	Body json.RawMessage `json:"body,omitempty"`
	// Reason is recorded in the audit.
	Reason string `json:"reason,omitempty"`
	// WorkflowID, when set, targets this workflow (envelope workflowid).
	WorkflowID string `json:"workflowId,omitempty"`
}

// Result of a replay.
type Result struct {
	EventID     string `json:"eventId"`
	ReplayCount int    `json:"replayCount"`
	// RootEventID is the root of the chain.
	RootEventID string `json:"rootEventId"`
	// Duplicate is true when a job's replay had already been appended (a
	// resumed job); nothing new was appended.
	Duplicate bool `json:"-"`
}

// RequestedData is the data of replay.requested (core schema).
type RequestedData = hookstream.ReplayRequestedData

// Actor is who asked for a replay.
type Actor = hookstream.ReplayActor

// ActorOf returns the actor of a principal.
func ActorOf(p hookstream.Principal) Actor { return Actor{TokenID: p.TokenID, Role: p.Role} }

// Replay replays a tenant's delivery (SPEC §7). Errors (*hookstream.Error):
// ENOTFOUND unknown event, ETOOLARGE an edited body over the webhook's
// maxBodyBytes, EUNPROCESSABLE rejected event or an edited body
// failing an enforced schema, EGONE past retention, ECONFLICT past the
// replay bound, EUNAVAILABLE when JetStream is down.
func (s *Service) Replay(ctx context.Context, p hookstream.Principal, eventID string, req Request) (Result, error) {
	tenant, err := s.cfg.Tenants.Tenant(ctx, p.TenantID)
	if err != nil {
		return Result{}, err
	}
	ref, err := s.cfg.Locator.LocateEvent(ctx, p.TenantID, eventID)
	if err != nil {
		return Result{}, err
	}
	if ref.Status == "rejected" {
		return Result{}, hookstream.Errorf(hookstream.EUNPROCESSABLE, "event %s was rejected at ingest; only accepted deliveries replay", eventID)
	}
	orig, err := s.original(ctx, tenant, ref)
	if err != nil {
		return Result{}, err
	}
	return s.replay(ctx, tenant, orig, replayOptions{
		actor: ActorOf(p), reason: req.Reason, body: req.Body, workflowID: req.WorkflowID,
	})
}

// original reads a delivery from the stream and checks it may replay.
func (s *Service) original(ctx context.Context, tenant hookstream.Tenant, ref EventRef) (*hookstream.Event, error) {
	stream := ref.Stream
	if stream == "" {
		stream = eventstore.StreamHooks
	}
	ev, err := s.cfg.Store.Get(ctx, stream, ref.Seq)
	if hookstream.ErrorCode(err) == hookstream.ENOTFOUND {
		return nil, hookstream.Errorf(hookstream.EGONE, "event %s is no longer in the stream (past retention)", ref.ID)
	}
	if err != nil {
		return nil, err
	}
	if ev.ID != ref.ID || ev.TenantID != tenant.ID {
		return nil, hookstream.Errorf(hookstream.EGONE, "event %s is no longer in the stream", ref.ID)
	}
	if err := s.replayable(tenant, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// replayable checks type and retention.
func (s *Service) replayable(tenant hookstream.Tenant, ev *hookstream.Event) error {
	if ev.Type == hookstream.EventWebhookRejected {
		return hookstream.Errorf(hookstream.EUNPROCESSABLE, "event %s was rejected at ingest; only accepted deliveries replay", ev.ID)
	}
	if ev.Type != hookstream.EventWebhookReceived {
		return hookstream.Errorf(hookstream.EUNPROCESSABLE, "event %s is a %s; only webhook deliveries replay", ev.ID, ev.Type)
	}
	if ev.Time.Before(s.retentionCutoff(tenant)) {
		return hookstream.Errorf(hookstream.EGONE, "event %s is older than the tenant's retention of %d days", ev.ID, retentionDays(tenant))
	}
	return nil
}

func retentionDays(t hookstream.Tenant) int {
	if t.RetentionDays <= 0 {
		return hookstream.RetentionDaysDefault
	}
	return t.RetentionDays
}

func (s *Service) retentionCutoff(t hookstream.Tenant) time.Time {
	return s.cfg.Now().Add(-time.Duration(retentionDays(t)) * 24 * time.Hour)
}

// MaxReplays is a tenant's effective bound: its setting, within the hard cap.
func MaxReplays(t hookstream.Tenant) int {
	return min(max(t.MaxReplays, 0), hookstream.MaxReplaysHardCap)
}

type replayOptions struct {
	actor      Actor
	reason     string
	body       json.RawMessage
	workflowID string
	// jobID, when set, makes the appends idempotent per (job, original).
	jobID string
}

// counterKey is the KV key of a root's counter.
func counterKey(tenantID, rootID string) string { return tenantID + "." + rootID }

// jobMsgID is the deterministic Nats-Msg-Id of a job's replay of one event.
func jobMsgID(jobID, originalID, kind string) string {
	h := sha256.Sum256([]byte(jobID + "\x00" + originalID + "\x00" + kind))
	return "r-" + hex.EncodeToString(h[:20])
}

// replay appends the replay of orig and its replay.requested.
func (s *Service) replay(ctx context.Context, tenant hookstream.Tenant, orig *hookstream.Event, o replayOptions) (Result, error) {
	root := orig.ReplayOf
	if root == "" {
		root = orig.ID
	}
	edited := len(o.body) > 0 && !bytes.Equal(bytes.TrimSpace(o.body), []byte("null"))
	data, err := s.replayData(orig, o.body, edited)
	if err != nil {
		return Result{}, err
	}
	limit := MaxReplays(tenant)
	key := counterKey(tenant.ID, root)
	// From the reservation to the audit event the replay runs to its end
	// even when the caller goes away (a client disconnects, a node stops a
	// job): an abandoned reservation would cost the root a slot.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), criticalTimeout)
	defer cancel()
	n, err := s.counters.Incr(ctx, key, limit)
	if errors.Is(err, eventstore.ErrCounterLimit) {
		return Result{}, &hookstream.Error{
			Code:    hookstream.ECONFLICT,
			Message: fmt.Sprintf("event %s has been replayed %d times, the tenant's maximum is %d", root, n, limit),
			Extra:   map[string]any{"rootEventId": root, "replayCount": n, "maxReplays": limit},
		}
	}
	if err != nil {
		return Result{}, fmt.Errorf("reserve replay of %s: %w", root, err)
	}
	release := func() {
		if err := s.counters.Decr(ctx, key); err != nil {
			s.logger.WarnContext(ctx, "replay slot not released", slog.String("root_event_id", root), slog.String("error", err.Error()))
		}
	}

	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.Source, ev.TenantID, ev.WebhookID, ev.Priority = orig.Source, orig.TenantID, orig.WebhookID, orig.Priority
	ev.WorkflowID = orig.WorkflowID
	if o.workflowID != "" {
		ev.WorkflowID = o.workflowID
	}
	ev.DataContentType = orig.DataContentType
	ev.ReplayOf, ev.ReplayCount, ev.Data = root, n, data
	ttl := time.Duration(retentionDays(tenant)) * 24 * time.Hour
	opts := eventstore.AppendOptions{TTL: ttl}
	if o.jobID != "" {
		opts.MsgID = jobMsgID(o.jobID, orig.ID, "received")
	}
	res, err := s.cfg.Appender.Append(ctx, ev, opts)
	if err != nil {
		release()
		return Result{}, err
	}
	out := Result{EventID: ev.ID, ReplayCount: n, RootEventID: root}
	if res.Duplicate {
		// A resumed job: the replay is already in the stream. Give the slot
		// back and report the stored replay.
		release()
		prev, err := s.cfg.Store.Get(ctx, res.Stream, res.Seq)
		if err != nil {
			return Result{}, err
		}
		out.EventID, out.ReplayCount, out.Duplicate = prev.ID, prev.ReplayCount, true
	}

	rd := RequestedData{
		OriginalEventID: orig.ID, RootEventID: root, NewEventID: out.EventID, Actor: o.actor,
		Reason: o.reason, Modified: edited, ReplayCount: out.ReplayCount, JobID: o.jobID,
	}
	if rd.Actor.TokenID == "" {
		rd.Actor.TokenID = "system"
	}
	if rd.Actor.Role == "" {
		rd.Actor.Role = hookstream.RoleAdmin
	}
	raw, err := json.Marshal(rd)
	if err != nil {
		return Result{}, fmt.Errorf("encode replay.requested: %w", err)
	}
	errs, err := s.requested.ValidateJSON(raw)
	if err != nil {
		return Result{}, fmt.Errorf("replay.requested does not match its schema: %w", err)
	}
	if len(errs) > 0 {
		return Result{}, fmt.Errorf("replay.requested does not match its schema: %v", errs)
	}
	req := eventstore.NewEvent(hookstream.EventReplayRequested)
	req.TenantID, req.WebhookID, req.Priority = orig.TenantID, orig.WebhookID, orig.Priority
	req.WorkflowID = ev.WorkflowID
	req.ReplayOf, req.ReplayCount, req.Data = root, out.ReplayCount, raw
	ropts := eventstore.AppendOptions{TTL: ttl}
	if o.jobID != "" {
		ropts.MsgID = jobMsgID(o.jobID, orig.ID, "requested")
	}
	// The replay is in the stream; its audit event must follow. Retry a
	// transient failure a few times before giving up.
	for attempt := 1; ; attempt++ {
		_, err = s.cfg.Appender.Append(ctx, req, ropts)
		if err == nil || attempt == AuditAppendAttempts || ctx.Err() != nil {
			break
		}
		if ropts.MsgID == "" {
			ropts.MsgID = req.ID // retries must not duplicate the audit
		}
		if !AuditAppendBackoff.Wait(ctx, attempt) {
			break
		}
	}
	if err != nil {
		s.logger.ErrorContext(ctx, "replay appended without its replay.requested",
			slog.String("event_id", out.EventID), slog.String("root_event_id", root), slog.String("error", err.Error()))
		return Result{}, err
	}
	return out, nil
}

// replayData returns the original data with the body replaced when edited.
// An edited body is validated under the webhook's enforced schema.
func (s *Service) replayData(orig *hookstream.Event, body json.RawMessage, edited bool) (json.RawMessage, error) {
	if !edited {
		if orig.Outcome == hookstream.OutcomeFiltered {
			// Ingest's decision is the original's, not the replay's: the
			// pipeline decides the replay with the rules of now.
			var d map[string]json.RawMessage
			if err := json.Unmarshal(orig.Data, &d); err != nil || d == nil {
				return nil, fmt.Errorf("decode original data of %s: %w", orig.ID, err)
			}
			delete(d, "filteredReason")
			return json.Marshal(d)
		}
		return orig.Data, nil
	}
	if !json.Valid(body) {
		return nil, hookstream.Invalid(hookstream.EINVALID, "body must be a JSON value", hookstream.FieldError{Field: "body", Message: "not valid JSON"})
	}
	if !utf8.Valid(body) {
		return nil, hookstream.Invalid(hookstream.EINVALID, "body must be a JSON value", hookstream.FieldError{Field: "body", Message: "not valid UTF-8"})
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return nil, hookstream.Errorf(hookstream.EINVALID, "body must be a JSON value")
	}
	body = compact.Bytes()
	var d map[string]json.RawMessage
	if err := json.Unmarshal(orig.Data, &d); err != nil || d == nil {
		return nil, fmt.Errorf("decode original data of %s: %w", orig.ID, err)
	}
	var contentType string
	_ = json.Unmarshal(d["contentType"], &contentType)
	var schemaErrs []hookstream.FieldError
	if s.cfg.LookupWebhook != nil {
		wh, v, ok := s.cfg.LookupWebhook(orig.TenantID, orig.WebhookID)
		if ok {
			// A replay skips only authentication and deduplication (SPEC
			// §7): the webhook's body limit holds for an edited body.
			limit := wh.MaxBodyBytes
			if limit <= 0 {
				limit = hookstream.MaxBodyBytesDefault
			}
			if int64(len(body)) > limit {
				return nil, &hookstream.Error{
					Code:    hookstream.ETOOLARGE,
					Message: fmt.Sprintf("the edited body is %d bytes, over the webhook's maxBodyBytes of %d", len(body), limit),
					Extra:   map[string]any{"maxBodyBytes": limit},
				}
			}
		}
		if ok && len(wh.MaskPaths) > 0 && len(d["bodyEncoding"]) == 0 {
			// An edit of the masked view never writes the placeholder over
			// the original values (SPEC §7).
			body = unmask(body, d["body"], wh.MaskPaths)
		}
		if ok && v != nil {
			verrs, err := v.ValidateJSON(body)
			if err != nil {
				return nil, hookstream.Invalid(hookstream.EINVALID, "body must be a JSON value", hookstream.FieldError{Field: "body", Message: err.Error()})
			}
			switch {
			case len(verrs) > 0 && wh.SchemaMode == hookstream.SchemaEnforce:
				return nil, hookstream.Invalid(hookstream.EUNPROCESSABLE,
					fmt.Sprintf("the edited body does not match event type %s v%d", v.Name(), v.Version()), schema.FieldErrors(verrs)...)
			case len(verrs) > 0 && wh.SchemaMode == hookstream.SchemaWarn:
				schemaErrs = schema.FieldErrors(verrs)
			}
		}
	}
	size := len(body)
	if body[0] == '"' && !isJSONType(contentType) {
		// A text body edited as a JSON string: keep the text content type.
		var str string
		if err := json.Unmarshal(body, &str); err == nil {
			size = len(str)
		}
	} else if !isJSONType(contentType) {
		contentType = "application/json"
	}
	d["body"] = body
	d["bodyBytes"] = mustJSON(size)
	// The original's Content-Length described the original body.
	if hs, ok := d["headers"]; ok {
		var headers map[string][]string
		if json.Unmarshal(hs, &headers) == nil && headers != nil {
			for k := range headers {
				if strings.EqualFold(k, "Content-Length") {
					headers[k] = []string{strconv.Itoa(size)}
				}
			}
			d["headers"] = mustJSON(headers)
		}
	}
	d["contentType"] = mustJSON(contentType)
	delete(d, "bodyEncoding")
	delete(d, "schemaErrors")
	delete(d, "filteredReason")
	if len(schemaErrs) > 0 {
		d["schemaErrors"] = mustJSON(schemaErrs)
	}
	if md, ok := d["metadata"]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(md, &m) == nil && m != nil {
			if _, has := m["bodyBytes"]; has {
				m["bodyBytes"] = mustJSON(size)
				d["metadata"] = mustJSON(m)
			}
		}
	}
	out, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode replay data: %w", err)
	}
	return out, nil
}

func isJSONType(ct string) bool {
	ct = strings.ToLower(ct)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

func mustJSON(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return raw
}

// Count returns how many replays of a root were made (0 when none).
func (s *Service) Count(ctx context.Context, tenantID, rootID string) (int, error) {
	return s.counters.Value(ctx, counterKey(tenantID, rootID))
}
