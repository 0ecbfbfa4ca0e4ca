package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/handlers/verify"
)

// deliveryIDOf verifies req's signature as the server would and returns
// the delivery id it would deduplicate on.
func deliveryIDOf(t *testing.T, scheme string, req *http.Request) string {
	t.Helper()
	body, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	creds := verify.Credentials{Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}}
	require.NoError(t, verify.Verify(scheme, creds, verify.Request{Header: req.Header, Body: body}), scheme)
	return verify.DeliveryID(scheme, req.Header, body, "")
}
