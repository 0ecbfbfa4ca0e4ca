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
)

// Limits of workflows.
const (
	WorkflowNameMax     = 200
	WorkflowStepsMax    = 100
	WorkflowListDefault = 50
	WorkflowListMax     = 500
)

// WorkflowStore stores workflows. Get returns hookstream.ErrNotFound for
// an unknown, malformed or foreign id.
type WorkflowStore interface {
	Create(ctx context.Context, tenantID, name string, steps json.RawMessage) (hookstream.Workflow, error)
	Get(ctx context.Context, tenantID, id string) (hookstream.Workflow, error)
	List(ctx context.Context, tenantID, cursor string, limit int) ([]hookstream.Workflow, string, error)
}

// Workflows is the Module of /api/v1/workflows (SPEC §6, minimal: nothing
// executes them yet). Every role reads, admins create.
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
	var req struct {
		Name  string          `json:"name"`
		Steps json.RawMessage `json:"steps"`
	}
	if err := Bind(c, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	var fields []hookstream.FieldError
	switch {
	case req.Name == "":
		fields = append(fields, hookstream.FieldError{Field: "name", Message: "required"})
	case utf8.RuneCountInString(req.Name) > WorkflowNameMax:
		fields = append(fields, hookstream.FieldError{Field: "name", Message: fmt.Sprintf("at most %d characters", WorkflowNameMax)})
	}
	steps, stepFields := validateSteps(req.Steps)
	fields = append(fields, stepFields...)
	if len(fields) > 0 {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid workflow", fields...)
	}
	w, err := m.store.Create(c.Request().Context(), PrincipalOf(c).TenantID, req.Name, steps)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, w)
}

// validateSteps checks that raw is a JSON array of objects, each with a
// "type" among http, delay and log. Missing steps are an empty array.
func validateSteps(raw json.RawMessage) (json.RawMessage, []hookstream.FieldError) {
	if emptyJSON(raw) {
		return json.RawMessage("[]"), nil
	}
	var steps []json.RawMessage
	if err := json.Unmarshal(raw, &steps); err != nil {
		return nil, []hookstream.FieldError{{Field: "steps", Message: "must be a JSON array of step objects"}}
	}
	if len(steps) > WorkflowStepsMax {
		return nil, []hookstream.FieldError{{Field: "steps", Message: fmt.Sprintf("at most %d steps", WorkflowStepsMax)}}
	}
	var fields []hookstream.FieldError
	for i, s := range steps {
		var step map[string]any
		if err := json.Unmarshal(s, &step); err != nil || step == nil {
			fields = append(fields, hookstream.FieldError{Field: fmt.Sprintf("steps[%d]", i), Message: "must be an object"})
			continue
		}
		switch t, _ := step["type"].(string); t {
		case hookstream.StepHTTP, hookstream.StepDelay, hookstream.StepLog:
		case "":
			fields = append(fields, hookstream.FieldError{Field: fmt.Sprintf("steps[%d].type", i), Message: "required: http, delay or log"})
		default:
			fields = append(fields, hookstream.FieldError{Field: fmt.Sprintf("steps[%d].type", i), Message: fmt.Sprintf("unknown step type %q: want http, delay or log", t)})
		}
	}
	return raw, fields
}
