package handlers

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// dashboard serves the built web app; unknown paths get index.html so the
// client-side router can handle them. Hashed assets are cached for a year.
func (s *Server) dashboard(files fs.FS) echo.HandlerFunc {
	fileServer := http.FileServer(http.FS(files))
	return func(c echo.Context) error {
		p := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
		if p == "" {
			p = "index.html"
		}
		if _, err := fs.Stat(files, p); errors.Is(err, fs.ErrNotExist) {
			p = "index.html"
		}
		if _, err := fs.Stat(files, "index.html"); err != nil {
			return c.String(http.StatusOK, "hookstream: the dashboard is not built; run `go tool task build`.\n")
		}
		h := c.Response().Header()
		if strings.HasPrefix(p, "assets/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		r := c.Request().Clone(c.Request().Context())
		r.URL.Path = "/" + p
		if p == "index.html" {
			r.URL.Path = "/"
		}
		fileServer.ServeHTTP(c.Response(), r)
		return nil
	}
}
