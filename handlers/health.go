package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers 200 while the process is up.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

type componentStatus struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Required bool   `json:"required"`
	Detail   string `json:"detail,omitempty"`
}

// readyz answers 200 when every required check passes (JetStream reachable
// and the ingest cache loaded: PostgreSQL is not required to accept
// webhooks). ?verbose lists every component.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	ready := true
	comps := make([]componentStatus, 0, len(s.cfg.Ready))
	for _, rc := range s.cfg.Ready {
		detail, err := rc.Check(ctx)
		st := componentStatus{Name: rc.Name, Status: "ok", Required: rc.Required, Detail: detail}
		if err != nil {
			st.Status, st.Detail = "error", err.Error()
			if rc.Required {
				ready = false
			}
		}
		comps = append(comps, st)
	}
	status := http.StatusOK
	body := map[string]any{"status": "ready"}
	if !ready {
		status = http.StatusServiceUnavailable
		body["status"] = "not ready"
		c.Response().Header().Set("Retry-After", "5")
	}
	if c.QueryParams().Has("verbose") {
		body["components"] = comps
	}
	return c.JSON(status, body)
}
