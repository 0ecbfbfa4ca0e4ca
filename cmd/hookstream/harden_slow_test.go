package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTrickledIngestBodyIsCut: a body trickled at 1 byte/s to an ingest
// URL is cut by the ingest class's body read timeout (15 s), well before
// the 60 s a management request may take (2.6/7 defect 11). The bound
// asserted is generous (40 s) for a loaded machine.
func TestTrickledIngestBodyIsCut(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "slow-body", "authType": "none"})
	conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", strings.TrimPrefix(s.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/webhooks/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", h.Path)
	require.NoError(t, err)
	began := time.Now()
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			resp = nil
		}
		done <- resp
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(40 * time.Second)
	for {
		select {
		case resp := <-done:
			// Cut: an error answer or a closed connection, never a 2xx.
			if resp != nil {
				require.GreaterOrEqual(t, resp.StatusCode, 400)
				resp.Body.Close()
			}
			t.Logf("trickled body cut after %s", time.Since(began).Round(time.Second))
			return
		case <-tick.C:
			_, _ = conn.Write([]byte(" "))
		case <-deadline:
			t.Fatalf("a body trickled at 1 byte/s still held the connection after %s", time.Since(began))
		}
	}
}
