package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	useragent "github.com/medama-io/go-useragent"
	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/handlers/verify"
	"github.com/hookstream/hookstream/streams/schema"
	"github.com/hookstream/hookstream/streams/webhooks"
)

// Appender is the one append interface (hookstream.Appender): eventstore.Store,
// or eventstore.Batcher (group commit).
type Appender = hookstream.Appender

// EventGetter reads a stored event (the original of a duplicate).
type EventGetter interface {
	Get(ctx context.Context, stream string, seq uint64) (*hookstream.Event, error)
}

// IngestRegistry finds the webhook served at a path (the in-memory cache).
type IngestRegistry interface {
	ByPath(path string) (*webhooks.Entry, bool)
}

// RetentionSource gives a tenant's retention as a message TTL.
type RetentionSource interface {
	TTL(tenantID string) time.Duration
}

// IngestConfig configures Ingest.
type IngestConfig struct {
	Registry IngestRegistry
	Appender Appender
	// Events reads back the original of a duplicate delivery (required).
	Events EventGetter
	// Retention sets each event's Nats-TTL; nil: RetentionDaysDefault.
	Retention RetentionSource
	// TrustedProxies are the peers whose X-Forwarded-For is honoured.
	TrustedProxies []netip.Prefix
	// RedactHeaders are redacted in stored events besides Authorization,
	// Cookie, Proxy-Authorization and the webhook's API-key header.
	RedactHeaders []string
	// GeoIP, when set, adds metadata.geo.
	GeoIP *maxminddb.Reader
	// Registerer receives the ingest metrics (required).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Decider, when set, records on webhook.received the decision ingest
	// can take itself (no workflow to trigger: processed or filtered), so
	// the pipeline appends nothing for it (streams/pipeline.Decider).
	Decider IngestDecider
}

// IngestDecider decides a received delivery at ingest when nothing is left
// to decide asynchronously; "" leaves it to the pipeline.
type IngestDecider interface {
	Decide(wh *hookstream.Webhook, data json.RawMessage) (outcome, reason string)
}

// Ingest is the webhook receiving endpoint (SPEC §3): POST
// /api/v1/webhooks/{path} and /hooks/{path} with the webhook's methods.
type Ingest struct {
	cfg     IngestConfig
	redact  map[string]bool
	enrich  *enricher
	metrics *ingestMetrics
}

var uaParser = sync.OnceValue(useragent.NewParser)

