package handlers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRouteClassOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method, path string
		class        string
		limit        int64
		read, write  time.Duration
	}{
		{"POST", "/api/v1/webhooks/:path", "ingest", 0, IngestReadTimeoutDefault, IngestWriteTimeoutDefault},
		{"PUT", "/hooks/:path", "ingest", 0, IngestReadTimeoutDefault, IngestWriteTimeoutDefault},
		{"POST", "/api/v1/webhooks", "api", BodyLimitDefault, APIReadTimeoutDefault, APIWriteTimeoutDefault},
		{"GET", "/api/v1/ws", "stream", BodyLimitDefault, 0, 0},
		{"GET", "/api/v1/events/export", "export", BodyLimitDefault, APIReadTimeoutDefault, ExportWriteTimeoutDefault},
		{"POST", "/api/v1/event-types/:name/validate", "payload", BodyLimitPayload, PayloadReadTimeoutDefault, APIWriteTimeoutDefault},
		{"POST", "/api/v1/events/:id/replay", "payload", BodyLimitPayload, PayloadReadTimeoutDefault, APIWriteTimeoutDefault},
		{"POST", "/api/v1/events/replay", "schema", BodyLimitSchema, APIReadTimeoutDefault, APIWriteTimeoutDefault},
		{"POST", "/api/v1/event-types", "schema", BodyLimitSchema, APIReadTimeoutDefault, APIWriteTimeoutDefault},
		{"GET", "/api/v1/debug/pprof/profile", "profile", BodyLimitDefault, APIReadTimeoutDefault, ProfileWriteTimeoutDefault},
		{"GET", "/*", "api", BodyLimitDefault, APIReadTimeoutDefault, APIWriteTimeoutDefault},
	} {
		got := routeClassOf(tc.method, tc.path)
		require.Equal(t, tc.class, got.Name, "%s %s", tc.method, tc.path)
		require.Equal(t, tc.limit, got.BodyLimit, "%s %s", tc.method, tc.path)
		require.Equal(t, tc.read, got.ReadTimeout, "%s %s", tc.method, tc.path)
		require.Equal(t, tc.write, got.WriteTimeout, "%s %s", tc.method, tc.path)
	}
}

func TestCheckQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{"", true}, {"q=abc&limit=5", true}, {"q=caf%C3%A9", true},
		{"q=%00", false}, {"q=%ff", false}, {"%00=1", false}, {"q=%zz", false}, {"q=a;b", false},
	} {
		require.Equal(t, tc.ok, checkQuery(tc.raw) == nil, tc.raw)
	}
}
