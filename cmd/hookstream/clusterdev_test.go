package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore/eventstoretest"
)

// TestClusterDev runs `hookstream cluster-dev` (go tool task cluster): both
// nodes answer, a webhook created on A is accepted on B, and cancelling
// (Ctrl-C) stops every listener.
func TestClusterDev(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 3 NATS servers, PostgreSQL and two nodes")
	}
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	addrA := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	addrB := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	done := make(chan error, 1)
	go func() {
		done <- runClusterDev(ctx, []string{"--dir", t.TempDir(), "--http-a", addrA, "--http-b", addrB}, out, out)
	}()
	var runErr error
	eventstoretest.Poll(t, 3*time.Minute, 50*time.Millisecond, func() bool {
		select {
		case runErr = <-done:
			return true
		default:
		}
		return strings.Contains(out.String(), "Ctrl-C stops everything")
	}, func() string { return "cluster-dev did not start:\n" + out.String() })
	require.NoError(t, runErr, out.String())
	m := regexp.MustCompile(`admin token:\s+(\S+)`).FindStringSubmatch(out.String())
	require.Len(t, m, 2, out.String())
	token := m[1]
	natsURLs := regexp.MustCompile(`NATS:\s+(\S+)`).FindStringSubmatch(out.String())
	require.Len(t, natsURLs, 2)

	a := &testServer{t: t, URL: "http://" + addrA, Token: token}
	require.Equal(t, http.StatusCreated, a.do("POST", "/api/v1/webhooks", token, map[string]any{"path": "dev", "authType": "none"}, nil))
	eventstoretest.Poll(t, 10*time.Second, 20*time.Millisecond, func() bool {
		resp, err := http.Post("http://"+addrB+"/api/v1/webhooks/dev", "application/json", bytes.NewReader([]byte(`{"a":1}`)))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusAccepted
	}, func() string { return "node B does not accept the webhook created on node A" })

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(2 * time.Minute):
		t.Fatal("cluster-dev did not stop")
	}
	addrs := []string{addrA, addrB}
	for _, u := range strings.Split(natsURLs[1], ",") {
		addrs = append(addrs, strings.TrimPrefix(u, "nats://"))
	}
	for _, addr := range addrs {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after cluster-dev stopped", addr)
		}
	}
}