// NewIngest builds the ingest module.
func NewIngest(cfg IngestConfig) (*Ingest, error) {
	if cfg.Registry == nil || cfg.Appender == nil || cfg.Events == nil || cfg.Registerer == nil {
		return nil, errors.New("ingest: Registry, Appender, Events and Registerer are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m, err := newIngestMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	redact := map[string]bool{}
	for _, h := range append(slices.Clone(alwaysRedacted), cfg.RedactHeaders...) {
		if h = strings.TrimSpace(h); h != "" {
			redact[http.CanonicalHeaderKey(h)] = true
		}
	}
	return &Ingest{cfg: cfg, redact: redact, enrich: &enricher{ua: uaParser(), geo: cfg.GeoIP}, metrics: m}, nil
}

// Register mounts the ingest routes on the root (unauthenticated).
func (in *Ingest) Register(r *Routes) {
	r.Echo.POST("/api/v1/webhooks/:path", in.handle)
	r.Echo.Any("/hooks/:path", in.handle)
}

func (in *Ingest) handle(c echo.Context) error {
	start := time.Now()
	res, err := in.Process(c.Request().Context(), c.Response(), c.Request(), c.Param("path"))
	status := res.Status
	if err != nil {
		status = StatusOf(err)
	}
	in.metrics.observe(status, time.Since(start))
	for k, v := range res.Header {
		c.Response().Header()[k] = v
	}
	if err != nil {
		return err
	}
	return c.JSON(res.Status, res.Body)
}

// IngestResult is a successful ingest answer. Header is also set on errors
// (Allow for 405, WWW-Authenticate for basic 401).
type IngestResult struct {
	Status int
	Body   map[string]any
	Header http.Header
}

type testRunKey struct{}

// TestRun marks a request context as a test-console run: the event is
// flagged test=true, and with dryRun nothing is appended. OwnCredentials
// ("sign": true) authenticates a Basic webhook as its owner (signature and
// API-key webhooks get real headers from the console instead).
type TestRun struct{ DryRun, OwnCredentials bool }

// WithTestRun returns ctx marked as a test-console run.
func WithTestRun(ctx context.Context, tr TestRun) context.Context {
	return context.WithValue(ctx, testRunKey{}, tr)
}

// attempt carries one request through the checks.
type attempt struct {
	entry    *webhooks.Entry
	r        *http.Request
	path     string
	received time.Time
	ip       netip.Addr
	query    url.Values
	body     []byte
}

// Process runs the ingest pipeline on one request, in the order of SPEC
// §3.1: unknown path 404, method 405, body over the limit 413 (the body
// must be read before a signature can be checked), authentication 401,
// source IP 403, content type 415, malformed or too-deep JSON 400, Slack
// url_verification 200, schema (enforce) 422, rate limit 429, disabled
// 503, then the durable append: 202, or 200 for a duplicate delivery.
// Errors are *hookstream.Error for the one error handler. w may be nil.
func (in *Ingest) Process(ctx context.Context, w http.ResponseWriter, r *http.Request, path string) (IngestResult, error) {
	res := IngestResult{Header: http.Header{}}
	entry, ok := in.cfg.Registry.ByPath(path)
	if !ok {
		return res, hookstream.Errorf(hookstream.ENOTFOUND, "no webhook at this path")
	}
	wh := entry.Webhook
	methods := wh.Methods
	if len(methods) == 0 {
		methods = []string{http.MethodPost}
	}
	if !slices.Contains(methods, r.Method) {
		res.Header.Set("Allow", strings.Join(methods, ", "))
		return res, hookstream.Errorf(hookstream.EMETHOD, "method %s is not allowed for this webhook", r.Method)
	}
	a := &attempt{entry: entry, r: r, path: path, received: in.cfg.Now(), query: r.URL.Query()}
	a.ip = sourceIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), in.cfg.TrustedProxies)

	limit := wh.MaxBodyBytes
	if limit <= 0 {
		limit = hookstream.MaxBodyBytesDefault
	}
	body, err := readBody(w, r, limit)
	a.body = body
	if err != nil {
		if hookstream.ErrorCode(err) == hookstream.EINTERNAL {
			return res, hookstream.Errorf(hookstream.EINVALID, "the request body could not be read")
		}
		return res, in.reject(ctx, a, err)
	}
	var auth hookstream.AuthResult
	if tr, ok := ctx.Value(testRunKey{}).(TestRun); ok && tr.OwnCredentials && wh.AuthType == hookstream.AuthBasic {
		// The test console sends as the webhook's owner with "sign": true;
		// Basic passwords are stored hashed, so it vouches in-process.
		auth = hookstream.AuthResult{Type: hookstream.AuthBasic, Verified: true}
	} else {
		auth, err = in.authenticate(entry, r, a.query, body, a.received)
	}
	if err != nil {
		if wh.AuthType == hookstream.AuthBasic {
			res.Header.Set("WWW-Authenticate", `Basic realm="hookstream", charset="UTF-8"`)
		}
		return res, in.reject(ctx, a, err)
	}
	if !entry.AllowsIP(a.ip) {
		return res, in.reject(ctx, a, hookstream.Errorf(hookstream.EFORBIDDEN, "source address is not allowed for this webhook"))
	}
	mt := mediaType(r.Header.Get("Content-Type"))
	if !acceptsType(wh.ContentTypes, mt) {
		return res, in.reject(ctx, a, hookstream.Errorf(hookstream.EUNSUPPORTED, "content type %q is not accepted by this webhook", mt))
	}
	depth := wh.MaxJSONDepth
	if depth <= 0 {
		depth = hookstream.MaxJSONDepthDefault
	}
	if isJSONType(mt) && len(body) > 0 {
		if err := checkJSON(body, depth); err != nil {
			return res, in.reject(ctx, a, err)
		}
	}
	enc := encodeBody(mt, body, depth)
	var decoded any
	decodedOnce := false
	bodyValue := func() any {
		if !decodedOnce {
			decodedOnce = true
			if enc.IsJSON {
				decoded = decodeJSONValue(body)
			} else if enc.Encoding == "" && len(enc.JSON) > 0 {
				decoded = decodeJSONValue(enc.JSON)
			}
		}
		return decoded
	}
	if wh.AuthType == hookstream.AuthSignature && wh.SignatureScheme == verify.SchemeSlack && enc.IsJSON {
		if m, ok := bodyValue().(map[string]any); ok && m["type"] == "url_verification" {
			res.Status, res.Body = http.StatusOK, map[string]any{"challenge": m["challenge"]}
			return res, nil
		}
	}
	var schemaErrs []hookstream.FieldError
	if entry.Validator != nil && wh.SchemaMode != hookstream.SchemaOff {
		var verrs []schema.ValidationError
		if enc.IsJSON {
			verrs, err = entry.Validator.ValidateJSON(body)
		} else {
			verrs = entry.Validator.Validate(bodyValue())
		}
		if err != nil {
			verrs = []schema.ValidationError{{Keyword: "type", Message: "body is not JSON"}}
		}
		if len(verrs) > 0 {
			schemaErrs = schema.FieldErrors(verrs)
			if wh.SchemaMode == hookstream.SchemaEnforce {
				return res, in.reject(ctx, a, hookstream.Invalid(hookstream.EUNPROCESSABLE,
					fmt.Sprintf("payload does not match event type %s", wh.EventType), schemaErrs...))
			}
		}
	}
	if entry.Limiter != nil && !entry.Limiter.AllowN(a.received, 1) {
		retry := 1
		if lim := float64(entry.Limiter.Limit()); lim > 0 {
			retry = max(1, int(math.Ceil(1/lim)))
		}
		return res, &hookstream.Error{Code: hookstream.ERATELIMIT, Message: "rate limit exceeded for this webhook", RetryAfter: retry}
	}
	if !wh.Enabled {
		return res, &hookstream.Error{Code: hookstream.EUNAVAILABLE, Message: "webhook is disabled", RetryAfter: 60}
	}

	query := a.query
	if wh.AuthType == hookstream.AuthAPIKey && wh.APIKeyQueryParam != "" && query.Has(wh.APIKeyQueryParam) {
		query = cloneValues(query)
		query.Del(wh.APIKeyQueryParam)
	}
	scheme := ""
	if wh.AuthType == hookstream.AuthSignature {
		scheme = wh.SignatureScheme
	}
	deliveryID := verify.DeliveryID(scheme, r.Header, body, wh.DedupHeader)
	tr, isTest := ctx.Value(testRunKey{}).(TestRun)
	data := hookstream.ReceivedData{
		Method:       r.Method,
		Path:         path,
		Headers:      in.headers(entry, r.Header),
		Query:        query,
		Body:         enc.JSON,
		BodyEncoding: enc.Encoding,
		ContentType:  r.Header.Get("Content-Type"),
		BodyBytes:    len(body),
		Auth:         auth,
		DeliveryID:   deliveryID,
		Test:         isTest,
		SchemaErrors: schemaErrs,
	}
	if len(data.Query) == 0 {
		data.Query = nil
	}
	md := in.enrich.metadata(entry, r, a.query, a.ip, a.received, len(body), bodyValue)
	md["ingestMs"] = float64(in.cfg.Now().Sub(a.received).Microseconds()) / 1000
	data.Metadata = md
	raw, err := json.Marshal(data)
	if err != nil {
		return res, fmt.Errorf("marshal webhook.received: %w", err)
	}
	ev := in.newEvent(hookstream.EventWebhookReceived, wh)
	if in.cfg.Decider != nil {
		if outcome, reason := in.cfg.Decider.Decide(&wh, raw); outcome != "" {
			ev.Outcome = outcome
			if reason != "" {
				raw, err = withFilteredReason(raw, reason)
				if err != nil {
					return res, err
				}
			}
		}
	}
	ev.Data = raw
	if isTest && tr.DryRun {
		res.Status, res.Body = http.StatusAccepted, map[string]any{"eventId": ev.ID, "dryRun": true}
		return res, nil
	}
	opts := eventstore.AppendOptions{TTL: in.ttl(wh.TenantID)}
	if deliveryID != "" {
		opts.MsgID = eventstore.MsgIDForDelivery(wh.TenantID, wh.ID, deliveryID)
	}
	ar, err := in.cfg.Appender.Append(ctx, ev, opts)
	if err != nil {
		return res, err
	}
	if ar.Duplicate {
		orig := in.duplicate(ctx, wh, ar, deliveryID)
		res.Status, res.Body = http.StatusOK, map[string]any{"eventId": orig, "duplicate": true}
		return res, nil
	}
	res.Status, res.Body = http.StatusAccepted, map[string]any{"eventId": ev.ID}
	return res, nil
}

