package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/handlers/openapi"
)

var (
	contractOnce sync.Once
	contract     validator.Validator
	contractErr  error
)

func loadContract() (validator.Validator, error) {
	contractOnce.Do(func() {
		doc, err := libopenapi.NewDocument(openapi.YAML())
		if err != nil {
			contractErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			contractErr = fmt.Errorf("openapi validator: %v", errs)
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			contractErr = fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %v", verrs)
			return
		}
		contract = v
	})
	return contract, contractErr
}

// checkContract validates one response the API tests received against the
// OpenAPI document: an undocumented route, status or body fails the test.
// Unknown routes answering 404 are the catch-all (problem+json) and pass.
func checkContract(t *testing.T, req *http.Request, resp *http.Response, raw []byte) {
	t.Helper()
	v, err := loadContract()
	require.NoError(t, err)
	r := *resp
	r.Body = io.NopCloser(bytes.NewReader(raw))
	ok, errs := v.ValidateHttpResponse(req, &r)
	if ok {
		return
	}
	var msgs []string
	for _, e := range errs {
		if (e.IsPathMissingError() || e.IsOperationMissingError()) && resp.StatusCode == http.StatusNotFound {
			continue
		}
		m := e.Message + ": " + e.Reason
		for _, se := range e.SchemaValidationErrors {
			m += "; " + se.Error()
		}
		msgs = append(msgs, m)
	}
	if len(msgs) > 0 {
		t.Errorf("%s %s → %d does not match the OpenAPI document:\n  %s\n  body: %.400s", req.Method, req.URL.Path, resp.StatusCode, strings.Join(msgs, "\n  "), raw)
	}
}

func TestOpenAPIDocumentServedAndValid(t *testing.T) {
	t.Parallel()
	_, err := loadContract()
	require.NoError(t, err)
	s := startServer(t, nil)
	var doc map[string]any
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/openapi.json", "", nil, &doc))
	require.Equal(t, "3.1.0", doc["openapi"])
	require.NotEmpty(t, doc["paths"])
}

// TestOpenAPICoversEveryRoute walks Echo's registered routes and fails on
// any the document lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) { c.PProf = true })
	doc, err := libopenapi.NewDocument(openapi.YAML())
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	documented := map[string][]string{} // path template → methods
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		for m := range item.GetOperations().FromOldest() {
			documented[p] = append(documented[p], strings.ToUpper(m))
		}
	}
	matches := func(tmpl, route string) bool {
		ts, rs := strings.Split(tmpl, "/"), strings.Split(route, "/")
		if len(ts) != len(rs) {
			return false
		}
		for i := range ts {
			param := strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}")
			if ts[i] != rs[i] && !param {
				return false
			}
			if strings.HasPrefix(rs[i], ":") && !param {
				return false
			}
		}
		return true
	}
	skipMethods := []string{"HEAD", "OPTIONS", "CONNECT", "TRACE", "PROPFIND", "REPORT"}
	var missing []string
	seen := 0
	for _, r := range s.Main.server.Echo().Routes() {
		// Catch-alls: unknown API routes (problem+json 404), the dashboard,
		// and the not-found routes Echo adds for groups with middleware.
		if strings.HasSuffix(r.Path, "*") || r.Path == "/api/v1" || r.Path == "/api/v1/debug/pprof" || slices.Contains(skipMethods, r.Method) {
			continue
		}
		seen++
		found := false
		for tmpl, methods := range documented {
			if matches(tmpl, r.Path) && slices.Contains(methods, r.Method) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, r.Method+" "+r.Path)
		}
	}
	slices.Sort(missing)
	require.Greater(t, seen, 40)
	require.Empty(t, missing, "routes missing from handlers/openapi/openapi.yaml")
}
