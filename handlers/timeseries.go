package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/projections"
)

// TimeseriesReader reads metrics over time (projections.MetricsReader).
type TimeseriesReader interface {
	Timeseries(ctx context.Context, tenantID, webhookID, rng string) (projections.Timeseries, error)
}

// TimeseriesModule serves metrics over time (2.7/7, the dashboard's charts):
//
//	GET /api/v1/stats/timeseries?webhookId&range=1h|24h|7d
//	  → {range, webhookId, stepSeconds, from, to, points:[{t, volume, accepted,
//	     rejected, filtered, processed, failed, p50Ms, p99Ms}], totals:{…}}
//
// range defaults to 24h; without webhookId the series is the tenant's. Steps:
// 1 min for 1h, 15 min for 24h, 2 h for 7d; every step is present.
type TimeseriesModule struct {
	Reader TimeseriesReader
	// WebhookExists tells whether a webhook is the tenant's; another
	// tenant's or an unknown id is a 404.
	WebhookExists func(tenantID, webhookID string) bool
}

// Register implements Module.
func (m *TimeseriesModule) Register(r *Routes) {
	r.API.GET("/stats/timeseries", m.get)
}

func (m *TimeseriesModule) get(c echo.Context) error {
	rng := c.QueryParam("range")
	if rng == "" {
		rng = "24h"
	}
	tenant, webhookID := PrincipalOf(c).TenantID, c.QueryParam("webhookId")
	if webhookID != "" && !m.WebhookExists(tenant, webhookID) {
		return hookstream.Errorf(hookstream.ENOTFOUND, "webhook not found")
	}
	ts, err := m.Reader.Timeseries(c.Request().Context(), tenant, webhookID, rng)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ts)
}