func (in *Ingest) ttl(tenantID string) time.Duration {
	if in.cfg.Retention == nil {
		return hookstream.RetentionDaysDefault * 24 * time.Hour
	}
	return in.cfg.Retention.TTL(tenantID)
}

func (in *Ingest) newEvent(t hookstream.EventType, wh hookstream.Webhook) *hookstream.Event {
	ev := eventstore.NewEvent(t)
	ev.TenantID, ev.WebhookID, ev.WorkflowID, ev.Priority = wh.TenantID, wh.ID, wh.WorkflowID, wh.Priority
	return ev
}

// duplicate reads the original event's id and appends webhook.duplicate so
// the delivery log counts the redelivery (SPEC §3.4).
func (in *Ingest) duplicate(ctx context.Context, wh hookstream.Webhook, ar eventstore.AppendResult, deliveryID string) string {
	in.metrics.duplicates.Inc()
	orig, err := in.cfg.Events.Get(ctx, ar.Stream, ar.Seq)
	if err != nil {
		in.cfg.Logger.WarnContext(ctx, "duplicate: original unreadable", slog.String("webhook_id", wh.ID), slog.Uint64("seq", ar.Seq), slog.String("error", err.Error()))
		return ""
	}
	ev := in.newEvent(hookstream.EventWebhookDuplicate, wh)
	if ev.Data, err = json.Marshal(hookstream.DuplicateData{EventID: orig.ID, OriginalSeq: ar.Seq, DeliveryID: deliveryID}); err != nil {
		in.cfg.Logger.WarnContext(ctx, "duplicate: count not recorded", slog.String("webhook_id", wh.ID), slog.String("error", err.Error()))
		return orig.ID
	}
	if _, err := in.cfg.Appender.Append(ctx, ev, eventstore.AppendOptions{TTL: in.ttl(wh.TenantID)}); err != nil {
		in.cfg.Logger.WarnContext(ctx, "duplicate: count not recorded", slog.String("webhook_id", wh.ID), slog.String("error", err.Error()))
	}
	return orig.ID
}

