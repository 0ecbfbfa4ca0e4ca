package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/filter"
)

// Limits of POST /api/v1/webhooks/{id}/filters/test.
const (
	FilterTestLastNDefault = 20
	FilterTestLastNMax     = 100
)

// FilterStore reads and writes webhook filter rule sets and reads the
// delivery log's recent deliveries. Get returns hookstream.ErrNotFound
// when a webhook has no rule set.
type FilterStore interface {
	Get(ctx context.Context, tenantID, webhookID string) (projections.Filter, error)
	Put(ctx context.Context, tenantID, webhookID string, ruleSet json.RawMessage) (projections.Filter, error)
	RecentDeliveries(ctx context.Context, tenantID, webhookID string, n int) ([]projections.Delivery, error)
}

// WebhookLookup finds a tenant's webhook (the webhook registry,
// streams/webhooks); false for an unknown id or another tenant's.
type WebhookLookup interface {
	Get(tenantID, id string) (hookstream.Webhook, bool)
}

// FiltersConfig configures the filter routes.
type FiltersConfig struct {
	Store    FilterStore
	Webhooks WebhookLookup
	// Changed, when set, is called after a rule set is stored (ingest's
	// filter cache then leaves that webhook to the pipeline until it has
	// read the new version).
	Changed func(webhookID string)
}

// Filters is the Module of /api/v1/webhooks/{id}/filters (SPEC §4): every
// role reads and tests, admins write.
type Filters struct {
	cfg FiltersConfig
}

// NewFilters returns the filters module.
func NewFilters(cfg FiltersConfig) *Filters { return &Filters{cfg: cfg} }

// Register implements Module.
func (m *Filters) Register(r *Routes) {
	r.API.GET("/webhooks/:id/filters", m.get)
	r.API.PUT("/webhooks/:id/filters", m.put, RequireRole(hookstream.RoleAdmin))
	r.API.POST("/webhooks/:id/filters/test", m.test)
}

// ruleSetJSON is a stored rule set as the API shows it: the rule set
// itself plus its version.
type ruleSetJSON struct {
	filter.RuleSet
	WebhookID string     `json:"webhookId"`
	UpdatedAt *time.Time `json:"updatedAt"`
}

func (m *Filters) webhook(c echo.Context) (hookstream.Webhook, error) {
	wh, ok := m.cfg.Webhooks.Get(PrincipalOf(c).TenantID, c.Param("id"))
	if !ok {
		return wh, hookstream.Errorf(hookstream.ENOTFOUND, "webhook not found")
	}
	return wh, nil
}

// saved returns the webhook's rule set, an empty one (matches everything)
// when none was saved.
func (m *Filters) saved(ctx context.Context, tenantID, webhookID string) (filter.RuleSet, *time.Time, error) {
	rs := filter.RuleSet{Logic: filter.LogicAnd, Rules: []filter.Rule{}}
	f, err := m.cfg.Store.Get(ctx, tenantID, webhookID)
	if hookstream.ErrorCode(err) == hookstream.ENOTFOUND {
		return rs, nil, nil
	} else if err != nil {
		return rs, nil, err
	}
	if err := json.Unmarshal(f.RuleSet, &rs); err != nil {
		return rs, nil, err
	}
	return rs, &f.UpdatedAt, nil
}

func normalize(rs filter.RuleSet) filter.RuleSet {
	if rs.Logic == "" {
		rs.Logic = filter.LogicAnd
	}
	if rs.Rules == nil {
		rs.Rules = []filter.Rule{}
	}
	return rs
}

func (m *Filters) get(c echo.Context) error {
	wh, err := m.webhook(c)
	if err != nil {
		return err
	}
	rs, at, err := m.saved(c.Request().Context(), wh.TenantID, wh.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ruleSetJSON{RuleSet: normalize(rs), WebhookID: wh.ID, UpdatedAt: at})
}

// compileRuleSet compiles rs; an invalid rule set is a 422 listing every
// problem by its place in the rule set ("rules[2].value").
func compileRuleSet(rs filter.RuleSet, prefix string) (*filter.Program, error) {
	prog, err := filter.Compile(rs)
	if err == nil {
		return prog, nil
	}
	if ve, ok := err.(*filter.ValidationError); ok { //nolint:errorlint // Compile returns it unwrapped
		fields := make([]hookstream.FieldError, 0, len(ve.Errors))
		for _, fe := range ve.Errors {
			fields = append(fields, hookstream.FieldError{Field: prefix + fe.Field, Message: fe.Message})
		}
		return nil, hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid rule set", fields...)
	}
	return nil, hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid rule set: "+err.Error())
}

