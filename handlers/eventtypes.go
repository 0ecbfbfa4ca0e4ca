package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/pipeline"
	"github.com/hookstream/hookstream/streams/schema"
)

// EventTypeStore reads and writes the event type registry (SPEC §5).
// Methods return hookstream.ErrNotFound for unknown types and versions and
// hookstream.ErrConflict when Insert races with another writer.
type EventTypeStore interface {
	Latest(ctx context.Context, tenantID string) ([]projections.EventTypeSummary, error)
	Versions(ctx context.Context, tenantID, name string) ([]projections.EventTypeVersion, error)
	Insert(ctx context.Context, et projections.EventTypeVersion) (projections.EventTypeVersion, error)
}

// EventTypesConfig configures the event type registry routes.
type EventTypesConfig struct {
	Store EventTypeStore
	// Schemas compiles and caches validators (shared with the pipeline).
	Schemas *pipeline.Schemas
}

// EventTypes is the Module of /api/v1/event-types: every role reads, admins
// write. Core types are global and read-only: adding a version to one
// answers 403, and a tenant type cannot take a core type's name (409).
type EventTypes struct {
	cfg EventTypesConfig
}

// NewEventTypes returns the event type registry module.
func NewEventTypes(cfg EventTypesConfig) *EventTypes { return &EventTypes{cfg: cfg} }

// Register implements Module.
func (m *EventTypes) Register(r *Routes) {
	admin := RequireRole(hookstream.RoleAdmin)
	r.API.GET("/event-types", m.list)
	r.API.GET("/event-types/:name", m.get)
	r.API.POST("/event-types", m.create, admin)
	r.API.POST("/event-types/:name/versions", m.addVersion, admin)
	r.API.POST("/event-types/:name/validate", m.validate)
}

// eventTypeJSON is one version as the API shows it.
type eventTypeJSON struct {
	projections.EventTypeVersion
	Core     bool `json:"core"`
	Versions int  `json:"versions,omitempty"`
}

func versionJSON(et projections.EventTypeVersion) eventTypeJSON {
	return eventTypeJSON{EventTypeVersion: et, Core: et.TenantID == ""}
}

func (m *EventTypes) list(c echo.Context) error {
	all, err := m.cfg.Store.Latest(c.Request().Context(), PrincipalOf(c).TenantID)
	if err != nil {
		return err
	}
	out := make([]eventTypeJSON, 0, len(all))
	for _, s := range all {
		j := versionJSON(s.EventTypeVersion)
		j.Versions = s.Versions
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"eventTypes": out, "nextCursor": nil})
}

func (m *EventTypes) get(c echo.Context) error {
	name := c.Param("name")
	versions, err := m.cfg.Store.Versions(c.Request().Context(), PrincipalOf(c).TenantID, name)
	if err != nil {
		return err
	}
	out := make([]eventTypeJSON, 0, len(versions))
	for _, v := range versions {
		out = append(out, versionJSON(v))
	}
	latest := versions[len(versions)-1]
	return c.JSON(http.StatusOK, map[string]any{
		"name": latest.Name, "core": latest.TenantID == "", "latestVersion": latest.Version,
		"description": latest.Description, "versions": out,
	})
}

type eventTypeRequest struct {
	Name        string            `json:"name"`
	Schema      json.RawMessage   `json:"schema"`
	Description string            `json:"description"`
	Examples    []json.RawMessage `json:"examples"`
	Breaking    bool              `json:"breaking"`
}

