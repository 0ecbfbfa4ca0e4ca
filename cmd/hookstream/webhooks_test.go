package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/webhooks"
)

func TestWebhookManagementAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)

	// Create returns the secret once and every field of SPEC §9.
	var created map[string]any
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/webhooks", s.Token, map[string]any{
		"name": "Orders", "path": "orders", "workflowId": "wf-a", "priority": 2, "maskPaths": []string{"$.card"},
	}, &created))
	for _, f := range []string{"id", "tenantId", "workflowId", "name", "path", "url", "authType", "signatureScheme", "enabled",
		"priority", "methods", "schemaMode", "rateLimit", "maxBodyBytes", "allowedCidrs", "maskPaths", "metadataRules",
		"triggerCount", "lastTriggeredAt", "createdAt", "updatedAt", "secret"} {
		require.Contains(t, created, f)
	}
	id := created["id"].(string)
	require.Equal(t, s.URL+"/api/v1/webhooks/orders", created["url"])
	require.NotEmpty(t, created["secret"])
	var got map[string]any
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+id, s.Token, nil, &got))
	require.NotContains(t, got, "secret")
	require.Equal(t, "Orders", got["name"])

	// Validation: 422 naming the field; 400 for a type error; path conflict 409.
	var p struct {
		Status int
		Errors []hookstream.FieldError
	}
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/webhooks", s.Token, map[string]any{"path": "big", "maxBodyBytes": 9 << 20}, &p))
	require.Equal(t, "maxBodyBytes", p.Errors[0].Field)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/webhooks", s.Token, map[string]any{"path": "Bad/Path"}, &p))
	require.Equal(t, "path", p.Errors[0].Field)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/webhooks", s.Token, map[string]any{"path": "x1", "signatureScheme": "nope"}, &p))
	require.Equal(t, "signatureScheme", p.Errors[0].Field)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/webhooks", s.Token, map[string]any{"path": "x2", "eventType": "no.such.type", "schemaMode": "warn"}, &p))
	require.Equal(t, "eventType", p.Errors[0].Field)
	require.Equal(t, http.StatusBadRequest, s.do("POST", "/api/v1/webhooks", s.Token, map[string]any{"path": "x3", "priority": "high"}, &p))
	require.Equal(t, "priority", p.Errors[0].Field)
	require.Equal(t, http.StatusConflict, s.do("POST", "/api/v1/webhooks", s.Token, map[string]any{"path": "orders"}, nil))

	// List with filters, cursor and total.
	for _, n := range []string{"b1", "b2", "b3"} {
		s.createHook(map[string]any{"path": n, "name": "batch " + n, "workflowId": "wf-b", "authType": "none", "enabled": n != "b2"})
	}
	var list struct {
		Webhooks   []map[string]any `json:"webhooks"`
		Total      int              `json:"total"`
		NextCursor *string          `json:"nextCursor"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks?workflowId=wf-b&limit=2", s.Token, nil, &list))
	require.Equal(t, 3, list.Total)
	require.Len(t, list.Webhooks, 2)
	require.NotNil(t, list.NextCursor)
	require.Equal(t, "b3", list.Webhooks[0]["path"])
	cursor := *list.NextCursor
	list.NextCursor = nil
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks?workflowId=wf-b&limit=2&cursor="+cursor, s.Token, nil, &list))
	require.Len(t, list.Webhooks, 1)
	require.Equal(t, "b1", list.Webhooks[0]["path"])
	require.Nil(t, list.NextCursor)
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks?enabled=false", s.Token, nil, &list))
	require.Equal(t, 1, list.Total)
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks?q=ORDERS", s.Token, nil, &list))
	require.Equal(t, 1, list.Total)
	require.Equal(t, http.StatusBadRequest, s.do("GET", "/api/v1/webhooks?enabled=maybe", s.Token, nil, nil))

	// Update (PUT merges the given fields); path change frees the old one.
	var upd map[string]any
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+id, s.Token, map[string]any{"path": "orders-v2", "enabled": false}, &upd))
	require.Equal(t, "orders-v2", upd["path"])
	require.Equal(t, false, upd["enabled"])
	require.Equal(t, "Orders", upd["name"])
	st, _ := s.post("orders", nil, `{}`)
	require.Equal(t, http.StatusNotFound, st)
	s.createHook(map[string]any{"path": "orders", "authType": "none"})

	// Roles: a viewer reads but cannot write or see secrets.
	var viewer struct{ Token string }
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/tokens", s.Token, map[string]string{"role": "viewer", "name": "v"}, &viewer))
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+id, viewer.Token, nil, nil))
	require.Equal(t, http.StatusForbidden, s.do("GET", "/api/v1/webhooks/"+id+"/secret", viewer.Token, nil, nil))
	require.Equal(t, http.StatusForbidden, s.do("POST", "/api/v1/webhooks", viewer.Token, map[string]any{"path": "v"}, nil))
	require.Equal(t, http.StatusForbidden, s.do("DELETE", "/api/v1/webhooks/"+id, viewer.Token, nil, nil))

	// Another tenant's id is a 404.
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"tenants", "create", "--name", "other", "--database-url", s.Main.Config.DatabaseURL}, &out, io.Discard))
	var other struct{ Token string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &other))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/webhooks/"+id, other.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("PUT", "/api/v1/webhooks/"+id, other.Token, map[string]any{"name": "x"}, nil))

	// Test console: the real ingest path, signed with the webhook's secret; last runs kept.
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+id, s.Token, map[string]any{"enabled": true}, nil))
	var run1 struct {
		Status     int             `json:"status"`
		Body       json.RawMessage `json:"body"`
		EventID    string          `json:"eventId"`
		DurationMs float64         `json:"durationMs"`
	}
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+id+"/test", s.Token, map[string]any{"body": map[string]any{"hello": "world"}, "sign": true}, &run1))
	require.Equal(t, http.StatusAccepted, run1.Status, string(run1.Body))
	require.NotEmpty(t, run1.EventID)
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+id+"/test", s.Token, map[string]any{"body": map[string]any{"a": 1}, "sign": false}, &run1))
	require.Equal(t, http.StatusUnauthorized, run1.Status)
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+id+"/test", s.Token, map[string]any{"body": map[string]any{"dry": true}, "dryRun": true, "sign": true}, &run1))
	require.Equal(t, http.StatusAccepted, run1.Status)
	require.Empty(t, run1.EventID)
	var tests struct {
		Tests []map[string]any `json:"tests"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+id+"/tests", viewer.Token, nil, &tests))
	require.Len(t, tests.Tests, 3)
	wh := hook{ID: id, TenantID: created["tenantId"].(string)}
	evs := s.events(wh, hookstream.EventWebhookReceived)
	require.Len(t, evs, 1)
	var d hookstream.ReceivedData
	require.NoError(t, json.Unmarshal(evs[0].Data, &d))
	require.True(t, d.Test)

	// Delete: 204, then 404 everywhere, path free again.
	require.Equal(t, http.StatusNoContent, s.do("DELETE", "/api/v1/webhooks/"+id, s.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/webhooks/"+id, s.Token, nil, nil))
	st, _ = s.post("orders-v2", nil, `{}`)
	require.Equal(t, http.StatusNotFound, st)
	s.createHook(map[string]any{"path": "orders-v2", "authType": "none"})
}

// A change made on one node is in force on every node: another node's
// registry follows the same KV bucket.
func TestWebhookChangeReachesOtherNodes(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	kv, err := s.Main.Store().KeyValue(t.Context(), webhooks.BucketDefault)
	require.NoError(t, err)
	other := webhooks.NewRegistry(webhooks.RegistryConfig{KV: kv, Sealer: s.Main.Sealer()})
	require.NoError(t, other.Start(t.Context()))
	t.Cleanup(other.Stop)

	h := s.createHook(map[string]any{"path": "quick", "authType": "none"})
	waitFor := func(cond func(e *webhooks.Entry, ok bool) bool) time.Duration {
		start := time.Now()
		poll(t, 10*time.Second, 5*time.Millisecond, func() bool {
			e, ok := other.ByPath("quick")
			return cond(e, ok)
		}, func() string { return "change not seen by the other node" })
		return time.Since(start)
	}
	waitFor(func(e *webhooks.Entry, ok bool) bool { return ok && e.Webhook.ID == h.ID })
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+h.ID, s.Token, map[string]any{"enabled": false}, nil))
	d := waitFor(func(e *webhooks.Entry, ok bool) bool { return ok && !e.Webhook.Enabled })
	t.Logf("disable seen by the other node after %s", d)
	require.Equal(t, http.StatusNoContent, s.do("DELETE", "/api/v1/webhooks/"+h.ID, s.Token, nil, nil))
	waitFor(func(_ *webhooks.Entry, ok bool) bool { return !ok })
}