func (m *Filters) put(c echo.Context) error {
	wh, err := m.webhook(c)
	if err != nil {
		return err
	}
	var rs filter.RuleSet
	if err := Bind(c, &rs); err != nil {
		return err
	}
	rs = normalize(rs)
	if _, err := compileRuleSet(rs, ""); err != nil {
		return err
	}
	raw, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	f, err := m.cfg.Store.Put(c.Request().Context(), wh.TenantID, wh.ID, raw)
	if err != nil {
		return err
	}
	if m.cfg.Changed != nil {
		m.cfg.Changed(wh.ID)
	}
	return c.JSON(http.StatusOK, ruleSetJSON{RuleSet: rs, WebhookID: wh.ID, UpdatedAt: &f.UpdatedAt})
}

type filterTestRequest struct {
	RuleSet  *filter.RuleSet `json:"ruleSet"`
	Payload  json.RawMessage `json:"payload"`
	Headers  map[string]any  `json:"headers"`
	Query    map[string]any  `json:"query"`
	Metadata map[string]any  `json:"metadata"`
	LastN    *int            `json:"lastN"`
}

// filterTestResult is the outcome for one payload or delivery.
type filterTestResult struct {
	EventID string               `json:"eventId,omitempty"`
	Matched bool                 `json:"matched"`
	Reason  string               `json:"reason,omitempty"`
	Rules   []filter.RuleResult  `json:"rules"`
	Groups  []filter.GroupResult `json:"groups"`
}

func (m *Filters) test(c echo.Context) error {
	wh, err := m.webhook(c)
	if err != nil {
		return err
	}
	var req filterTestRequest
	if err := Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var rs filter.RuleSet
	source := "request"
	if req.RuleSet != nil {
		rs = normalize(*req.RuleSet)
	} else {
		if rs, _, err = m.saved(ctx, wh.TenantID, wh.ID); err != nil {
			return err
		}
		source = "saved"
	}
	prog, err := compileRuleSet(rs, "ruleSet.")
	if err != nil {
		return err
	}

	var inputs []filter.Input
	var ids []string
	if len(req.Payload) > 0 {
		var body any
		if err := json.Unmarshal(req.Payload, &body); err != nil {
			return hookstream.Invalid(hookstream.EINVALID, "payload is not JSON")
		}
		inputs = append(inputs, filter.Input{Body: body, Headers: stringsMap(req.Headers), Query: url.Values(stringsMap(req.Query)), Metadata: req.Metadata})
		ids = append(ids, "")
	} else {
		n := FilterTestLastNDefault
		if req.LastN != nil {
			n = *req.LastN
		}
		if n < 1 || n > FilterTestLastNMax {
			return hookstream.Invalid(hookstream.EUNPROCESSABLE, "lastN must be between 1 and 100",
				hookstream.FieldError{Field: "lastN", Message: "must be between 1 and 100"})
		}
		deliveries, err := m.cfg.Store.RecentDeliveries(ctx, wh.TenantID, wh.ID, n)
		if err != nil {
			return err
		}
		for _, d := range deliveries {
			inputs = append(inputs, deliveryInput(d))
			ids = append(ids, d.EventID)
		}
	}
	results := make([]filterTestResult, 0, len(inputs))
	matched := 0
	for i, in := range inputs {
		ex := prog.Explain(in)
		if ex.Matched {
			matched++
		}
		results = append(results, filterTestResult{EventID: ids[i], Matched: ex.Matched, Reason: ex.Reason, Rules: ex.Rules, Groups: ex.Groups})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"ruleSet": rs, "ruleSetSource": source, "results": results, "total": len(results), "matched": matched,
	})
}

// stringsMap reads headers or query parameters given as {"Name": "v"} or
// {"Name": ["v1", "v2"]}; other value types are skipped.
func stringsMap(in map[string]any) map[string][]string {
	out := make(map[string][]string, len(in))
	for k, v := range in {
		switch x := v.(type) {
		case string:
			out[k] = append(out[k], x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					out[k] = append(out[k], s)
				}
			}
		}
	}
	return out
}

// deliveryInput rebuilds a filter input from a delivery log row.
func deliveryInput(d projections.Delivery) filter.Input {
	var in filter.Input
	var headers, query map[string]any
	_ = json.Unmarshal(d.Headers, &headers)
	_ = json.Unmarshal(d.Query, &query)
	_ = json.Unmarshal(d.Metadata, &in.Metadata)
	in.Headers = stringsMap(headers)
	in.Query = url.Values(stringsMap(query))
	if len(d.Body) > 0 {
		_ = json.Unmarshal(d.Body, &in.Body)
	}
	return in
}
