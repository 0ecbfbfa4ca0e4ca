package handlers

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/projections"
)

// StatsQueries answers webhook statistics (projections.Stats).
// WebhookStatsDetail returns hookstream.ErrNotFound for an unknown or
// foreign webhook.
type StatsQueries interface {
	WebhookStatsDetail(ctx context.Context, tenantID, id string) (projections.WebhookStatsDetail, error)
}

// ProjectionAdmin reports and rebuilds projections (projections.Manager).
type ProjectionAdmin interface {
	Status(ctx context.Context) []projections.Status
	StatusOf(ctx context.Context, name string) (projections.Status, error)
	Rebuild(ctx context.Context, name string) (projections.RebuildProgress, error)
}

// StatsModule serves GET /api/v1/webhooks/{id}/stats and the operator's
// projection endpoints:
//
//	GET  /api/v1/projections                  every projection's status
//	GET  /api/v1/projections/{name}           one, with rebuild progress
//	POST /api/v1/projections/{name}/rebuild   202, then poll the GET
//
// Projections span every tenant, so those need an admin token of the
// operator's tenant (IsOperatorFunc; `hookstream projections` uses them).
type StatsModule struct {
	Stats       StatsQueries
	Projections ProjectionAdmin
	// IsOperatorFunc reports whether a tenant operates the installation
	// (the "default" tenant); nil: nobody.
	IsOperatorFunc func(ctx context.Context, tenantID string) (bool, error)
}

// Register implements Module.
func (m *StatsModule) Register(r *Routes) {
	if m.Stats != nil {
		r.API.GET("/webhooks/:id/stats", m.webhookStats)
	}
	if m.Projections != nil {
		op := m.requireOperator
		r.API.GET("/projections", m.listProjections, RequireRole(hookstream.RoleAdmin), op)
		r.API.GET("/projections/:name", m.getProjection, RequireRole(hookstream.RoleAdmin), op)
		r.API.POST("/projections/:name/rebuild", m.rebuild, RequireRole(hookstream.RoleAdmin), op)
	}
}

func (m *StatsModule) webhookStats(c echo.Context) error {
	id := c.Param("id")
	if _, err := uuid.Parse(id); err != nil {
		return hookstream.ErrNotFound
	}
	d, err := m.Stats.WebhookStatsDetail(c.Request().Context(), PrincipalOf(c).TenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (m *StatsModule) requireOperator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ok := false
		if m.IsOperatorFunc != nil {
			var err error
			if ok, err = m.IsOperatorFunc(c.Request().Context(), PrincipalOf(c).TenantID); err != nil {
				return err
			}
		}
		if !ok {
			return hookstream.Errorf(hookstream.EFORBIDDEN, "projections are managed by the operator's (default) tenant")
		}
		return next(c)
	}
}

func (m *StatsModule) listProjections(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"projections": m.Projections.Status(c.Request().Context())})
}

func (m *StatsModule) getProjection(c echo.Context) error {
	st, err := m.Projections.StatusOf(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (m *StatsModule) rebuild(c echo.Context) error {
	rb, err := m.Projections.Rebuild(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, rb)
}
