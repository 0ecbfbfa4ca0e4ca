package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/handlers/verify"
	"github.com/hookstream/hookstream/streams/webhooks"
)

// WebhookStatsSource gives the delivery statistics of webhooks (from the
// read models). Errors (PostgreSQL down) make the API answer without stats.
type WebhookStatsSource interface {
	WebhookStats(ctx context.Context, tenantID string, ids []string) (map[string]hookstream.WebhookStats, error)
}

// WebhookStore is the webhook configuration: the cache for reads and the
// service for writes (streams/webhooks).
type WebhookStore interface {
	Entry(tenantID, id string) (*webhooks.Entry, bool)
	List(tenantID string) []*webhooks.Entry
}

// WebhooksConfig configures the management API of webhooks.
type WebhooksConfig struct {
	Registry WebhookStore
	Service  *webhooks.Service
	// Stats, when set, adds triggerCount, lastTriggeredAt and errorRate.
	Stats  WebhookStatsSource
	Logger *slog.Logger
	// StatsTimeout bounds the stats lookup; default 2 s.
	StatsTimeout time.Duration
}

// Webhooks is the webhook management module (SPEC §9).
type Webhooks struct {
	cfg    WebhooksConfig
	server *Server
}

// NewWebhooks returns the module.
func NewWebhooks(cfg WebhooksConfig) *Webhooks {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StatsTimeout <= 0 {
		cfg.StatsTimeout = 2 * time.Second
	}
	return &Webhooks{cfg: cfg}
}

// Register mounts the routes under /api/v1 (every role reads; admin writes).
func (h *Webhooks) Register(r *Routes) {
	h.server = r.Server
	admin := RequireRole(hookstream.RoleAdmin)
	r.API.GET("/webhooks", h.list)
	r.API.POST("/webhooks", h.create, admin)
	r.API.GET("/webhooks/:id", h.get)
	r.API.PUT("/webhooks/:id", h.update, admin)
	r.API.DELETE("/webhooks/:id", h.delete, admin)
	r.API.GET("/webhooks/:id/secret", h.secret, admin)
	r.API.POST("/webhooks/:id/regenerate-secret", h.regenerate, admin)
	r.API.POST("/webhooks/:id/test", h.test, admin)
	r.API.GET("/webhooks/:id/tests", h.tests)
}

// view is a webhook as the API shows it: URL and statistics filled.
func (h *Webhooks) view(ctx context.Context, ws []hookstream.Webhook) []hookstream.Webhook {
	base := strings.TrimRight(h.server.PublicBaseURL(), "/")
	for i := range ws {
		ws[i].URL = base + "/api/v1/webhooks/" + ws[i].Path
		if ws[i].Methods == nil {
			ws[i].Methods = []string{http.MethodPost}
		}
		for _, s := range []*[]string{&ws[i].ContentTypes, &ws[i].AllowedCIDRs, &ws[i].MaskPaths} {
			if *s == nil {
				*s = []string{}
			}
		}
		if ws[i].MetadataRules == nil {
			ws[i].MetadataRules = []hookstream.MetadataRule{}
		}
	}
	if h.cfg.Stats == nil || len(ws) == 0 {
		return ws
	}
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	sctx, cancel := context.WithTimeout(ctx, h.cfg.StatsTimeout)
	defer cancel()
	stats, err := h.cfg.Stats.WebhookStats(sctx, ws[0].TenantID, ids)
	if err != nil {
		h.cfg.Logger.DebugContext(ctx, "webhook stats unavailable", slog.String("error", err.Error()))
		return ws
	}
	for i := range ws {
		if st, ok := stats[ws[i].ID]; ok {
			er := st.ErrorRate
			ws[i].TriggerCount, ws[i].LastTriggeredAt, ws[i].ErrorRate = st.TriggerCount, st.LastTriggeredAt, &er
		} else {
			ws[i].ErrorRate = &hookstream.ErrorRate{}
		}
	}
	return ws
}

