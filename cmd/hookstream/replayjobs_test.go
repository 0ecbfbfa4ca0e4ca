package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
)

// TestReplayJobsList: GET /api/v1/replays lists the tenant's batch replay
// jobs newest first with their progress, for any role, so the dashboard's
// jobs page survives leaving the page that started a job.
func TestReplayJobsList(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"name": "jobs", "path": "jobs-" + eventstore.NewID()[:8], "authType": "none"})
	st, out := s.post(h.Path, nil, `{"n":1}`)
	require.Equal(t, http.StatusAccepted, st, out)
	id := out["eventId"].(string)

	type job struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Matched  int64  `json:"matched"`
		Replayed int64  `json:"replayed"`
	}
	var list struct {
		Jobs       []job   `json:"jobs"`
		NextCursor *string `json:"nextCursor"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/replays", s.Token, nil, &list))
	require.Empty(t, list.Jobs)

	// The delivery log must know the event before a job matches it.
	var created []string
	for range 2 {
		var res struct {
			JobID   string `json:"jobId"`
			Matched int64  `json:"matched"`
		}
		poll(t, 90*time.Second, 50*time.Millisecond, func() bool {
			res.Matched = 0
			st := s.do("POST", "/api/v1/events/replay", s.Token, map[string]any{"ids": []string{id}, "ratePerSec": 1000}, &res)
			require.Equal(t, http.StatusAccepted, st)
			return res.Matched == 1
		}, func() string { return "the event never reached the delivery log" })
		created = append(created, res.JobID)
	}

	viewer := s.tokenFor("viewer")
	s.waitStatus("/api/v1/replays", http.StatusOK, &list, func() bool {
		return len(list.Jobs) >= 2 && list.Jobs[0].Status == "completed"
	})
	require.Nil(t, list.NextCursor)
	// Newest first: the second job created is listed first.
	ids := []string{}
	for _, j := range list.Jobs {
		ids = append(ids, j.ID)
	}
	require.Contains(t, ids, created[0])
	require.Equal(t, created[1], list.Jobs[0].ID)
	require.EqualValues(t, 1, list.Jobs[0].Matched)

	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/replays?limit=1", viewer, nil, &list))
	require.Len(t, list.Jobs, 1)
	require.Equal(t, http.StatusBadRequest, s.do("GET", "/api/v1/replays?limit=0", s.Token, nil, nil))
}

// TestMe: GET /api/v1/me names the token's role (the dashboard hides what
// the role may not do).
func TestMe(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var me struct {
		TenantID string `json:"tenantId"`
		TokenID  string `json:"tokenId"`
		Role     string `json:"role"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/me", s.tokenFor("viewer"), nil, &me))
	require.Equal(t, "viewer", me.Role)
	require.NotEmpty(t, me.TenantID)
	require.NotEmpty(t, me.TokenID)
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/me", s.Token, nil, &me))
	require.Equal(t, "admin", me.Role)
	require.Equal(t, http.StatusUnauthorized, s.do("GET", "/api/v1/me", "nope", nil, nil))
}
