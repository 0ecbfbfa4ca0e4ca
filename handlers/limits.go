package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
)

// Route classes: the body limit and the read and write timeouts of every
// route are decided here, in one table (routeClassOf), and applied by one
// middleware (limits) before any handler runs.
//
//	class     body limit         read timeout  write timeout  routes
//	ingest    the webhook's own  15 s          30 s           POST /api/v1/webhooks/{path}, /hooks/{path}
//	payload   17 MiB             60 s          60 s           bodies that carry a webhook payload: validate,
//	                                                          filters/test, webhooks/{id}/test, events/{id}/replay
//	schema    4 MiB              30 s          60 s           POST /event-types, /event-types/{name}/versions,
//	                                                          POST /events/replay (batch: up to ~100k ids)
//	api       1 MiB              30 s          60 s           every other route (management, queries, dashboard)
//	export    1 MiB              30 s          30 min         GET /api/v1/events/export (streams the log)
//	profile   1 MiB              30 s          5 min          /api/v1/debug/pprof/*
//	stream    1 MiB              none          none           GET /api/v1/ws (the connection lives on; the
//	                                                          WebSocket library keeps its own deadlines)
//
// The read timeout covers reading the whole request body from the moment
// the handler starts; headers are bounded by ReadHeaderTimeout (10 s) for
// every route, idle keep-alive connections by IdleTimeout (120 s). A body
// over the limit is a 413 whether it is announced by Content-Length or
// streamed; nothing reads more than limit+1 bytes of it.
const (
	// BodyLimitDefault bounds management and query request bodies.
	BodyLimitDefault = 1 << 20
	// BodyLimitSchema bounds event-type schemas and batch replay requests.
	BodyLimitSchema = 4 << 20
	// BodyLimitPayload bounds bodies carrying a webhook payload: twice the
	// largest webhook body (JSON escaping) and room for the envelope.
	BodyLimitPayload = 2*hookstream.MaxBodyBytesLimit + 1<<20

	// IngestReadTimeoutDefault bounds reading an ingest body: webhook
	// senders are servers sending small bodies, so a trickled body is cut
	// early and holds no connection for long.
	IngestReadTimeoutDefault = 15 * time.Second
	// IngestWriteTimeoutDefault bounds an ingest answer (the PubAck wait
	// included).
	IngestWriteTimeoutDefault = 30 * time.Second
	// APIReadTimeoutDefault bounds reading a management request body.
	APIReadTimeoutDefault = 30 * time.Second
	// PayloadReadTimeoutDefault bounds reading a payload-class body.
	PayloadReadTimeoutDefault = 60 * time.Second
	// APIWriteTimeoutDefault bounds a management or query answer (the live
	// tail's 30 s long poll included).
	APIWriteTimeoutDefault = 60 * time.Second
	// ExportWriteTimeoutDefault bounds a streamed export.
	ExportWriteTimeoutDefault = 30 * time.Minute
	// ProfileWriteTimeoutDefault bounds a CPU profile or trace.
	ProfileWriteTimeoutDefault = 5 * time.Minute
	// IdleTimeoutDefault closes idle keep-alive connections.
	IdleTimeoutDefault = 120 * time.Second
)

// RouteClass is what the server enforces for one route.
type RouteClass struct {
	Name string
	// BodyLimit in bytes; 0 leaves the limit to the handler (ingest: the
	// webhook's maxBodyBytes).
	BodyLimit int64
	// ReadTimeout and WriteTimeout from the start of the handler; 0 none.
	ReadTimeout, WriteTimeout time.Duration
	// RawQuery keeps the query as sent (ingest stores it as part of the
	// delivery); other routes refuse NUL and invalid UTF-8 in it.
	RawQuery bool
}

