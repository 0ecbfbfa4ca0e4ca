package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
)

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	e := echo.New()
	ok := loopbackOnly(func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	for _, c := range []struct {
		remote string
		allow  bool
	}{
		{"127.0.0.1:5000", true},
		{"[::1]:5000", true},
		{"[::ffff:127.0.0.1]:5000", true},
		{"10.0.0.1:5000", false},
		{"[2001:db8::1]:5000", false},
		{"garbage", false},
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/debug/pprof/heap", nil)
		req.RemoteAddr = c.remote
		req.Header.Set("X-Forwarded-For", "127.0.0.1") // never consulted
		rec := httptest.NewRecorder()
		err := ok(e.NewContext(req, rec))
		if c.allow {
			require.NoError(t, err, c.remote)
			require.Equal(t, http.StatusOK, rec.Code)
		} else {
			require.Equal(t, hookstream.EFORBIDDEN, hookstream.ErrorCode(err), c.remote)
		}
	}
}
