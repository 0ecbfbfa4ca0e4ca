package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/runner"
)

// Limits of workflows.
const (
	WorkflowNameMax        = 200
	WorkflowDescriptionMax = 2000
	WorkflowListDefault    = 50
	WorkflowListMax        = 500
)

// WorkflowStore stores workflows. Get, Update and Delete return
// hookstream.ErrNotFound for an unknown, malformed or foreign id.
type WorkflowStore interface {
	Create(ctx context.Context, w hookstream.Workflow) (hookstream.Workflow, error)
	Update(ctx context.Context, w hookstream.Workflow) (hookstream.Workflow, error)
	Delete(ctx context.Context, tenantID, id string) error
	Get(ctx context.Context, tenantID, id string) (hookstream.Workflow, error)
	List(ctx context.Context, tenantID, cursor string, limit int) ([]hookstream.Workflow, string, error)
}

// Workflows is the Module of /api/v1/workflows (SPEC §6): every role
// reads, admins write. Every step is validated and its templates parsed
// at save time, so a broken workflow is a 422 naming the field.
type Workflows struct {
	store WorkflowStore
}

// NewWorkflows returns the workflows module.
func NewWorkflows(store WorkflowStore) *Workflows { return &Workflows{store: store} }

// Register implements Module.
func (m *Workflows) Register(r *Routes) {
	r.API.GET("/workflows", m.list)
	r.API.POST("/workflows", m.create, RequireRole(hookstream.RoleAdmin))
	r.API.GET("/workflows/:id", m.get)
	r.API.PUT("/workflows/:id", m.update, RequireRole(hookstream.RoleAdmin))
	r.API.DELETE("/workflows/:id", m.remove, RequireRole(hookstream.RoleAdmin))
}

func (m *Workflows) list(c echo.Context) error {
	limit := WorkflowListDefault
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > WorkflowListMax {
			return hookstream.Invalid(hookstream.EINVALID, "limit must be between 1 and 500",
				hookstream.FieldError{Field: "limit", Message: "must be between 1 and 500"})
		}
		limit = n
	}
	list, next, err := m.store.List(c.Request().Context(), PrincipalOf(c).TenantID, c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []hookstream.Workflow{}
	}
	var cursor any
	if next != "" {
		cursor = next
	}
	return c.JSON(http.StatusOK, map[string]any{"workflows": list, "nextCursor": cursor})
}

func (m *Workflows) get(c echo.Context) error {
	w, err := m.store.Get(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (m *Workflows) create(c echo.Context) error {
	w, err := bindWorkflow(c)
	if err != nil {
		return err
	}
	w.TenantID = PrincipalOf(c).TenantID
	out, err := m.store.Create(c.Request().Context(), w)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (m *Workflows) update(c echo.Context) error {
	ctx := c.Request().Context()
	tenant := PrincipalOf(c).TenantID
	if _, err := m.store.Get(ctx, tenant, c.Param("id")); err != nil {
		return err
	}
	w, err := bindWorkflow(c)
	if err != nil {
		return err
	}
	w.TenantID, w.ID = tenant, c.Param("id")
	out, err := m.store.Update(ctx, w)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (m *Workflows) remove(c echo.Context) error {
	if err := m.store.Delete(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// bindWorkflow reads and validates a workflow request body.
func bindWorkflow(c echo.Context) (hookstream.Workflow, error) {
	var req struct {
		Name        string                    `json:"name"`
		Description string                    `json:"description"`
		Steps       json.RawMessage           `json:"steps"`
		Retry       *hookstream.RetryPolicy   `json:"retry"`
		TimeoutMs   int                       `json:"timeoutMs"`
		Breaker     *hookstream.BreakerPolicy `json:"breaker"`
	}
	if err := Bind(c, &req); err != nil {
		return hookstream.Workflow{}, err
	}
	req.Name = strings.TrimSpace(req.Name)
	var fields []hookstream.FieldError
	switch {
	case req.Name == "":
		fields = append(fields, hookstream.FieldError{Field: "name", Message: "required"})
	case utf8.RuneCountInString(req.Name) > WorkflowNameMax:
		fields = append(fields, hookstream.FieldError{Field: "name", Message: fmt.Sprintf("at most %d characters", WorkflowNameMax)})
	}
	if utf8.RuneCountInString(req.Description) > WorkflowDescriptionMax {
		fields = append(fields, hookstream.FieldError{Field: "description", Message: fmt.Sprintf("at most %d characters", WorkflowDescriptionMax)})
	}
	steps, stepFields := runner.ParseSteps(req.Steps)
	fields = append(fields, stepFields...)
	var retry hookstream.RetryPolicy
	if req.Retry != nil {
		retry = *req.Retry
	}
	var breaker hookstream.BreakerPolicy
	if req.Breaker != nil {
		breaker = *req.Breaker
	}
	fields = append(fields, runner.ValidateSettings(retry, req.TimeoutMs, breaker)...)
	if len(fields) > 0 {
		return hookstream.Workflow{}, hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid workflow", fields...)
	}
	raw, err := json.Marshal(steps)
	if err != nil {
		return hookstream.Workflow{}, fmt.Errorf("encode steps: %w", err)
	}
	return hookstream.Workflow{
		Name: req.Name, Description: req.Description, Steps: raw,
		Retry: retry.WithDefaults(), TimeoutMs: req.TimeoutMs, Breaker: breaker.WithDefaults(),
	}, nil
}
