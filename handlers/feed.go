package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/feed"
)

// Defaults of FeedModule.
const (
	FeedPingIntervalDefault = 30 * time.Second
	FeedWriteTimeoutDefault = 30 * time.Second
	feedSubprotocol         = "bearer"
)

// FeedModule serves the live feed (SPEC §6):
//
//	POST /api/v1/ws-ticket  → 201 {ticket, expiresAt} (single use, 60 s)
//	GET  /api/v1/ws         → WebSocket: one {seq, stream, event} per message
//
// The upgrade authenticates with the Authorization header, the
// Sec-WebSocket-Protocol pair "bearer, <token>" (answered with "bearer"),
// or ?ticket=. A token in the URL (?token=, ?access_token=) is refused with
// 401 even when another credential is present. Query: types (comma-separated
// or repeated; exact types or "step.*"), webhookId, since (a cursor).
type FeedModule struct {
	Hub     *feed.Hub
	Tickets *feed.Tickets
	// PingInterval between pings; default FeedPingIntervalDefault. A ping
	// unanswered within the interval ends the connection.
	PingInterval time.Duration
	// WriteTimeout bounds one message's write; default FeedWriteTimeoutDefault.
	WriteTimeout time.Duration

	server *Server
}

// Register implements Module.
func (m *FeedModule) Register(r *Routes) {
	m.server = r.Server
	if m.PingInterval <= 0 {
		m.PingInterval = FeedPingIntervalDefault
	}
	if m.WriteTimeout <= 0 {
		m.WriteTimeout = FeedWriteTimeoutDefault
	}
	r.API.POST("/ws-ticket", m.ticket)
	// The upgrade authenticates itself (three ways), so it is not behind
	// the bearer middleware of the API group.
	r.Echo.GET("/api/v1/ws", m.ws)
}

func (m *FeedModule) ticket(c echo.Context) error {
	t, exp, err := m.Tickets.Issue(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, map[string]any{"ticket": t, "expiresAt": exp})
}

func unauthorized(c echo.Context, msg string) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hookstream"`)
	return hookstream.Errorf(hookstream.EUNAUTHORIZED, "%s", msg)
}

// feedRequest is a validated upgrade request.
type feedRequest struct {
	filter   feed.Filter
	since    uint64
	hasSince bool
}

func parseFeedRequest(c echo.Context) (feedRequest, error) {
	qp := c.QueryParams()
	var r feedRequest
	var errs []hookstream.FieldError
	for _, v := range append(qp["types"], qp["type"]...) {
		for t := range strings.SplitSeq(v, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if !feed.IsFeedType(t) || strings.ContainsAny(t, " >") || (strings.Contains(t, "*") && !strings.HasSuffix(t, ".*")) {
				errs = append(errs, hookstream.FieldError{Field: "types", Message: "not a feed event type: " + t})
				continue
			}
			r.filter.Types = append(r.filter.Types, t)
		}
	}
	r.filter.WebhookID = qp.Get("webhookId")
	if r.filter.WebhookID != "" && !validID(r.filter.WebhookID) {
		errs = append(errs, hookstream.FieldError{Field: "webhookId", Message: "not a webhook id"})
	}
	if s := qp.Get("since"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			errs = append(errs, hookstream.FieldError{Field: "since", Message: "must be the seq of a feed message"})
		}
		r.since, r.hasSince = n, true
	}
	if len(errs) > 0 {
		return r, hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid feed request", errs...)
	}
	return r, nil
}

// credentials authenticates an upgrade request; subprotocol is "bearer"
// when the token came in Sec-WebSocket-Protocol.
func (m *FeedModule) credentials(c echo.Context) (p hookstream.Principal, subprotocol, ticket string, err error) {
	req := c.Request()
	qp := req.URL.Query()
	if qp.Has("token") || qp.Has("access_token") {
		return p, "", "", unauthorized(c, "tokens are never accepted in the URL: send the Authorization header, the bearer subprotocol, or a ticket")
	}
	tok, ok := BearerToken(req.Header.Get(echo.HeaderAuthorization))
	if !ok {
		var protos []string
		for _, h := range req.Header.Values("Sec-WebSocket-Protocol") {
			for v := range strings.SplitSeq(h, ",") {
				protos = append(protos, strings.TrimSpace(v))
			}
		}
		if len(protos) >= 2 && strings.EqualFold(protos[0], feedSubprotocol) && protos[1] != "" {
			tok, ok, subprotocol = protos[1], true, feedSubprotocol
		}
	}
	if !ok {
		if ticket = qp.Get("ticket"); ticket == "" {
			return p, "", "", unauthorized(c, "missing credentials: Authorization header, bearer subprotocol or ticket")
		}
		return p, "", ticket, nil
	}
	p, err = m.server.auth.resolve(req.Context(), tok)
	if err != nil {
		if hookstream.ErrorCode(err) == hookstream.ENOTFOUND {
			return p, "", "", unauthorized(c, "invalid token")
		}
		return p, "", "", err
	}
	return p, subprotocol, "", nil
}