func emptyJSON(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// compileProblem turns a schema compile error into a 422 naming the field.
func compileProblem(err error) error {
	if hookstream.ErrorCode(err) != hookstream.EUNPROCESSABLE {
		return err
	}
	msg := hookstream.ErrorMessage(err)
	field := "schema"
	if strings.Contains(msg, "example") && errors.Is(err, schema.ErrInvalidSchema) {
		field = "examples"
	}
	return hookstream.Invalid(hookstream.EUNPROCESSABLE, msg, hookstream.FieldError{Field: field, Message: msg})
}

func (m *EventTypes) create(c echo.Context) error {
	var req eventTypeRequest
	if err := Bind(c, &req); err != nil {
		return err
	}
	var fields []hookstream.FieldError
	if req.Name == "" {
		fields = append(fields, hookstream.FieldError{Field: "name", Message: "required"})
	} else if !schema.ValidName(req.Name) {
		fields = append(fields, hookstream.FieldError{Field: "name", Message: "must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit"})
	}
	if emptyJSON(req.Schema) {
		fields = append(fields, hookstream.FieldError{Field: "schema", Message: "required"})
	}
	if len(fields) > 0 {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid event type", fields...)
	}
	if m.cfg.Schemas.IsCore(req.Name) {
		return hookstream.Errorf(hookstream.ECONFLICT, "%s is a core event type", req.Name)
	}
	ctx := c.Request().Context()
	tenantID := PrincipalOf(c).TenantID
	if _, err := m.cfg.Store.Versions(ctx, tenantID, req.Name); err == nil {
		return hookstream.Errorf(hookstream.ECONFLICT, "event type %s exists; add a version with POST /api/v1/event-types/%s/versions", req.Name, req.Name)
	} else if hookstream.ErrorCode(err) != hookstream.ENOTFOUND {
		return err
	}
	t := schema.Type{TenantID: tenantID, Name: req.Name, Version: 1, Schema: req.Schema, Description: req.Description, Examples: req.Examples}
	if _, err := m.cfg.Schemas.Compile(ctx, t); err != nil {
		return compileProblem(err)
	}
	saved, err := m.cfg.Store.Insert(ctx, projections.EventTypeVersion{
		TenantID: tenantID, Name: t.Name, Version: 1, Schema: t.Schema, Description: t.Description, Examples: t.Examples,
	})
	if hookstream.ErrorCode(err) == hookstream.ECONFLICT {
		return hookstream.Errorf(hookstream.ECONFLICT, "event type %s exists", req.Name)
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, versionJSON(saved))
}

func (m *EventTypes) addVersion(c echo.Context) error {
	name := c.Param("name")
	if m.cfg.Schemas.IsCore(name) {
		return hookstream.Errorf(hookstream.EFORBIDDEN, "%s is a core event type: core types are read-only", name)
	}
	var req eventTypeRequest
	if err := Bind(c, &req); err != nil {
		return err
	}
	if emptyJSON(req.Schema) {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "schema is required", hookstream.FieldError{Field: "schema", Message: "required"})
	}
	ctx := c.Request().Context()
	tenantID := PrincipalOf(c).TenantID
	versions, err := m.cfg.Store.Versions(ctx, tenantID, name)
	if err != nil {
		return err
	}
	prev := versions[len(versions)-1]
	if req.Description == "" {
		req.Description = prev.Description
	}
	t := schema.Type{TenantID: tenantID, Name: name, Version: prev.Version + 1, Schema: req.Schema, Description: req.Description, Examples: req.Examples}
	if _, err := m.cfg.Schemas.Compile(ctx, t); err != nil {
		return compileProblem(err)
	}
	if inc := schema.CheckCompatible(prev.Schema, req.Schema); len(inc) > 0 && !req.Breaking {
		fields := make([]hookstream.FieldError, 0, len(inc))
		for _, i := range inc {
			fields = append(fields, hookstream.FieldError{Field: i.Path, Keyword: string(i.Kind), Message: i.Message})
		}
		return &hookstream.Error{
			Code: hookstream.ECONFLICT,
			Message: fmt.Sprintf("version %d is not backward compatible with version %d; send \"breaking\": true to add it anyway",
				t.Version, prev.Version),
			Fields: fields,
			Extra:  map[string]any{"incompatibilities": inc},
		}
	}
	saved, err := m.cfg.Store.Insert(ctx, projections.EventTypeVersion{
		TenantID: tenantID, Name: name, Version: t.Version, Schema: t.Schema, Description: t.Description, Examples: t.Examples,
	})
	if hookstream.ErrorCode(err) == hookstream.ECONFLICT {
		return hookstream.Errorf(hookstream.ECONFLICT, "version %d of %s was added concurrently; retry", t.Version, name)
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, versionJSON(saved))
}

func (m *EventTypes) validate(c echo.Context) error {
	var req struct {
		Payload json.RawMessage `json:"payload"`
		Version json.RawMessage `json:"version"`
	}
	if err := Bind(c, &req); err != nil {
		return err
	}
	if len(req.Payload) == 0 {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "payload is required", hookstream.FieldError{Field: "payload", Message: "required"})
	}
	version := 0
	if !emptyJSON(req.Version) {
		n, err := strconv.Atoi(string(req.Version))
		if err != nil || n < 1 {
			return hookstream.Invalid(hookstream.EUNPROCESSABLE, "version must be a positive integer",
				hookstream.FieldError{Field: "version", Message: "must be a positive integer"})
		}
		version = n
	}
	name := c.Param("name")
	v, err := m.cfg.Schemas.Validator(c.Request().Context(), PrincipalOf(c).TenantID, name, version)
	if err != nil {
		return err
	}
	errs, err := v.ValidateJSON(req.Payload)
	if err != nil {
		return hookstream.Invalid(hookstream.EINVALID, "payload is not JSON")
	}
	if errs == nil {
		errs = []schema.ValidationError{}
	}
	return c.JSON(http.StatusOK, map[string]any{"valid": len(errs) == 0, "name": v.Name(), "version": v.Version(), "errors": errs})
}