// routeClassOf is the one table of route classes.
func routeClassOf(method, path string) RouteClass {
	api := RouteClass{Name: "api", BodyLimit: BodyLimitDefault, ReadTimeout: APIReadTimeoutDefault, WriteTimeout: APIWriteTimeoutDefault}
	switch {
	case path == "/hooks/:path" || path == "/api/v1/webhooks/:path" && method == http.MethodPost:
		return RouteClass{Name: "ingest", ReadTimeout: IngestReadTimeoutDefault, WriteTimeout: IngestWriteTimeoutDefault, RawQuery: true}
	case path == "/api/v1/ws":
		return RouteClass{Name: "stream", BodyLimit: BodyLimitDefault}
	case path == "/api/v1/events/export":
		api.Name, api.WriteTimeout = "export", ExportWriteTimeoutDefault
	case strings.HasPrefix(path, "/api/v1/debug/pprof/"):
		api.Name, api.WriteTimeout = "profile", ProfileWriteTimeoutDefault
	case method == http.MethodPost && (path == "/api/v1/event-types/:name/validate" || path == "/api/v1/webhooks/:id/filters/test" ||
		path == "/api/v1/webhooks/:id/test" || path == "/api/v1/events/:id/replay"):
		api.Name, api.BodyLimit, api.ReadTimeout = "payload", BodyLimitPayload, PayloadReadTimeoutDefault
	case method == http.MethodPost && (path == "/api/v1/event-types" || path == "/api/v1/event-types/:name/versions" ||
		path == "/api/v1/events/replay"):
		api.Name, api.BodyLimit = "schema", BodyLimitSchema
	}
	return api
}

const bodyLimitKey = "hookstream.bodyLimit"

// limits applies the route's class: deadlines, body limit, query check.
func (s *Server) limits(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		cl := routeClassOf(req.Method, c.Path())
		rc := http.NewResponseController(c.Response().Writer)
		now := time.Now()
		// Errors mean the writer cannot take deadlines (a test recorder).
		_ = rc.SetReadDeadline(deadline(now, cl.ReadTimeout))
		_ = rc.SetWriteDeadline(deadline(now, cl.WriteTimeout))
		if !cl.RawQuery {
			if err := checkQuery(req.URL.RawQuery); err != nil {
				return err
			}
		}
		if cl.BodyLimit > 0 {
			if req.ContentLength > cl.BodyLimit {
				return tooLarge(cl.BodyLimit)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, cl.BodyLimit)
			}
			c.Set(bodyLimitKey, cl.BodyLimit)
		}
		return next(c)
	}
}

func deadline(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(d)
}

func tooLarge(limit int64) error {
	return &hookstream.Error{
		Code:    hookstream.ETOOLARGE,
		Message: "request body over the route's limit of " + byteSize(limit),
		Extra:   map[string]any{"maxBodyBytes": limit},
	}
}

func byteSize(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// checkQuery refuses a query string that does not parse, or whose names or
// values hold NUL or invalid UTF-8: no such value is meaningful to any
// management or query route, and PostgreSQL refuses them.
func checkQuery(raw string) error {
	if raw == "" {
		return nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return hookstream.Invalid(hookstream.EINVALID, "malformed query string", hookstream.FieldError{Field: "query", Message: "not URL-encoded"})
	}
	for k, vs := range q {
		if !cleanText(k) {
			return hookstream.Invalid(hookstream.EINVALID, "invalid query parameter name", hookstream.FieldError{Field: "query", Message: "NUL or invalid UTF-8"})
		}
		for _, v := range vs {
			if !cleanText(v) {
				return hookstream.Invalid(hookstream.EINVALID, "invalid query parameter", hookstream.FieldError{Field: k, Message: "NUL or invalid UTF-8"})
			}
		}
	}
	return nil
}

func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// readAPIBody reads a management request body, bounded by the route class's
// limit (a body over it is ETOOLARGE).
func readAPIBody(c echo.Context) ([]byte, error) {
	body := c.Request().Body
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		if isMaxBytes(err) {
			limit, _ := c.Get(bodyLimitKey).(int64)
			return nil, tooLarge(limit)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, hookstream.Errorf(hookstream.EINVALID, "the request body was not received in time")
		}
		return nil, hookstream.Errorf(hookstream.EINVALID, "the request body could not be read")
	}
	return raw, nil
}

// readObject reads a JSON-object body; an empty body is {}. Anything that
// is not a JSON object (null, an array, a scalar) is EINVALID.
func readObject(c echo.Context) ([]byte, error) {
	raw, err := readAPIBody(c)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return []byte("{}"), nil
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, hookstream.Errorf(hookstream.EINVALID, "the request body must be a JSON object")
	}
	return trimmed, nil
}