func (m *FeedModule) ws(c echo.Context) error {
	p, subprotocol, ticket, err := m.credentials(c)
	if err != nil {
		return err
	}
	fr, err := parseFeedRequest(c)
	if err != nil {
		return err
	}
	req := c.Request()
	if !strings.EqualFold(req.Header.Get("Upgrade"), "websocket") {
		c.Response().Header().Set("Upgrade", "websocket")
		return echo.NewHTTPError(http.StatusUpgradeRequired, "this endpoint speaks WebSocket only")
	}
	if ticket != "" {
		// Redeemed last, so a request refused above does not burn it.
		if p, err = m.Tickets.Redeem(req.Context(), ticket); err != nil {
			if hookstream.ErrorCode(err) == hookstream.EUNAUTHORIZED {
				return unauthorized(c, hookstream.ErrorMessage(err))
			}
			return err
		}
	}
	sub, err := m.Hub.Subscribe(p.TenantID, fr.filter)
	if err != nil {
		return err
	}
	defer m.Hub.Unsubscribe(sub)

	opts := &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled}
	if subprotocol != "" {
		opts.Subprotocols = []string{subprotocol}
	}
	// The HTTP server's read and write timeouts must not end a long-lived
	// connection: clear them before the hijack (pings watch the peer).
	rc := http.NewResponseController(c.Response().Writer)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(c.Response().Writer, req, opts)
	if err != nil {
		// Accept has written the HTTP error itself.
		c.Response().Committed = true
		return nil
	}
	conn.SetReadLimit(4096)
	m.serve(context.WithoutCancel(req.Context()), conn, sub, fr)
	return nil
}

// serve writes the feed to one connection until the client leaves, is too
// slow, or the hub stops.
func (m *FeedModule) serve(ctx context.Context, conn *websocket.Conn, sub *feed.Subscription, fr feedRequest) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The client sends nothing; CloseRead answers pings and notices a close.
	ctx = conn.CloseRead(ctx)
	go m.ping(ctx, cancel, conn)

	write := func(msg *feed.Message) error {
		wctx, wcancel := context.WithTimeout(ctx, m.WriteTimeout)
		defer wcancel()
		return conn.Write(wctx, websocket.MessageText, msg.Bytes)
	}
	var last map[string]uint64
	if fr.hasSince {
		var err error
		last, err = m.Hub.Resume(ctx, sub, fr.since, write)
		if err != nil {
			code := websocket.StatusInternalError
			switch hookstream.ErrorCode(err) {
			case hookstream.EUNPROCESSABLE, hookstream.EGONE:
				code = websocket.StatusPolicyViolation
			}
			_ = conn.Close(code, closeReason(hookstream.ErrorMessage(err)))
			return
		}
	}
	for {
		select {
		case <-ctx.Done():
			_ = conn.CloseNow()
			return
		case <-sub.Done():
			_ = conn.Close(websocket.StatusGoingAway, "server shutting down; resume with since")
			return
		case <-sub.Slow():
			m.Hub.SlowClosed()
			_ = conn.Close(websocket.StatusPolicyViolation, "client too slow; resume with since")
			return
		case msg := <-sub.C():
			if msg.Seq <= last[msg.Stream] {
				continue
			}
			if err := write(msg); err != nil {
				_ = conn.CloseNow()
				return
			}
		}
	}
}

func (m *FeedModule) ping(ctx context.Context, cancel context.CancelFunc, conn *websocket.Conn) {
	t := time.NewTicker(m.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, m.PingInterval)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil && !errors.Is(err, context.Canceled) {
				cancel()
				return
			}
		}
	}
}

// closeReason fits a reason into a close frame (123 bytes).
func closeReason(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}
