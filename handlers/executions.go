package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/runner"
)

// Limits of the executions API.
const (
	ExecutionsLimitDefault = 50
	ExecutionsLimitMax     = 500
	RedriveIDsMax          = 10000
	SLATargetMaxMs         = 24 * 60 * 60 * 1000
)

// ExecutionReader is the executions read model (projections.ExecutionStore).
type ExecutionReader interface {
	List(ctx context.Context, tenantID string, f projections.ExecutionFilter) ([]projections.ExecutionSummary, string, error)
	Get(ctx context.Context, tenantID, id string) (projections.Execution, error)
	DeadLetters(ctx context.Context, tenantID string, f projections.ExecutionFilter) ([]projections.DeadLetter, string, error)
	DeadLetter(ctx context.Context, tenantID, id string) (projections.DeadLetter, error)
	SLA(ctx context.Context, tenantID string) ([]projections.SLAPriority, error)
	SLATargets(ctx context.Context, tenantID string) (hookstream.SLATargets, error)
	PutSLATargets(ctx context.Context, tenantID string, t hookstream.SLATargets) error
}

// RedriveJobStore keeps bulk redrive jobs (projections.ExecutionStore).
type RedriveJobStore interface {
	CreateRedriveJob(ctx context.Context, tenantID string, ids []string) (projections.RedriveJob, error)
	RedriveJob(ctx context.Context, tenantID, id string) (projections.RedriveJob, error)
	RedriveJobs(ctx context.Context, tenantID string) ([]projections.RedriveJob, error)
	CancelRedriveJob(ctx context.Context, tenantID, id string) (projections.RedriveJob, error)
}

var (
	_ ExecutionReader = (*projections.ExecutionStore)(nil)
	_ RedriveJobStore = (*projections.ExecutionStore)(nil)
)

// ExecutionsModule serves executions, dead letters and redrives, breakers
// and SLA (SPEC §6; shapes in SHAPES.md). Every role reads; analysts and
// admins redrive; admins set SLA targets.
type ExecutionsModule struct {
	Store    ExecutionReader
	Jobs     RedriveJobStore
	Redriver *runner.Redriver
	// BreakersFunc lists a tenant's breakers on this node; nil when this
	// node runs no executor (HOOKSTREAM_EXECUTOR=sqs).
	BreakersFunc func(tenantID string) []runner.BreakerState
}

// Register implements Module.
func (m *ExecutionsModule) Register(r *Routes) {
	r.API.GET("/executions", m.list)
	r.API.GET("/executions/:id", m.get)
	r.API.GET("/dead-letters", m.deadLetters)
	r.API.POST("/dead-letters/redrive", m.bulkRedrive, RequireRole(hookstream.RoleAnalyst))
	r.API.POST("/dead-letters/:id/redrive", m.redrive, RequireRole(hookstream.RoleAnalyst))
	r.API.GET("/redrives", m.jobs)
	r.API.GET("/redrives/:id", m.job)
	r.API.DELETE("/redrives/:id", m.cancelJob, RequireRole(hookstream.RoleAnalyst))
	r.API.GET("/breakers", m.breakers)
	r.API.GET("/sla", m.sla)
	r.API.GET("/settings/sla", m.getTargets)
	r.API.PUT("/settings/sla", m.putTargets, RequireRole(hookstream.RoleAdmin))
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func executionFilter(c echo.Context, dead bool) (projections.ExecutionFilter, error) {
	qp := c.QueryParams()
	f := projections.ExecutionFilter{
		WorkflowID: qp.Get("workflowId"), WebhookID: qp.Get("webhookId"), Cursor: qp.Get("cursor"), Limit: ExecutionsLimitDefault,
	}
	var fields []hookstream.FieldError
	if !dead {
		f.EventID = qp.Get("eventId")
		switch s := qp.Get("status"); s {
		case "", "pending", "running", "retrying", "completed", "failed", "cancelled":
			f.Status = s
		default:
			fields = append(fields, hookstream.FieldError{Field: "status", Message: "one of pending, running, retrying, completed, failed, cancelled"})
		}
		if v := qp.Get("priority"); v != "" {
			p, ok := parsePriority(v)
			if !ok {
				fields = append(fields, hookstream.FieldError{Field: "priority", Message: "0-3 or low, normal, high, critical"})
			}
			f.Priority = &p
		}
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := qp.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				fields = append(fields, hookstream.FieldError{Field: p.name, Message: "not an RFC 3339 time"})
			}
			*p.dst = &t
		}
	}
	if v := qp.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ExecutionsLimitMax {
			fields = append(fields, hookstream.FieldError{Field: "limit", Message: "an integer from 1 to 500"})
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return f, hookstream.Invalid(hookstream.EINVALID, "invalid filter", fields...)
	}
	return f, nil
}

func parsePriority(v string) (int, bool) {
	switch strings.ToLower(v) {
	case "0", "low":
		return 0, true
	case "1", "normal":
		return 1, true
	case "2", "high":
		return 2, true
	case "3", "critical":
		return 3, true
	}
	return 0, false
}

func (m *ExecutionsModule) list(c echo.Context) error {
	f, err := executionFilter(c, false)
	if err != nil {
		return err
	}
	list, next, err := m.Store.List(c.Request().Context(), PrincipalOf(c).TenantID, f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []projections.ExecutionSummary{}
	}
	return c.JSON(http.StatusOK, map[string]any{"executions": list, "nextCursor": nullable(next)})
}

func (m *ExecutionsModule) get(c echo.Context) error {
	ex, err := m.Store.Get(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ex)
}