// headers returns the request headers redacted for storage.
func (in *Ingest) headers(e *webhooks.Entry, h http.Header) map[string][]string {
	redact := in.redact
	wh := e.Webhook
	if wh.AuthType == hookstream.AuthAPIKey {
		redact = make(map[string]bool, len(in.redact)+1)
		for k := range in.redact {
			redact[k] = true
		}
		redact[http.CanonicalHeaderKey(apiKeyHeader(wh))] = true
	}
	var keep []string
	if wh.AuthType == hookstream.AuthSignature {
		keep = verify.SignatureHeaders(wh.SignatureScheme, hmacConfig(wh.HMAC))
	}
	return redactHeaders(h, redact, keep)
}

func apiKeyHeader(wh hookstream.Webhook) string {
	if wh.APIKeyHeader != "" {
		return wh.APIKeyHeader
	}
	return "X-API-Key"
}

func hmacConfig(s *hookstream.HMACSettings) verify.HMACConfig {
	if s == nil {
		return verify.HMACConfig{}
	}
	return verify.HMACConfig{
		Algorithm: s.Algorithm, Encoding: s.Encoding, Header: s.Header, Prefix: s.Prefix,
		SignedContent: s.SignedContent, IDHeader: s.IDHeader, TimestampHeader: s.TimestampHeader,
		ToleranceSeconds: s.ToleranceSeconds,
	}
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vals := range v {
		out[k] = slices.Clone(vals)
	}
	return out
}

