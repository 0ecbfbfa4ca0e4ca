package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPProfOffByDefault(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/debug/pprof/heap", s.Token, nil, nil))
}

func TestPProfAdminOnly(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) { c.PProf = true })
	// A CPU profile of one second, and a named profile.
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/debug/pprof/profile?seconds=1", s.Token, nil, nil))
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/debug/pprof/heap", s.Token, nil, nil))
	// Not served: cmdline (flags may hold secrets) and unknown names.
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/debug/pprof/cmdline", s.Token, nil, nil))
	// No token: 401; a viewer: 403.
	require.Equal(t, http.StatusUnauthorized, s.do("GET", "/api/v1/debug/pprof/heap", "", nil, nil))
	var viewer struct{ Token string }
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/tokens", s.Token, map[string]string{"role": "viewer", "name": "v"}, &viewer))
	require.Equal(t, http.StatusForbidden, s.do("GET", "/api/v1/debug/pprof/heap", viewer.Token, nil, nil))
}
