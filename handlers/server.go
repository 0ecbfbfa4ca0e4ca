// Package handlers is hookstream's HTTP surface on Echo: routes, bearer
// authentication, the one error mapper, ingest, the management and query
// API, operations endpoints and the dashboard's static files.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookstream/hookstream"
)

// Server timeouts and limits (SPEC §3.3).
const (
	ReadHeaderTimeoutDefault = 10 * time.Second
	ReadTimeoutDefault       = 60 * time.Second
	WriteTimeoutDefault      = 120 * time.Second
	MaxHeaderBytesDefault    = 64 << 10
)

// AccountStore resolves tokens and manages tenants' tokens and settings.
// Methods return hookstream.ErrNotFound for unknown or foreign ids.
type AccountStore interface {
	Authenticate(ctx context.Context, token string) (hookstream.Principal, error)
	TouchToken(ctx context.Context, id string) error
	Tenant(ctx context.Context, id string) (hookstream.Tenant, error)
	SetRetention(ctx context.Context, tenantID string, days int) (hookstream.Tenant, error)
	SetMaxReplays(ctx context.Context, tenantID string, n int) (hookstream.Tenant, error)
	CreateToken(ctx context.Context, tenantID, name string, role hookstream.Role) (hookstream.Token, string, error)
	Tokens(ctx context.Context, tenantID string) ([]hookstream.Token, error)
	DeleteToken(ctx context.Context, tenantID, id string) error
}

// ReadyCheck reports one component's readiness for /readyz?verbose.
// Required checks decide /readyz; the others are informational.
type ReadyCheck struct {
	Name     string
	Required bool
	Check    func(ctx context.Context) (detail string, err error)
}

// Config configures the Server. Zero values take the documented defaults.
type Config struct {
	Logger *slog.Logger
	// Accounts authenticates management API calls.
	Accounts AccountStore
	// Registry receives the HTTP metrics and serves /metrics (required).
	Registry *prometheus.Registry
	// Ready lists the readiness checks of /readyz.
	Ready []ReadyCheck
	// PublicBaseURL prefixes webhook URLs; default "http://<listen addr>".
	PublicBaseURL string
	// Web is the dashboard's built files (index.html at the root); nil
	// serves no dashboard.
	Web fs.FS
	// Modules register further routes (ingest, events, …) on the server.
	Modules []Module
	// CursorKey (32 bytes) seals stream positions handed to tenants (see
	// SealCursor). Default: a random key per process, so cursors do not
	// survive a restart; cmd/hookstream derives it from the master key.
	CursorKey []byte
}

// Module is a group of routes with its own dependencies. Register is called
// once while the server is built.
type Module interface {
	Register(r *Routes)
}

// Routes hands modules the groups they mount on.
type Routes struct {
	// Echo is the root, for unauthenticated routes (ingest).
	Echo *echo.Echo
	// API is /api/v1 behind bearer authentication (every role may read).
	API *echo.Group
	// Server gives access to shared helpers (RequireRole, logger, base URL).
	Server *Server
}

// Server is the HTTP server.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	echo    *echo.Echo
	http    *http.Server
	ln      net.Listener
	auth    *authCache
	cursors *cursorSealer
}

// NewServer builds the Echo instance and every route.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Registry == nil {
		return nil, errors.New("handlers: Registry is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cursors, err := newCursorSealer(cfg.CursorKey)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{cfg: cfg, logger: cfg.Logger, echo: e, auth: newAuthCache(cfg.Accounts, 30*time.Second), cursors: cursors}
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.recoverer)
	e.Use(s.limits)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry})))

	api := e.Group("/api/v1", s.authenticate)
	api.GET("/me", s.me)
	api.GET("/tokens", s.listTokens)
	api.POST("/tokens", s.createToken, RequireRole(hookstream.RoleAdmin))
	api.DELETE("/tokens/:id", s.deleteToken, RequireRole(hookstream.RoleAdmin))
	api.GET("/settings/retention", s.getRetention)
	api.PUT("/settings/retention", s.putRetention, RequireRole(hookstream.RoleAdmin))
	api.GET("/settings/replays", s.getReplaySettings)
	api.PUT("/settings/replays", s.putReplaySettings, RequireRole(hookstream.RoleAdmin))

	routes := &Routes{Echo: e, API: api, Server: s}
	for _, m := range cfg.Modules {
		m.Register(routes)
	}
	// Unknown API routes are problem+json 404s, not the dashboard.
	e.Any("/api/*", func(echo.Context) error { return hookstream.Errorf(hookstream.ENOTFOUND, "no such route") })
	if cfg.Web != nil {
		e.GET("/*", s.dashboard(cfg.Web))
	}
	return s, nil
}

// Echo exposes the router (tests use it as an http.Handler).
func (s *Server) Echo() *echo.Echo { return s.echo }

// Logger is the server's logger.
func (s *Server) Logger() *slog.Logger { return s.logger }

// PublicBaseURL is the base URL of webhook URLs.
func (s *Server) PublicBaseURL() string { return s.cfg.PublicBaseURL }

// Listen binds addr ("127.0.0.1:0" picks a port) and returns the address.
func (s *Server) Listen(addr string) (net.Addr, error) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: ReadHeaderTimeoutDefault,
		ReadTimeout:       ReadTimeoutDefault,
		WriteTimeout:      WriteTimeoutDefault,
		IdleTimeout:       IdleTimeoutDefault,
		MaxHeaderBytes:    MaxHeaderBytesDefault,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	if s.cfg.PublicBaseURL == "" {
		s.cfg.PublicBaseURL = "http://" + ln.Addr().String()
	}
	return ln.Addr(), nil
}

// Serve serves on the listener from Listen until Shutdown.
func (s *Server) Serve() error {
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for in-flight requests
// (and so in-flight appends) to finish, up to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		if s.ln != nil {
			return s.ln.Close()
		}
		return nil
	}
	return s.http.Shutdown(ctx)
}

func (s *Server) recoverer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r)
				}
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}