var errAuth = func(msg string) error { return hookstream.Errorf(hookstream.EUNAUTHORIZED, "%s", msg) }

// authenticate checks the webhook's credentials (SPEC §3.2), constant-time.
func (in *Ingest) authenticate(e *webhooks.Entry, r *http.Request, query url.Values, body []byte, now time.Time) (hookstream.AuthResult, error) {
	wh, sec := e.Webhook, e.Secrets
	res := hookstream.AuthResult{Type: wh.AuthType}
	switch wh.AuthType {
	case hookstream.AuthNone, "":
		res.Type = hookstream.AuthNone
		return res, nil
	case hookstream.AuthBasic:
		user, pass, ok := verify.ParseBasic(r.Header.Get("Authorization"))
		if !ok {
			return res, errAuth("missing or malformed Basic credentials")
		}
		userOK := subtle.ConstantTimeCompare([]byte(user), []byte(wh.BasicUsername)) == 1
		passOK := webhooks.CheckPassword(sec.BasicPasswordHash, pass)
		if !userOK || !passOK {
			return res, errAuth("wrong Basic credentials")
		}
	case hookstream.AuthAPIKey:
		key := r.Header.Get(apiKeyHeader(wh))
		if key == "" && wh.APIKeyQueryParam != "" {
			key = query.Get(wh.APIKeyQueryParam)
		}
		if key == "" {
			return res, errAuth("missing API key")
		}
		if sec.APIKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(sec.APIKey)) != 1 {
			return res, errAuth("wrong API key")
		}
	case hookstream.AuthSignature:
		res.Scheme = wh.SignatureScheme
		if res.Scheme == "" {
			res.Scheme = verify.SchemeHMAC
		}
		creds := verify.Credentials{HMAC: hmacConfig(wh.HMAC)}
		if sec.Secret != "" {
			creds.Secrets = append(creds.Secrets, []byte(sec.Secret))
		}
		if sec.GraceSecret != "" && sec.GraceUntil != nil && now.Before(*sec.GraceUntil) {
			creds.Secrets = append(creds.Secrets, []byte(sec.GraceSecret))
		}
		if sec.PublicKey != "" {
			creds.PublicKeys = []string{sec.PublicKey}
		}
		if err := verify.Verify(wh.SignatureScheme, creds, verify.Request{Header: r.Header, Body: body, Now: now}); err != nil {
			switch {
			case errors.Is(err, verify.ErrNoSignature):
				return res, errAuth("missing signature")
			case errors.Is(err, verify.ErrStale):
				return res, errAuth("signature timestamp outside the tolerance")
			case errors.Is(err, verify.ErrMalformed):
				return res, errAuth("malformed signature headers")
			case errors.Is(err, verify.ErrMismatch):
				return res, errAuth("signature does not match")
			default:
				return res, errAuth("this webhook has no usable signing credentials")
			}
		}
	default:
		return res, errAuth("unknown authentication type")
	}
	res.Verified = true
	return res, nil
}