func (h *Webhooks) entry(c echo.Context) (*webhooks.Entry, error) {
	e, ok := h.cfg.Registry.Entry(PrincipalOf(c).TenantID, c.Param("id"))
	if !ok {
		return nil, hookstream.Errorf(hookstream.ENOTFOUND, "webhook not found")
	}
	return e, nil
}

func (h *Webhooks) list(c echo.Context) error {
	q := c.QueryParams()
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return hookstream.Invalid(hookstream.EINVALID, "limit must be 1..500", hookstream.FieldError{Field: "limit", Message: "must be an integer 1..500"})
		}
		limit = n
	}
	var enabled *bool
	if s := q.Get("enabled"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return hookstream.Invalid(hookstream.EINVALID, "enabled must be true or false", hookstream.FieldError{Field: "enabled", Message: "must be true or false"})
		}
		enabled = &b
	}
	after := ""
	if s := q.Get("cursor"); s != "" {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return hookstream.Invalid(hookstream.EINVALID, "invalid cursor", hookstream.FieldError{Field: "cursor", Message: "invalid"})
		}
		after = string(raw)
	}
	workflowID, text := q.Get("workflowId"), strings.ToLower(q.Get("q"))
	var matched []hookstream.Webhook
	for _, e := range h.cfg.Registry.List(PrincipalOf(c).TenantID) {
		w := e.Webhook
		if workflowID != "" && w.WorkflowID != workflowID || enabled != nil && w.Enabled != *enabled {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(w.Name), text) && !strings.Contains(w.Path, text) && !strings.Contains(w.ID, text) {
			continue
		}
		matched = append(matched, w)
	}
	total := len(matched)
	start := 0
	if after != "" {
		start = len(matched)
		for i, w := range matched {
			if w.ID < after {
				start = i
				break
			}
		}
	}
	page := matched[start:min(start+limit, len(matched))]
	var next any
	if start+limit < len(matched) {
		next = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].ID))
	}
	page = h.view(c.Request().Context(), append([]hookstream.Webhook(nil), page...))
	if page == nil {
		page = []hookstream.Webhook{}
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": page, "total": total, "nextCursor": next})
}

func (h *Webhooks) get(c echo.Context) error {
	e, err := h.entry(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.view(c.Request().Context(), []hookstream.Webhook{e.Webhook})[0])
}

// readJSON reads a management request body (within the route's limit) as
// an object.
func readJSON(c echo.Context) ([]byte, map[string]json.RawMessage, error) {
	raw, err := readObject(c)
	if err != nil {
		return nil, nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, nil, hookstream.Errorf(hookstream.EINVALID, "the request body must be a JSON object")
	}
	return raw, fields, nil
}

