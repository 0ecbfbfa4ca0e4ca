package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
)

// TestStatsTimeseries: the metrics projection counts accepted, rejected,
// filtered and processed deliveries per minute and webhook with ingest
// latency quantiles, and GET /api/v1/stats/timeseries serves them per
// webhook and per tenant over 1h / 24h / 7d.
func TestStatsTimeseries(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"name": "ts", "path": "ts-" + eventstore.NewID()[:8], "authType": "api_key", "apiKey": "key-" + eventstore.NewID()})
	other := s.createHook(map[string]any{"name": "ts2", "path": "ts2-" + eventstore.NewID()[:8], "authType": "none"})
	var full struct {
		APIKeyHeader string `json:"apiKeyHeader"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+h.ID, s.Token, nil, &full))
	var secret struct {
		APIKey string `json:"apiKey"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+h.ID+"/secret", s.Token, nil, &secret))
	require.NotEmpty(t, secret.APIKey)
	if full.APIKeyHeader == "" {
		full.APIKeyHeader = "X-API-Key"
	}
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+h.ID+"/filters", s.Token, map[string]any{
		"logic": "and", "rules": []any{map[string]any{"field": "$.keep", "operator": "equals", "value": true}},
	}, nil))
	hdr := http.Header{full.APIKeyHeader: []string{secret.APIKey}}
	for range 3 {
		st, out := s.post(h.Path, hdr, `{"keep":true}`)
		require.Equal(t, http.StatusAccepted, st, out)
	}
	st, out := s.post(h.Path, hdr, `{"keep":false}`)
	require.Equal(t, http.StatusAccepted, st, out)
	st, _ = s.post(h.Path, http.Header{full.APIKeyHeader: []string{"wrong"}}, `{"keep":true}`)
	require.Equal(t, http.StatusUnauthorized, st)
	st, out = s.post(other.Path, nil, `{}`)
	require.Equal(t, http.StatusAccepted, st, out)

	type counts struct {
		Volume, Accepted, Rejected, Filtered, Processed, Failed int64
		P50Ms, P99Ms                                            *float64
	}
	var ts struct {
		Range       string  `json:"range"`
		WebhookID   *string `json:"webhookId"`
		StepSeconds int     `json:"stepSeconds"`
		Points      []struct {
			T time.Time `json:"t"`
			counts
		} `json:"points"`
		Totals counts `json:"totals"`
	}
	s.waitStatus("/api/v1/stats/timeseries?range=1h&webhookId="+h.ID, http.StatusOK, &ts, func() bool {
		return ts.Totals.Processed == 3 && ts.Totals.Filtered == 1 && ts.Totals.Rejected == 1
	})
	require.Equal(t, "1h", ts.Range)
	require.Equal(t, 60, ts.StepSeconds)
	require.Len(t, ts.Points, 60)
	require.Equal(t, h.ID, *ts.WebhookID)
	require.EqualValues(t, 4, ts.Totals.Accepted)
	require.EqualValues(t, 5, ts.Totals.Volume)
	require.EqualValues(t, 0, ts.Totals.Failed)
	require.NotNil(t, ts.Totals.P50Ms)
	require.NotNil(t, ts.Totals.P99Ms)
	require.GreaterOrEqual(t, *ts.Totals.P99Ms, *ts.Totals.P50Ms)
	var sum int64
	for i, p := range ts.Points {
		sum += p.Volume
		if i > 0 {
			require.Equal(t, time.Minute, p.T.Sub(ts.Points[i-1].T))
		}
	}
	require.EqualValues(t, 5, sum, "the points add up to the totals")

	// The tenant's series includes the other webhook; 24h and 7d step wider.
	s.waitStatus("/api/v1/stats/timeseries?range=24h", http.StatusOK, &ts, func() bool { return ts.Totals.Volume == 6 })
	require.Nil(t, ts.WebhookID)
	require.Equal(t, 900, ts.StepSeconds)
	require.Len(t, ts.Points, 96)
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/stats/timeseries?range=7d", s.tokenFor("viewer"), nil, &ts))
	require.Len(t, ts.Points, 84)
	require.EqualValues(t, 6, ts.Totals.Volume)

	require.Equal(t, http.StatusBadRequest, s.do("GET", "/api/v1/stats/timeseries?range=2h", s.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/stats/timeseries?webhookId="+uuid.NewString(), s.Token, nil, nil))
}
