package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// me answers GET /api/v1/me: who the bearer token is, so the dashboard
// shows only the controls the token's role may use (viewer, analyst, admin).
func (s *Server) me(c echo.Context) error {
	p := PrincipalOf(c)
	return c.JSON(http.StatusOK, map[string]any{"tenantId": p.TenantID, "tokenId": p.TokenID, "role": p.Role})
}