// reject records a webhook.rejected event (rate-capped per webhook) and
// returns err.
func (in *Ingest) reject(ctx context.Context, a *attempt, err error) error {
	status := StatusOf(err)
	wh := a.entry.Webhook
	if !a.entry.Rejects.AllowN(a.received, 1) {
		in.metrics.rejectedDropped.Inc()
		return err
	}
	var ae *hookstream.Error
	errors.As(err, &ae)
	body := a.body
	truncated := false
	if len(body) > hookstream.RejectedBodyMax {
		body, truncated = body[:hookstream.RejectedBodyMax], true
	}
	for len(body) > 0 && !utf8.Valid(body) {
		body, truncated = body[:len(body)-1], true
	}
	query := a.query
	if wh.APIKeyQueryParam != "" && query.Has(wh.APIKeyQueryParam) {
		query = cloneValues(query)
		query.Del(wh.APIKeyQueryParam)
	}
	data := hookstream.RejectedData{
		Status: status, Code: hookstream.ErrorCode(err), Reason: hookstream.ErrorMessage(err),
		Method: a.r.Method, Path: a.path, Headers: in.headers(a.entry, a.r.Header), Query: query,
		Body: string(body), Truncated: truncated,
		Metadata: map[string]any{"receivedAt": a.received.UTC().Format(time.RFC3339Nano), "sourceIp": addrString(a.ip), "bodyBytes": len(a.body)},
	}
	if len(data.Query) == 0 {
		data.Query = nil
	}
	if _, isTest := ctx.Value(testRunKey{}).(TestRun); isTest {
		data.Metadata["test"] = true // a test-console delivery (SPEC §9)
	}
	if ae != nil {
		data.Errors = ae.Fields
	}
	ev := in.newEvent(hookstream.EventWebhookRejected, wh)
	var merr error
	if ev.Data, merr = json.Marshal(data); merr != nil {
		in.cfg.Logger.WarnContext(ctx, "webhook.rejected not recorded", slog.String("webhook_id", wh.ID), slog.String("error", merr.Error()))
		return err
	}
	if _, tr := ctx.Value(testRunKey{}).(TestRun); tr && ctx.Value(testRunKey{}).(TestRun).DryRun {
		return err
	}
	if _, aerr := in.cfg.Appender.Append(context.WithoutCancel(ctx), ev, eventstore.AppendOptions{TTL: in.ttl(wh.TenantID)}); aerr != nil {
		in.cfg.Logger.WarnContext(ctx, "webhook.rejected not recorded", slog.String("webhook_id", wh.ID), slog.String("error", aerr.Error()))
	}
	return err
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// ingestMetrics are the Prometheus metrics of ingest.
type ingestMetrics struct {
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	duplicates      prometheus.Counter
	rejectedDropped prometheus.Counter
}

func newIngestMetrics(reg prometheus.Registerer) (*ingestMetrics, error) {
	m := &ingestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_ingest_requests_total", Help: "Ingest requests by HTTP status.",
		}, []string{"status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookstream_ingest_duration_seconds", Help: "Ingest request latency by HTTP status class.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"class"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookstream_ingest_duplicates_total", Help: "Deliveries refused as duplicates (answered 200).",
		}),
		rejectedDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookstream_ingest_rejected_unrecorded_total", Help: "Rejections over the per-webhook webhook.rejected cap (counted only).",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.duplicates, m.rejectedDropped} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register ingest metrics: %w", err)
		}
	}
	return m, nil
}

func (m *ingestMetrics) observe(status int, d time.Duration) {
	m.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(strconv.Itoa(status/100) + "xx").Observe(d.Seconds())
}

// withFilteredReason adds filteredReason to the JSON object raw (the
// marshalled ReceivedData, which never carries one yet).
func withFilteredReason(raw json.RawMessage, reason string) (json.RawMessage, error) {
	r, err := json.Marshal(reason)
	if err != nil {
		return nil, fmt.Errorf("marshal filtered reason: %w", err)
	}
	out := make([]byte, 0, len(raw)+len(r)+20)
	out = append(out, raw[:len(raw)-1]...)
	out = append(out, `,"filteredReason":`...)
	out = append(out, r...)
	return append(out, '}'), nil
}
