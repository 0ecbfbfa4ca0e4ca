package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLiveCursorRevealsNothing: the live tail's cursor does not carry the
// global stream sequence (another tenant's traffic moves it), it resumes
// for its own tenant and is refused for another (2.6/7 defect 9).
func TestLiveCursorRevealsNothing(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"tenants", "create", "--name", "other", "--database-url", s.Main.Config.DatabaseURL}, &out, io.Discard))
	var other struct{ TenantID, Token string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &other))

	type page struct {
		Events []json.RawMessage `json:"events"`
		Next   json.RawMessage   `json:"next"`
	}
	var first page
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events/live?after=0", other.Token, nil, &first))
	var next string
	require.NoError(t, json.Unmarshal(first.Next, &next), "next is an opaque string, not a number: %s", first.Next)
	_, err := strconv.ParseUint(next, 10, 64)
	require.Error(t, err, "next must not be a stream sequence")

	// The default tenant's traffic.
	h := s.createHook(map[string]any{"path": "cursor-hook", "authType": "none"})
	for range 3 {
		st, _ := s.post(h.Path, nil, `{"a":1}`)
		require.Equal(t, http.StatusAccepted, st)
	}
	// The other tenant resumes from its cursor and sees nothing of it.
	var again page
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events/live?after="+next, other.Token, nil, &again))
	require.Empty(t, again.Events)
	// The default tenant cannot use the other's cursor.
	require.Equal(t, http.StatusBadRequest, s.do("GET", "/api/v1/events/live?after="+next, s.Token, nil, nil))
	// And its own tail sees its deliveries.
	var mine page
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events/live?after=0&webhookId="+h.ID, s.Token, nil, &mine))
	require.NotEmpty(t, mine.Events)
}