func (h *Webhooks) create(c echo.Context) error {
	raw, present, err := readJSON(c)
	if err != nil {
		return err
	}
	in, err := decodeWebhookInput(raw, present, nil)
	if err != nil {
		return err
	}
	in.webhook.TenantID = PrincipalOf(c).TenantID
	sec, shown, err := in.secrets(hookstream.WebhookSecrets{})
	if err != nil {
		return err
	}
	w, err := h.cfg.Service.Create(c.Request().Context(), in.webhook, sec)
	if err != nil {
		return err
	}
	out := webhookJSON(h.view(c.Request().Context(), []hookstream.Webhook{w})[0])
	for k, v := range shown {
		out[k] = v
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *Webhooks) update(c echo.Context) error {
	e, err := h.entry(c)
	if err != nil {
		return err
	}
	raw, present, err := readJSON(c)
	if err != nil {
		return err
	}
	cur := e.Webhook
	in, err := decodeWebhookInput(raw, present, &cur)
	if err != nil {
		return err
	}
	var shown map[string]string
	w, err := h.cfg.Service.Update(c.Request().Context(), e.Webhook.TenantID, e.Webhook.ID, hookstream.EventWebhookUpdated,
		func(w *hookstream.Webhook, sec *hookstream.WebhookSecrets) error {
			next, s, err := in.secrets(*sec)
			if err != nil {
				return err
			}
			*w, *sec, shown = in.webhook, next, s
			return nil
		})
	if err != nil {
		return err
	}
	out := webhookJSON(h.view(c.Request().Context(), []hookstream.Webhook{w})[0])
	for k, v := range shown {
		out[k] = v
	}
	return c.JSON(http.StatusOK, out)
}

func webhookJSON(w hookstream.Webhook) map[string]any {
	raw, err := json.Marshal(w)
	if err != nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

func (h *Webhooks) delete(c echo.Context) error {
	e, err := h.entry(c)
	if err != nil {
		return err
	}
	if err := h.cfg.Service.Delete(c.Request().Context(), e.Webhook.TenantID, e.Webhook.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Webhooks) secret(c echo.Context) error {
	e, err := h.entry(c)
	if err != nil {
		return err
	}
	sec, err := h.cfg.Service.Secrets(c.Request().Context(), e.Webhook.TenantID, e.Webhook.ID)
	if err != nil {
		return err
	}
	out := map[string]any{"secret": sec.Secret, "graceSecret": nil, "graceUntil": nil}
	if sec.GraceSecret != "" && sec.GraceUntil != nil && time.Now().Before(*sec.GraceUntil) {
		out["graceSecret"], out["graceUntil"] = sec.GraceSecret, sec.GraceUntil
	}
	if sec.PublicKey != "" {
		out["publicKey"] = sec.PublicKey
	}
	if sec.APIKey != "" {
		out["apiKey"] = sec.APIKey
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Webhooks) regenerate(c echo.Context) error {
	e, err := h.entry(c)
	if err != nil {
		return err
	}
	raw, _, err := readJSON(c)
	if err != nil {
		return err
	}
	var req struct {
		GraceSeconds *int   `json:"graceSeconds"`
		Secret       string `json:"secret"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return typeError(err)
	}
	grace := hookstream.GraceSecondsDefault
	if req.GraceSeconds != nil {
		grace = *req.GraceSeconds
	}
	if grace < 0 || grace > 30*24*3600 {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "graceSeconds must be 0..2592000",
			hookstream.FieldError{Field: "graceSeconds", Message: "must be 0..2592000 (30 days)"})
	}
	if e.Webhook.AuthType != hookstream.AuthSignature {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "only signature webhooks have a signing secret",
			hookstream.FieldError{Field: "authType", Message: "must be signature"})
	}
	secret := req.Secret
	if secret == "" {
		if secret, err = verify.GenerateSecret(e.Webhook.SignatureScheme); err != nil {
			return err
		}
	} else if fe := checkSecret(e.Webhook.SignatureScheme, secret); fe != nil {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, fe.Message, *fe)
	}
	if _, err := h.cfg.Service.RotateSecret(c.Request().Context(), e.Webhook.TenantID, e.Webhook.ID, secret, time.Duration(grace)*time.Second); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"secret": secret})
}

// test runs the real ingest path in-process through the server's own
// router with a recorder (never an outbound call) and keeps the run.
func (h *Webhooks) test(c echo.Context) error {
	e, err := h.entry(c)
	if err != nil {
		return err
	}
	raw, _, err := readJSON(c)
	if err != nil {
		return err
	}
	var req struct {
		Method  string            `json:"method"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
		DryRun  bool              `json:"dryRun"`
		Sign    *bool             `json:"sign"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return typeError(err)
	}
	w := e.Webhook
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodPost
	}
	if !validMethods[method] {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "method must be GET, POST, PUT, PATCH or DELETE", hookstream.FieldError{Field: "method", Message: "unsupported"})
	}
	var body []byte
	var s string
	if len(req.Body) > 0 && json.Unmarshal(req.Body, &s) == nil {
		body = []byte(s)
	} else if len(req.Body) > 0 && string(req.Body) != "null" {
		body = req.Body
	}
	target := "/api/v1/webhooks/" + w.Path
	if method != http.MethodPost {
		target = "/hooks/" + w.Path
	}
	// Only when asked (SPEC §9): without "sign" the request goes as given.
	sign := req.Sign != nil && *req.Sign
	ctx := WithTestRun(c.Request().Context(), TestRun{DryRun: req.DryRun, OwnCredentials: sign})
	ireq := httptest.NewRequestWithContext(ctx, method, target, strings.NewReader(string(body)))
	ireq.RemoteAddr = c.Request().RemoteAddr
	ireq.Header.Set("Content-Type", "application/json")
	ireq.Header.Set("User-Agent", "hookstream-test-console")
	for k, v := range req.Headers {
		ireq.Header.Set(k, v)
	}
	if sign {
		if err := h.signTest(ctx, w, ireq, body); err != nil {
			return err
		}
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	h.server.Echo().ServeHTTP(rec, ireq)
	dur := float64(time.Since(start).Microseconds()) / 1000
	respBody := json.RawMessage(rec.Body.Bytes())
	if !json.Valid(respBody) {
		respBody = mustJSON(rec.Body.String())
	}
	var parsed struct {
		EventID string `json:"eventId"`
	}
	_ = json.Unmarshal(respBody, &parsed)
	run := webhooks.TestRun{
		ID: eventstore.NewID(), At: time.Now().UTC().Format(time.RFC3339Nano),
		Request: webhooks.TestRequest{Method: method, Headers: req.Headers, Body: req.Body, DryRun: req.DryRun, Sign: sign},
		Status:  rec.Code, Headers: rec.Header(), Body: respBody, DurationMs: dur, EventID: parsed.EventID,
	}
	if req.DryRun {
		run.EventID = ""
	}
	if err := h.cfg.Service.AddTest(c.Request().Context(), w.TenantID, w.ID, run); err != nil {
		h.cfg.Logger.WarnContext(ctx, "test run not kept", slog.String("webhook_id", w.ID), slog.String("error", err.Error()))
	}
	return c.JSON(http.StatusOK, map[string]any{
		"id": run.ID, "status": run.Status, "headers": run.Headers, "body": run.Body, "durationMs": run.DurationMs, "eventId": run.EventID,
	})
}

// signTest adds the webhook's own credentials to a test request: a
// signature with the current secret, or the API key. (Basic passwords are
// stored hashed: ingest accepts a Basic test run with OwnCredentials as
// the owner's, see TestRun.)
func (h *Webhooks) signTest(ctx context.Context, w hookstream.Webhook, r *http.Request, body []byte) error {
	if w.AuthType != hookstream.AuthSignature && w.AuthType != hookstream.AuthAPIKey {
		return nil
	}
	sec, err := h.cfg.Service.Secrets(ctx, w.TenantID, w.ID)
	if err != nil {
		return err
	}
	if w.AuthType == hookstream.AuthAPIKey {
		if r.Header.Get(apiKeyHeader(w)) == "" && sec.APIKey != "" {
			r.Header.Set(apiKeyHeader(w), sec.APIKey)
		}
		return nil
	}
	if sec.Secret == "" {
		return nil
	}
	id := r.Header.Get("Webhook-Id")
	if id == "" {
		id = "msg_" + strings.ReplaceAll(eventstore.NewID(), "-", "")
	}
	hdr, err := verify.Sign(w.SignatureScheme, []byte(sec.Secret), hmacConfig(w.HMAC), id, time.Now(), body)
	if err != nil {
		if errors.Is(err, verify.ErrMalformed) || errors.Is(err, verify.ErrInvalidCredentials) {
			return hookstream.Errorf(hookstream.EUNPROCESSABLE, "the test request cannot be signed with this webhook's configuration")
		}
		return err
	}
	for k, v := range hdr {
		r.Header[k] = v
	}
	return nil
}

func (h *Webhooks) tests(c echo.Context) error {
	e, err := h.entry(c)
	if err != nil {
		return err
	}
	runs, err := h.cfg.Service.Tests(c.Request().Context(), e.Webhook.TenantID, e.Webhook.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tests": runs})
}
