package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/replay"
)

// ReplayAuditReader reads the replay audit (projections.Replays).
type ReplayAuditReader interface {
	// Audit returns the root of an event's chain and its replays.
	// Errors: hookstream.ErrNotFound.
	Audit(ctx context.Context, tenantID, eventID string) (root string, entries []projections.ReplayAuditEntry, err error)
}

// MaskDataFunc masks the body fields of an event's data that its webhook's
// maskPaths name (SPEC §3.6); it returns data unchanged when none apply.
type MaskDataFunc func(tenantID, webhookID string, data json.RawMessage) json.RawMessage

// ReplayModule serves single and batch replays, the replay audit, job
// progress and the live tail (SPEC §7, §10):
//
//	POST   /api/v1/events/{id}/replay   analyst+  → 202 {eventId, replayCount, rootEventId}
//	GET    /api/v1/events/{id}/replays            → {rootEventId, replays:[…]}
//	POST   /api/v1/events/replay        analyst+  → 202 {jobId, matched} | dryRun 200 {matched}
//	GET    /api/v1/replays?limit                  → {jobs:[…], nextCursor:null} newest first
//	GET    /api/v1/replays/{jobId}                → job progress
//	DELETE /api/v1/replays/{jobId}      analyst+  → the cancelled job
//	GET    /api/v1/events/live                    → long poll: {events, next, stream}
//
// The live tail is a long poll over the stream (the CLI's `events tail`):
// ?after=<seq> (absent: start at the head), webhookId, type (repeatable or
// comma-separated), limit (≤ 1000), wait (seconds, ≤ 30). It answers as
// soon as events arrive, or with no events when wait elapses; the client
// passes the answer's next as the following after.
type ReplayModule struct {
	Service *replay.Service
	Jobs    *replay.Jobs
	Audit   ReplayAuditReader
	Store   *eventstore.Store
	// MaskFunc masks bodies in the live tail; nil shows them as stored.
	MaskFunc MaskDataFunc

	server *Server // seals the live tail's cursors
}

// Register implements Module.
func (m *ReplayModule) Register(r *Routes) {
	m.server = r.Server
	analyst := RequireRole(hookstream.RoleAnalyst)
	r.API.GET("/events/live", m.live)
	r.API.POST("/events/replay", m.batch, analyst)
	r.API.POST("/events/:id/replay", m.replayOne, analyst)
	r.API.GET("/events/:id/replays", m.replays)
	r.API.GET("/replays", m.jobs)
	r.API.GET("/replays/:jobId", m.job)
	r.API.DELETE("/replays/:jobId", m.cancel, analyst)
}

func (m *ReplayModule) replayOne(c echo.Context) error {
	var req replay.Request
	if c.Request().ContentLength != 0 {
		if err := Bind(c, &req); err != nil {
			return err
		}
	}
	res, err := m.Service.Replay(c.Request().Context(), PrincipalOf(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{
		"eventId": res.EventID, "replayCount": res.ReplayCount, "rootEventId": res.RootEventID,
	})
}

func (m *ReplayModule) replays(c echo.Context) error {
	root, entries, err := m.Audit.Audit(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rootEventId": root, "replays": entries})
}

func (m *ReplayModule) batch(c echo.Context) error {
	var req replay.BatchRequest
	if err := Bind(c, &req); err != nil {
		return err
	}
	res, err := m.Jobs.Create(c.Request().Context(), PrincipalOf(c), req)
	if err != nil {
		return err
	}
	if req.DryRun {
		return c.JSON(http.StatusOK, map[string]any{"matched": res.Matched, "dryRun": true})
	}
	return c.JSON(http.StatusAccepted, res)
}

func (m *ReplayModule) jobs(c echo.Context) error {
	limit := 100
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > replay.ListLimitMax {
			return hookstream.Invalid(hookstream.EINVALID, "limit must be between 1 and 500",
				hookstream.FieldError{Field: "limit", Message: "must be between 1 and 500"})
		}
		limit = n
	}
	jobs, err := m.Jobs.List(c.Request().Context(), PrincipalOf(c).TenantID, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"jobs": jobs, "nextCursor": nil})
}

func (m *ReplayModule) job(c echo.Context) error {
	job, err := m.Jobs.Get(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("jobId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (m *ReplayModule) cancel(c echo.Context) error {
	job, err := m.Jobs.Cancel(c.Request().Context(), PrincipalOf(c).TenantID, c.Param("jobId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (m *ReplayModule) live(c echo.Context) error {
	p := PrincipalOf(c)
	qp := c.QueryParams()
	var opts replay.TailOptions
	var errs []hookstream.FieldError
	switch s := qp.Get("after"); s {
	case "":
	case "0": // from the beginning of the tenant's history
		var n uint64
		opts.After = &n
	default:
		n, err := m.server.OpenCursor(p.TenantID, s, "after")
		if err != nil {
			errs = append(errs, hookstream.FieldError{Field: "after", Message: "not a cursor returned by this API (or 0)"})
		}
		opts.After = &n
	}
	if s := qp.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > replay.TailLimitMax {
			errs = append(errs, hookstream.FieldError{Field: "limit", Message: "must be between 1 and 1000"})
		}
		opts.Limit = n
	}
	if s := qp.Get("wait"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > int(replay.TailWaitMax/time.Second) {
			errs = append(errs, hookstream.FieldError{Field: "wait", Message: "must be seconds between 0 and 30"})
		}
		opts.Wait = time.Duration(n) * time.Second
	}
	opts.WebhookID = qp.Get("webhookId")
	if opts.WebhookID != "" && !validID(opts.WebhookID) {
		errs = append(errs, hookstream.FieldError{Field: "webhookId", Message: "not a webhook id"})
	}
	for _, t := range qp["type"] {
		for part := range strings.SplitSeq(t, ",") {
			if part = strings.TrimSpace(part); part != "" {
				opts.Types = append(opts.Types, part)
			}
		}
	}
	if len(errs) > 0 {
		return hookstream.Invalid(hookstream.EINVALID, "invalid tail request", errs...)
	}
	res, err := replay.Tail(c.Request().Context(), m.Store, p.TenantID, opts)
	if err != nil {
		return err
	}
	events := make([]*hookstream.Event, 0, len(res.Events))
	for _, ev := range res.Events {
		if m.MaskFunc != nil && ev.WebhookID != "" && len(ev.Data) > 0 {
			ev.Data = m.MaskFunc(p.TenantID, ev.WebhookID, ev.Data)
		}
		events = append(events, ev)
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events, "next": m.server.SealCursor(p.TenantID, res.Next), "stream": res.Stream})
}

// validID reports whether s looks like one of our ids (a UUID): letters,
// digits and dashes only, so it cannot widen a subject filter.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') && (r < 'A' || r > 'F') && r != '-' {
			return false
		}
	}
	return true
}
