package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hookstream/hookstream"
)

// maxAnswerBytes bounds an API answer the CLI reads into memory. An answer
// over it is an error, never silently cut (exports stream instead).
const maxAnswerBytes = 32 << 20

// apiClient is the CLI's client of a running server's API (replay, events
// tail, projections): bearer token, JSON in and out, problem+json errors.
type apiClient struct {
	base, token string
	http        *http.Client
}

// apiError is a problem+json answer.
type apiError struct {
	Status int                     `json:"status"`
	Title  string                  `json:"title"`
	Detail string                  `json:"detail"`
	Errors []hookstream.FieldError `json:"errors"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: %s", e.Status, e.Title, e.Detail)
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "\n  %s %s", f.Field, f.Message)
	}
	return b.String()
}

// readAll reads r whole, or fails when it holds more than limit bytes.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return raw, nil
}

// do sends body (JSON, when not nil) and decodes the answer into out.
// Answers of 400 and above are *apiError.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := readAll(resp.Body, maxAnswerBytes)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		e := &apiError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		_ = json.Unmarshal(raw, e)
		return e
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}
