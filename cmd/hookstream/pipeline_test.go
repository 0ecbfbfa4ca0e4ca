package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/schema"
)

func TestEventTypeRegistryAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)

	// Core types are listed for every tenant.
	var list struct {
		EventTypes []struct {
			Name     string
			Version  int
			Versions int
			Core     bool
		} `json:"eventTypes"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/event-types", s.Token, nil, &list))
	require.Len(t, list.EventTypes, len(schema.Core()))
	require.True(t, list.EventTypes[0].Core)

	// A tenant type: version 1; a dangling $ref and a bad name are refused.
	var p struct {
		Status int
		Errors []hookstream.FieldError
		Detail string
	}
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name": "order.paid", "schema": map[string]any{"$ref": "https://hookstream.dev/schemas/customer/v1"},
	}, &p))
	require.Contains(t, p.Detail, "customer/v1")
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name": "-bad name", "schema": map[string]any{},
	}, &p))
	require.Equal(t, "name", p.Errors[0].Field)
	require.Equal(t, http.StatusConflict, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name": "webhook.received", "schema": map[string]any{},
	}, nil))

	v1 := map[string]any{
		"type":       "object",
		"properties": map[string]any{"total": map[string]any{"type": "number"}, "status": map[string]any{"enum": []string{"paid", "refunded"}}},
		// refs resolve inside the registry: a core type's definitions.
		"$defs": map[string]any{"meta": map[string]any{"$ref": "https://hookstream.dev/schemas/webhook.received/v1#/$defs/metadata"}},
	}
	var created struct {
		Name    string
		Version int
		Core    bool
	}
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name": "order.paid", "schema": v1, "description": "An order was paid.", "examples": []any{map[string]any{"total": 3}},
	}, &created))
	require.Equal(t, 1, created.Version)
	require.False(t, created.Core)
	require.Equal(t, http.StatusConflict, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{"name": "order.paid", "schema": v1}, nil))

	// An incompatible version: 409 with the incompatibilities, unless breaking.
	v2 := map[string]any{
		"type":       "object",
		"properties": map[string]any{"total": map[string]any{"type": "integer"}, "status": map[string]any{"enum": []string{"paid"}}},
		"required":   []string{"total"},
	}
	var conflict struct {
		Incompatibilities []schema.Incompatibility
	}
	require.Equal(t, http.StatusConflict, s.do("POST", "/api/v1/event-types/order.paid/versions", s.Token, map[string]any{"schema": v2}, &conflict))
	kinds := map[schema.IncompatibilityKind]bool{}
	for _, i := range conflict.Incompatibilities {
		kinds[i.Kind] = true
	}
	require.True(t, kinds[schema.KindRequiredAdded])
	require.True(t, kinds[schema.KindTypeNarrowed])
	require.True(t, kinds[schema.KindEnumNarrowed])
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/event-types/order.paid/versions", s.Token, map[string]any{"schema": v2, "breaking": true}, &created))
	require.Equal(t, 2, created.Version)
	// Core types are read-only; unknown types are 404.
	require.Equal(t, http.StatusForbidden, s.do("POST", "/api/v1/event-types/webhook.received/versions", s.Token, map[string]any{"schema": v2}, nil))
	require.Equal(t, http.StatusNotFound, s.do("POST", "/api/v1/event-types/nope/versions", s.Token, map[string]any{"schema": v2}, nil))

	var detail struct {
		Name     string
		Versions []struct{ Version int }
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/event-types/order.paid", s.Token, nil, &detail))
	require.Len(t, detail.Versions, 2)
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/event-types", s.Token, nil, &list))
	require.Len(t, list.EventTypes, len(schema.Core())+1)
	last := list.EventTypes[len(list.EventTypes)-1]
	require.Equal(t, "order.paid", last.Name)
	require.Equal(t, 2, last.Version)
	require.Equal(t, 2, last.Versions)

	// Validate against the latest or a given version.
	var res struct {
		Valid   bool
		Version int
		Errors  []schema.ValidationError
	}
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/event-types/order.paid/validate", s.Token, map[string]any{"payload": map[string]any{"total": 1.5}}, &res))
	require.False(t, res.Valid)
	require.Equal(t, 2, res.Version)
	require.Equal(t, "/total", res.Errors[0].InstancePath)
	require.Equal(t, "type", res.Errors[0].Keyword)
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/event-types/order.paid/validate", s.Token, map[string]any{"payload": map[string]any{"total": 1.5}, "version": 1}, &res))
	require.True(t, res.Valid)
	require.Empty(t, res.Errors)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/event-types/order.paid/validate", s.Token, map[string]any{}, nil))
	require.Equal(t, http.StatusNotFound, s.do("POST", "/api/v1/event-types/order.paid/validate", s.Token, map[string]any{"payload": 1, "version": 9}, nil))
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/event-types/webhook.failed/validate", s.Token, map[string]any{"payload": map[string]any{"eventId": "x", "error": "e"}}, &res))
	require.True(t, res.Valid)

	// Viewers read and validate but do not write.
	var viewer struct{ Token string }
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/tokens", s.Token, map[string]string{"role": "viewer"}, &viewer))
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/event-types/order.paid", viewer.Token, nil, nil))
	require.Equal(t, http.StatusForbidden, s.do("POST", "/api/v1/event-types", viewer.Token, map[string]any{"name": "x", "schema": v1}, nil))
}

func TestWorkflowsAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var p struct{ Errors []hookstream.FieldError }
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "", "steps": []any{map[string]any{"type": "http"}, map[string]any{"type": "email"}, 3},
	}, &p))
	fields := map[string]bool{}
	for _, f := range p.Errors {
		fields[f.Field] = true
	}
	require.Equal(t, map[string]bool{"name": true, "steps[0].url": true, "steps[1].type": true, "steps[2]": true}, fields)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{"name": "x", "steps": map[string]any{}}, nil))

	var ids []string
	for _, name := range []string{"a", "b", "c"} {
		var w hookstream.Workflow
		require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
			"name": name, "steps": []any{map[string]any{"type": "log", "message": "hi"}, map[string]any{"type": "delay", "ms": 1000}},
		}, &w))
		require.Equal(t, name, w.Name)
		ids = append(ids, w.ID)
	}
	var got hookstream.Workflow
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/workflows/"+ids[0], s.Token, nil, &got))
	require.JSONEq(t, `[{"type":"log","message":"hi"},{"type":"delay","ms":1000}]`, string(got.Steps))
	var page struct {
		Workflows  []hookstream.Workflow
		NextCursor *string
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/workflows?limit=2", s.Token, nil, &page))
	require.Len(t, page.Workflows, 2)
	require.Equal(t, ids[2], page.Workflows[0].ID)
	require.NotNil(t, page.NextCursor)
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/workflows?limit=2&cursor="+*page.NextCursor, s.Token, nil, &page))
	require.Len(t, page.Workflows, 1)
	require.Nil(t, page.NextCursor)
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/workflows/not-a-uuid", s.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/workflows/"+eventstore.NewID(), s.Token, nil, nil))
}

// createWebhook creates a webhook through the API; it skips the test when
// the webhook management routes are not wired into this build.
func createWebhook(t *testing.T, s *testServer, body map[string]any) map[string]any {
	t.Helper()
	var wh map[string]any
	status := s.do("POST", "/api/v1/webhooks", s.Token, body, &wh)
	if status == http.StatusNotFound {
		t.Skip("webhook management routes are not wired")
	}
	require.Equal(t, http.StatusCreated, status, "%v", wh)
	return wh
}

// send posts a raw JSON body to a webhook's ingest URL.
func send(t *testing.T, s *testServer, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/api/v1/webhooks/"+path+"?src=e2e", bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shop", "berlin")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// derivedOf polls the HOOKS stream for the event of type want derived from
// the received event id.
func derivedOf(t *testing.T, s *testServer, tenantID, webhookID, eventID string, want hookstream.EventType) *hookstream.Event {
	t.Helper()
	var found *hookstream.Event
	poll(t, 30*time.Second, 25*time.Millisecond, func() bool {
		err := s.Main.Store().Read(t.Context(), eventstore.ReadOptions{
			Stream:   eventstore.StreamHooks,
			Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, tenantID, webhookID, want)},
		}, func(ev *hookstream.Event) error {
			var d struct {
				EventID string `json:"eventId"`
				Trigger struct {
					EventID string `json:"eventId"`
				} `json:"trigger"`
			}
			if json.Unmarshal(ev.Data, &d) == nil && (d.EventID == eventID || d.Trigger.EventID == eventID) {
				found = ev
				return eventstore.ErrStopRead
			}
			return nil
		})
		require.NoError(t, err)
		return found != nil
	}, func() string { return fmt.Sprintf("no %s for %s", want, eventID) })
	return found
}

func TestPipelineEndToEnd(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var wf hookstream.Workflow
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "orders", "steps": []any{map[string]any{"type": "log", "message": "order {{.Body.total}}"}},
	}, &wf))
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name":   "order.created",
		"schema": map[string]any{"type": "object", "properties": map[string]any{"total": map[string]any{"type": "number", "minimum": 0}}, "required": []string{"total", "status"}},
	}, nil))
	wh := createWebhook(t, s, map[string]any{
		"name": "orders", "path": "orders-e2e", "authType": "none", "workflowId": wf.ID,
		"eventType": "order.created", "schemaMode": "enforce", "priority": 2,
	})
	id, tenantID := wh["id"].(string), wh["tenantId"].(string)

	// Unknown or foreign webhook ids: 404.
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/webhooks/"+eventstore.NewID()+"/filters", s.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("PUT", "/api/v1/webhooks/"+eventstore.NewID()+"/filters", s.Token, map[string]any{"rules": []any{}}, nil))

	// An invalid rule set: 422 with the field of each problem.
	var p struct{ Errors []hookstream.FieldError }
	require.Equal(t, http.StatusUnprocessableEntity, s.do("PUT", "/api/v1/webhooks/"+id+"/filters", s.Token, map[string]any{
		"rules": []any{map[string]any{"field": "$..status", "operator": "equals", "value": "x"}, map[string]any{"field": "$.a", "operator": "bogus"}},
	}, &p))
	require.Len(t, p.Errors, 2)
	require.Equal(t, "rules[0].field", p.Errors[0].Field)
	require.Equal(t, "rules[1].operator", p.Errors[1].Field)

	ruleSet := map[string]any{"logic": "and", "rules": []any{
		map[string]any{"field": "$.status", "operator": "equals", "value": "paid"},
		map[string]any{"field": "headers.X-Shop", "operator": "equals", "value": "berlin"},
	}}
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+id+"/filters", s.Token, ruleSet, nil))
	var saved struct {
		Logic     string
		Rules     []map[string]any
		UpdatedAt *time.Time
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+id+"/filters", s.Token, nil, &saved))
	require.Len(t, saved.Rules, 2)
	require.NotNil(t, saved.UpdatedAt)

	// enforce: an invalid payload is refused at ingest with the instance path.
	status, problem := send(t, s, "orders-e2e", `{"total":-5,"status":"paid"}`)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Contains(t, mustJSON(t, problem["errors"]), `"instancePath":"/total"`)

	// Fails a rule: filtered with its reason.
	status, out := send(t, s, "orders-e2e", `{"total":5,"status":"pending"}`)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	filteredID := out["eventId"].(string)
	f := derivedOf(t, s, tenantID, id, filteredID, hookstream.EventWebhookFiltered)
	require.Contains(t, mustJSON(t, f.Data), `$.status equals \"paid\"`)

	// Passes: workflow.triggered and webhook.processed.
	status, out = send(t, s, "orders-e2e", `{"total":5,"status":"paid"}`)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	okID := out["eventId"].(string)
	trig := derivedOf(t, s, tenantID, id, okID, hookstream.EventWorkflowTriggered)
	require.Equal(t, wf.ID, trig.WorkflowID)
	require.EqualValues(t, 2, trig.Priority)
	proc := derivedOf(t, s, tenantID, id, okID, hookstream.EventWebhookProcessed)
	var pd struct{ ExecutionID string }
	require.NoError(t, json.Unmarshal(proc.Data, &pd))
	require.NotEmpty(t, pd.ExecutionID)

	// The delivery log (the projection of these events) shows the outcomes.
	require.Equal(t, "filtered", deliveryStatus(t, s, filteredID, "filtered"))
	var reason string
	require.NoError(t, s.Main.Pool().QueryRow(t.Context(), `SELECT filtered_reason FROM webhook_events WHERE id = $1`, filteredID).Scan(&reason))
	require.Contains(t, reason, `$.status equals "paid"`)
	require.Equal(t, "processed", deliveryStatus(t, s, okID, "processed"))

	// Test the saved rule set against the webhook's last deliveries, and a
	// given rule set against a given payload.
	var tr struct {
		Total, Matched int
		Results        []struct {
			EventID string
			Matched bool
			Reason  string
			Rules   []struct{ Matched bool }
		}
	}
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+id+"/filters/test", s.Token, map[string]any{"lastN": 10}, &tr))
	require.Equal(t, 2, tr.Total)
	require.Equal(t, 1, tr.Matched)
	require.Equal(t, okID, tr.Results[0].EventID) // newest first
	require.True(t, tr.Results[0].Matched)
	require.Len(t, tr.Results[0].Rules, 2)
	require.False(t, tr.Results[1].Matched)
	require.Contains(t, tr.Results[1].Reason, `$.status equals "paid"`)
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+id+"/filters/test", s.Token, map[string]any{
		"ruleSet": map[string]any{"logic": "or", "rules": []any{map[string]any{"field": "query.src", "operator": "equals", "value": "x"}, map[string]any{"field": "$.n", "operator": "greater_than", "value": 3}}},
		"payload": map[string]any{"n": 4}, "query": map[string]any{"src": "e2e"},
	}, &tr))
	require.Equal(t, 1, tr.Total)
	require.True(t, tr.Results[0].Matched)
	require.False(t, tr.Results[0].Rules[0].Matched)
	require.True(t, tr.Results[0].Rules[1].Matched)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/webhooks/"+id+"/filters/test", s.Token, map[string]any{"lastN": 101}, nil))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	if raw, ok := v.(json.RawMessage); ok {
		return string(raw)
	}
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// deliveryStatus polls the delivery log row of an event until it has the
// wanted status (the projection runs asynchronously) and returns it.
func deliveryStatus(t *testing.T, s *testServer, eventID, want string) string {
	t.Helper()
	var status string
	var err error
	poll(t, 30*time.Second, 25*time.Millisecond, func() bool {
		err = s.Main.Pool().QueryRow(t.Context(), `SELECT status FROM webhook_events WHERE id = $1`, eventID).Scan(&status)
		return err == nil && status == want
	}, func() string {
		return fmt.Sprintf("event %s: status %q, error %v; logs:\n%s", eventID, status, err, s.Logs.String())
	})
	return status
}
