package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/projections"
)

// EventQueries reads the delivery log (projections.Events). Event returns
// hookstream.ErrNotFound for an unknown or foreign id; filter errors are
// EINVALID.
type EventQueries interface {
	ListEvents(ctx context.Context, f projections.EventFilter) ([]projections.DeliveryEvent, string, error)
	Event(ctx context.Context, tenantID, id string) (projections.DeliveryEvent, error)
	ExportEvents(ctx context.Context, f projections.EventFilter, fn func(*projections.DeliveryEvent) error) error
}

// EventsModule serves the events API (SPEC §7): list with filters and
// keyset pagination, detail, and streamed export.
type EventsModule struct {
	Events EventQueries
	logger *slog.Logger
}

// Register implements Module. /events/export is a static route, so Echo
// prefers it to /events/:id.
func (m *EventsModule) Register(r *Routes) {
	m.logger = r.Server.Logger()
	r.API.GET("/events", m.list)
	r.API.GET("/events/export", m.export)
	r.API.GET("/events/:id", m.get)
}

// eventFilter parses the query parameters shared by list and export.
func eventFilter(c echo.Context) (projections.EventFilter, error) {
	qp := c.QueryParams()
	f := projections.EventFilter{
		TenantID:   PrincipalOf(c).TenantID,
		WebhookID:  qp.Get("webhookId"),
		WorkflowID: qp.Get("workflowId"),
		Q:          qp.Get("q"),
		Path:       qp.Get("path"),
		Cursor:     qp.Get("cursor"),
	}
	var fields []hookstream.FieldError
	if f.WebhookID != "" {
		if _, err := uuid.Parse(f.WebhookID); err != nil {
			fields = append(fields, hookstream.FieldError{Field: "webhookId", Message: "not a webhook id"})
		}
	}
	for _, s := range qp["status"] {
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				f.Statuses = append(f.Statuses, part)
			}
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := qp.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				fields = append(fields, hookstream.FieldError{Field: p.name, Message: "not an RFC 3339 time"})
			}
			*p.dst = t
		}
	}
	if v := qp.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > projections.EventsLimitMax {
			fields = append(fields, hookstream.FieldError{Field: "limit", Message: "an integer from 1 to 500"})
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return f, hookstream.Invalid(hookstream.EINVALID, "invalid event filter", fields...)
	}
	return f, nil
}

func (m *EventsModule) list(c echo.Context) error {
	f, err := eventFilter(c)
	if err != nil {
		return err
	}
	evs, next, err := m.Events.ListEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []projections.DeliveryEvent{}
	}
	var nc any
	if next != "" {
		nc = next
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs, "nextCursor": nc})
}

// eventDetail adds the execution link to an event.
type eventDetail struct {
	projections.DeliveryEvent
	ExecutionURL string `json:"executionUrl,omitempty"`
}

func (m *EventsModule) get(c echo.Context) error {
	id := c.Param("id")
	if _, err := uuid.Parse(id); err != nil {
		return hookstream.ErrNotFound
	}
	ev, err := m.Events.Event(c.Request().Context(), PrincipalOf(c).TenantID, id)
	if err != nil {
		return err
	}
	if ev.Replays == nil {
		ev.Replays = []projections.ReplayRef{}
	}
	d := eventDetail{DeliveryEvent: ev}
	if ev.ExecutionID != "" {
		d.ExecutionURL = "/api/v1/executions/" + ev.ExecutionID
	}
	return c.JSON(http.StatusOK, d)
}

// exportColumns are the CSV columns; JSON-valued columns hold JSON text.
var exportColumns = []string{"id", "webhookId", "workflowId", "status", "method", "contentType", "deliveryId",
	"responseStatus", "errorMessage", "filteredReason", "processingTimeMs", "executionId", "replayOf", "replayCount",
	"priority", "duplicateCount", "createdAt", "headers", "query", "metadata", "body"}

// exportFlushEvery rows the response is flushed to the client.
const exportFlushEvery = 500

func (m *EventsModule) export(c echo.Context) error {
	format := c.QueryParam("format")
	if format == "" {
		format = "ndjson"
	}
	if format != "csv" && format != "ndjson" {
		return hookstream.Invalid(hookstream.EINVALID, "invalid format", hookstream.FieldError{Field: "format", Message: "csv or ndjson"})
	}
	f, err := eventFilter(c)
	if err != nil {
		return err
	}
	f.Cursor, f.Limit = "", 0
	res := c.Response()
	w := bufio.NewWriterSize(res, 64<<10)
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		ext, ct := "ndjson", "application/x-ndjson"
		if format == "csv" {
			ext, ct = "csv", "text/csv; charset=utf-8"
		}
		res.Header().Set(echo.HeaderContentType, ct)
		res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="events.`+ext+`"`)
		res.WriteHeader(http.StatusOK)
	}
	var cw *csv.Writer
	if format == "csv" {
		cw = csv.NewWriter(w)
	}
	enc := json.NewEncoder(w)
	n := 0
	err = m.Events.ExportEvents(c.Request().Context(), f, func(ev *projections.DeliveryEvent) error {
		start()
		if cw != nil {
			if n == 0 {
				if err := cw.Write(exportColumns); err != nil {
					return err
				}
			}
			if err := cw.Write(csvRow(ev)); err != nil {
				return err
			}
		} else if err := enc.Encode(ev); err != nil {
			return err
		}
		n++
		if n%exportFlushEvery == 0 {
			if cw != nil {
				cw.Flush()
			}
			if err := w.Flush(); err != nil {
				return err
			}
			res.Flush()
		}
		return nil
	})
	if err != nil && !started {
		return err // nothing sent yet: a proper problem+json
	}
	if err != nil {
		// Mid-stream: the status is sent; end the body so the client sees a
		// truncated file rather than a silently complete one.
		m.logger.WarnContext(c.Request().Context(), "export aborted", slog.String("error", err.Error()), slog.Int("rows", n))
		panic(http.ErrAbortHandler)
	}
	start()
	if cw != nil {
		if n == 0 {
			_ = cw.Write(exportColumns)
		}
		cw.Flush()
	}
	return w.Flush()
}

func csvRow(ev *projections.DeliveryEvent) []string {
	js := func(v any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(raw)
	}
	pt := ""
	if ev.ProcessingTimeMs != nil {
		pt = strconv.FormatFloat(*ev.ProcessingTimeMs, 'f', -1, 64)
	}
	replayOf := ""
	if ev.ReplayOf != nil {
		replayOf = *ev.ReplayOf
	}
	return []string{ev.ID, ev.WebhookID, ev.WorkflowID, ev.Status, ev.Method, ev.ContentType, ev.DeliveryID,
		strconv.Itoa(ev.ResponseStatus), ev.ErrorMessage, ev.FilteredReason, pt, ev.ExecutionID, replayOf,
		strconv.Itoa(ev.ReplayCount), strconv.Itoa(ev.Priority), strconv.Itoa(ev.DuplicateCount),
		ev.CreatedAt.Format(time.RFC3339Nano), js(ev.Headers), js(ev.Query), js(ev.Metadata), string(ev.Body)}
}
