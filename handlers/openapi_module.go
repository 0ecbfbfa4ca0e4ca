package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream/handlers/openapi"
)

// OpenAPIModule serves the OpenAPI 3.1 document at /api/v1/openapi.json,
// without authentication (SPEC §9).
type OpenAPIModule struct{}

// Register implements Module.
func (OpenAPIModule) Register(r *Routes) {
	r.Echo.GET("/api/v1/openapi.json", func(c echo.Context) error {
		doc, err := openapi.JSON()
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
		return c.JSONBlob(http.StatusOK, doc)
	})
}
