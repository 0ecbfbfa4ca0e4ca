package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
)

// Bind decodes a JSON-object request body into v (an empty body is {}):
// malformed JSON or a body that is not an object is a 400, a body over the
// route's limit a 413.
func Bind(c echo.Context, v any) error {
	raw, err := readObject(c)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return hookstream.Errorf(hookstream.EINVALID, "malformed JSON body")
	}
	return nil
}

func (s *Server) listTokens(c echo.Context) error {
	toks, err := s.cfg.Accounts.Tokens(c.Request().Context(), PrincipalOf(c).TenantID)
	if err != nil {
		return err
	}
	if toks == nil {
		toks = []hookstream.Token{}
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": toks, "nextCursor": nil})
}

func (s *Server) createToken(c echo.Context) error {
	var req struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if err := Bind(c, &req); err != nil {
		return err
	}
	tok, secret, err := s.cfg.Accounts.CreateToken(c.Request().Context(), PrincipalOf(c).TenantID, req.Name, req.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{
		"id": tok.ID, "tenantId": tok.TenantID, "name": tok.Name, "role": tok.Role, "createdAt": tok.CreatedAt, "token": secret,
	})
}

func (s *Server) deleteToken(c echo.Context) error {
	id := c.Param("id")
	if err := s.cfg.Accounts.DeleteToken(c.Request().Context(), PrincipalOf(c).TenantID, id); err != nil {
		return err
	}
	s.auth.forget(id)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getRetention(c echo.Context) error {
	t, err := s.cfg.Accounts.Tenant(c.Request().Context(), PrincipalOf(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"retentionDays": t.RetentionDays})
}

func (s *Server) putRetention(c echo.Context) error {
	var req struct {
		RetentionDays *int `json:"retentionDays"`
	}
	if err := Bind(c, &req); err != nil {
		return err
	}
	if req.RetentionDays == nil {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "retentionDays is required",
			hookstream.FieldError{Field: "retentionDays", Message: "required"})
	}
	t, err := s.cfg.Accounts.SetRetention(c.Request().Context(), PrincipalOf(c).TenantID, *req.RetentionDays)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"retentionDays": t.RetentionDays})
}

func (s *Server) getReplaySettings(c echo.Context) error {
	t, err := s.cfg.Accounts.Tenant(c.Request().Context(), PrincipalOf(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"maxReplays": t.MaxReplays, "hardCap": hookstream.MaxReplaysHardCap})
}

func (s *Server) putReplaySettings(c echo.Context) error {
	var req struct {
		MaxReplays *int `json:"maxReplays"`
	}
	if err := Bind(c, &req); err != nil {
		return err
	}
	if req.MaxReplays == nil {
		return hookstream.Invalid(hookstream.EUNPROCESSABLE, "maxReplays is required",
			hookstream.FieldError{Field: "maxReplays", Message: "required"})
	}
	t, err := s.cfg.Accounts.SetMaxReplays(c.Request().Context(), PrincipalOf(c).TenantID, *req.MaxReplays)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"maxReplays": t.MaxReplays, "hardCap": hookstream.MaxReplaysHardCap})
}