func (m *ExecutionsModule) deadLetters(c echo.Context) error {
	f, err := executionFilter(c, true)
	if err != nil {
		return err
	}
	list, next, err := m.Store.DeadLetters(c.Request().Context(), PrincipalOf(c).TenantID, f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []projections.DeadLetter{}
	}
	return c.JSON(http.StatusOK, map[string]any{"deadLetters": list, "nextCursor": nullable(next)})
}

func (m *ExecutionsModule) redrive(c echo.Context) error {
	ctx := c.Request().Context()
	tenant := PrincipalOf(c).TenantID
	if _, err := m.Store.DeadLetter(ctx, tenant, c.Param("id")); err != nil {
		return err
	}
	exec, err := m.Redriver.Redrive(ctx, tenant, c.Param("id"), "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"executionId": exec, "deadLetterId": c.Param("id")})
}

func (m *ExecutionsModule) bulkRedrive(c echo.Context) error {
	var req struct {
		IDs    []string `json:"ids"`
		Filter *struct {
			WorkflowID string     `json:"workflowId"`
			WebhookID  string     `json:"webhookId"`
			From       *time.Time `json:"from"`
			To         *time.Time `json:"to"`
		} `json:"filter"`
		DryRun bool `json:"dryRun"`
	}
	if err := Bind(c, &req); err != nil {
		return err
	}
	if (req.IDs == nil) == (req.Filter == nil) {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "give either ids or filter",
			hookstream.FieldError{Field: "ids", Message: "either ids or filter is required"})
	}
	if len(req.IDs) > RedriveIDsMax {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "too many ids", hookstream.FieldError{Field: "ids", Message: "at most 10000"})
	}
	f := projections.ExecutionFilter{Limit: RedriveIDsMax}
	if req.IDs != nil {
		for i, id := range req.IDs {
			if _, err := uuid.Parse(id); err != nil {
				return hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid id", hookstream.FieldError{Field: "ids[" + strconv.Itoa(i) + "]", Message: "not a dead letter id"})
			}
		}
		f.IDs = req.IDs
	} else {
		f.WorkflowID, f.WebhookID, f.From, f.To = req.Filter.WorkflowID, req.Filter.WebhookID, req.Filter.From, req.Filter.To
	}
	ctx := c.Request().Context()
	tenant := PrincipalOf(c).TenantID
	matched, _, err := m.Store.DeadLetters(ctx, tenant, f)
	if err != nil {
		return err
	}
	if req.DryRun {
		return c.JSON(http.StatusOK, map[string]any{"matched": len(matched)})
	}
	ids := make([]string, len(matched))
	for i, d := range matched {
		ids[i] = d.ID
	}
	job, err := m.Jobs.CreateRedriveJob(ctx, tenant, ids)
	if err != nil {
		return err
	}
	m.Redriver.Notify()
	return c.JSON(http.StatusAccepted, map[string]any{"jobId": job.JobID, "matched": job.Matched})
}

func (m *ExecutionsModule) jobs(c echo.Context) error {
	jobs, err := m.Jobs.RedriveJobs(c.Request().Context(), PrincipalOf(c).TenantID)
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []projections.RedriveJob{}
	}
	return c.JSON(http.StatusOK, map[string]any{"jobs": jobs})
}

func (m *ExecutionsModule) job(c echo.Context) error {
	j, err := m.Jobs.RedriveJob(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

func (m *ExecutionsModule) cancelJob(c echo.Context) error {
	j, err := m.Jobs.CancelRedriveJob(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

func (m *ExecutionsModule) breakers(c echo.Context) error {
	list := []runner.BreakerState{}
	if m.BreakersFunc != nil {
		list = m.BreakersFunc(PrincipalOf(c).TenantID)
	}
	return c.JSON(http.StatusOK, map[string]any{"breakers": list})
}

func (m *ExecutionsModule) sla(c echo.Context) error {
	list, err := m.Store.SLA(c.Request().Context(), PrincipalOf(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"priorities": list})
}

func (m *ExecutionsModule) getTargets(c echo.Context) error {
	t, err := m.Store.SLATargets(c.Request().Context(), PrincipalOf(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"targetsMs": t})
}

func (m *ExecutionsModule) putTargets(c echo.Context) error {
	var req struct {
		TargetsMs *struct {
			Critical, High, Normal, Low *int64
		} `json:"targetsMs"`
	}
	if err := Bind(c, &req); err != nil {
		return err
	}
	if req.TargetsMs == nil {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "targetsMs is required", hookstream.FieldError{Field: "targetsMs", Message: "required"})
	}
	ctx := c.Request().Context()
	tenant := PrincipalOf(c).TenantID
	t, err := m.Store.SLATargets(ctx, tenant)
	if err != nil {
		return err
	}
	var fields []hookstream.FieldError
	for _, p := range []struct {
		name string
		in   *int64
		dst  *int64
	}{{"critical", req.TargetsMs.Critical, &t.Critical}, {"high", req.TargetsMs.High, &t.High}, {"normal", req.TargetsMs.Normal, &t.Normal}, {"low", req.TargetsMs.Low, &t.Low}} {
		if p.in == nil {
			continue
		}
		if *p.in < 1 || *p.in > SLATargetMaxMs {
			fields = append(fields, hookstream.FieldError{Field: "targetsMs." + p.name, Message: "between 1 and 86400000"})
			continue
		}
		*p.dst = *p.in
	}
	if len(fields) > 0 {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid SLA targets", fields...)
	}
	if err := m.Store.PutSLATargets(ctx, tenant, t); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"targetsMs": t})
}
