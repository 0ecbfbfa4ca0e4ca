package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/projections"
)

// statusOf is the one code → HTTP status table (STYLE §3).
var statusOf = map[string]int{
	hookstream.EINVALID:       http.StatusBadRequest,
	hookstream.EUNAUTHORIZED:  http.StatusUnauthorized,
	hookstream.EFORBIDDEN:     http.StatusForbidden,
	hookstream.ENOTFOUND:      http.StatusNotFound,
	hookstream.EMETHOD:        http.StatusMethodNotAllowed,
	hookstream.ECONFLICT:      http.StatusConflict,
	hookstream.EGONE:          http.StatusGone,
	hookstream.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	hookstream.EUNSUPPORTED:   http.StatusUnsupportedMediaType,
	hookstream.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	hookstream.ERATELIMIT:     http.StatusTooManyRequests,
	hookstream.EUNAVAILABLE:   http.StatusServiceUnavailable,
	hookstream.EINTERNAL:      http.StatusInternalServerError,
}

// codeOfStatus maps Echo's own HTTP errors (404 route, 405, 413…) back to codes.
func codeOfStatus(status int) string {
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	if status >= 500 {
		return hookstream.EINTERNAL
	}
	return hookstream.EINVALID
}

// StatusOf returns the HTTP status of an error.
func StatusOf(err error) int {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	if s, ok := statusOf[hookstream.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type   string                  `json:"type"`
	Title  string                  `json:"title"`
	Status int                     `json:"status"`
	Detail string                  `json:"detail,omitempty"`
	Code   string                  `json:"code,omitempty"`
	Errors []hookstream.FieldError `json:"errors,omitempty"`
}

// ProblemOf builds the problem body of an error: internal errors show only
// "internal error".
func ProblemOf(err error) (Problem, *hookstream.Error) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && he.Code < 500 {
			msg = s
		}
		code := codeOfStatus(he.Code)
		return Problem{Type: "about:blank", Title: http.StatusText(he.Code), Status: he.Code, Detail: msg, Code: code}, nil
	}
	var ae *hookstream.Error
	errors.As(err, &ae)
	status := StatusOf(err)
	p := Problem{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: status,
		Detail: hookstream.ErrorMessage(err),
		Code:   hookstream.ErrorCode(err),
	}
	if ae != nil {
		p.Errors = ae.Fields
	}
	return p, ae
}

// unavailable maps a database that cannot be reached (an error the adapter
// did not translate: a raw driver error from a query) to EUNAVAILABLE: the
// client sees 503 with Retry-After, not 500.
func unavailable(err error) error {
	if hookstream.ErrorCode(err) == hookstream.EINTERNAL && projections.IsUnavailable(err) {
		return fmt.Errorf("%w: %w", projections.ErrUnavailable, err)
	}
	return err
}

// errorHandler is Echo's HTTPErrorHandler: the only place errors become
// HTTP responses. Internal errors are logged here, once.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	err = unavailable(err)
	p, ae := ProblemOf(err)
	if p.Status >= 500 && hookstream.ErrorCode(err) == hookstream.EINTERNAL {
		s.logger.ErrorContext(c.Request().Context(), "request failed",
			slog.String("method", c.Request().Method), slog.String("route", c.Path()), slog.String("error", err.Error()))
	}
	h := c.Response().Header()
	if ae != nil && ae.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	} else if p.Status == http.StatusServiceUnavailable || p.Status == http.StatusTooManyRequests {
		h.Set("Retry-After", "5")
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	h.Set(echo.HeaderContentType, "application/problem+json")
	var body any = p
	if ae != nil && len(ae.Extra) > 0 {
		m := map[string]any{"type": p.Type, "title": p.Title, "status": p.Status, "detail": p.Detail, "code": p.Code}
		if len(p.Errors) > 0 {
			m["errors"] = p.Errors
		}
		for k, v := range ae.Extra {
			m[k] = v
		}
		body = m
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.JSON(p.Status, body)
}
