package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
)

// TestNATSListenerRequiresCredentials: HOOKSTREAM_NATS_LISTEN refuses
// anonymous clients, accepts the nkey generated into the data directory
// (mode 0600), and the in-process connection keeps working.
func TestNATSListenerRequiresCredentials(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	s := startServer(t, func(c *Config) { c.NATSListen = addr })
	require.Equal(t, http.StatusOK, s.do("GET", "/readyz", "", nil, nil))

	_, err := nats.Connect("nats://"+addr, nats.NoReconnect())
	require.ErrorIs(t, err, nats.ErrAuthorization, "anonymous client accepted")
	_, err = nats.Connect("nats://hookstream:guess@"+addr, nats.NoReconnect())
	require.ErrorIs(t, err, nats.ErrAuthorization, "guessed password accepted")

	seedFile := filepath.Join(s.Main.Config.DataDir, eventstore.NKeySeedFile)
	fi, err := os.Stat(seedFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	opt, err := eventstore.CredsOption(seedFile)
	require.NoError(t, err)
	nc, err := nats.Connect("nats://"+addr, opt, nats.NoReconnect())
	require.NoError(t, err)
	defer nc.Close()
	js, err := nc.JetStream()
	require.NoError(t, err)
	info, err := js.StreamInfo(eventstore.StreamHooks)
	require.NoError(t, err)
	require.Equal(t, eventstore.StreamHooks, info.Config.Name)

	// Ingest still appends through the in-process connection.
	id := createSignatureWebhook(t, s.URL, s.Token, "listener-auth")
	require.NotEmpty(t, id)
	l := newSignedLoad(s.URL+"/api/v1/webhooks/listener-auth", 1)
	status, eventID, _ := l.send(http.DefaultClient, []byte(`{"a":1}`), "d-1", signGitHub([]byte(`{"a":1}`)))
	require.Equal(t, http.StatusAccepted, status)
	require.NotEmpty(t, eventID)
}

// signGitHub signs body as GitHub does with durabilitySecret.
func signGitHub(body []byte) string {
	mac := hmac.New(sha256.New, []byte(durabilitySecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
