package handlers

import (
	"net"
	"net/http"
	"net/http/pprof" // routes mounted explicitly below (admin, loopback); http.DefaultServeMux is never served
	"net/netip"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
)

// PProf serves the Go runtime profiles (net/http/pprof) under
// /api/v1/debug/pprof/: profile (CPU, ?seconds=N), trace, symbol, and the
// named profiles heap, allocs, goroutine, block, mutex and threadcreate.
// cmdline is not served (flags may carry secrets).
//
// It is mounted only when the operator enables it (HOOKSTREAM_PPROF=1) and
// admits only admin tokens on connections from a loopback address (the
// peer address itself: X-Forwarded-For is not consulted), so a profile can
// be taken on the host, e.g. by `go tool task bench`, and never from
// outside:
//
//	curl -H "Authorization: Bearer $TOKEN" -o cpu.prof \
//	    'http://127.0.0.1:8080/api/v1/debug/pprof/profile?seconds=10'
type PProf struct{}

// NewPProf returns the profiling module.
func NewPProf() *PProf { return &PProf{} }

// pprofNamed are the runtime/pprof profiles served by name.
var pprofNamed = []string{"heap", "allocs", "goroutine", "block", "mutex", "threadcreate"}

// Register mounts the routes on the API group.
func (p *PProf) Register(r *Routes) {
	g := r.API.Group("/debug/pprof", RequireRole(hookstream.RoleAdmin), loopbackOnly)
	g.GET("/profile", echo.WrapHandler(http.HandlerFunc(pprof.Profile)))
	g.GET("/trace", echo.WrapHandler(http.HandlerFunc(pprof.Trace)))
	g.GET("/symbol", echo.WrapHandler(http.HandlerFunc(pprof.Symbol)))
	g.POST("/symbol", echo.WrapHandler(http.HandlerFunc(pprof.Symbol)))
	g.GET("/:name", func(c echo.Context) error {
		name := c.Param("name")
		if !slices.Contains(pprofNamed, name) {
			return hookstream.Errorf(hookstream.ENOTFOUND, "no profile %q; available: profile, trace, symbol, %v", name, pprofNamed)
		}
		pprof.Handler(name).ServeHTTP(c.Response(), c.Request())
		return nil
	})
}

// loopbackOnly refuses requests whose peer is not a loopback address.
func loopbackOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
		if err != nil {
			host = c.Request().RemoteAddr
		}
		addr, err := netip.ParseAddr(host)
		if err != nil || !addr.Unmap().IsLoopback() {
			return hookstream.Errorf(hookstream.EFORBIDDEN, "profiling is served to loopback clients only")
		}
		return next(c)
	}
}
