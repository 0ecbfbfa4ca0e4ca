package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseOptions(t *testing.T) {
	t.Parallel()
	o, err := parseOptions([]string{"--quick"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 5*time.Second, o.Duration)
	require.Equal(t, 10*time.Second, o.LagDuration)
	require.Equal(t, 64, o.BatchSize)
	require.Equal(t, "100ms", o.BenchTime)
	o, err = parseOptions(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 30*time.Second, o.Duration)
	require.Equal(t, time.Minute, o.LagDuration)
	_, err = parseOptions([]string{"--scheme", "nope"}, io.Discard)
	require.ErrorContains(t, err, "--scheme")
	_, err = parseOptions([]string{"--target", "http://x"}, io.Discard)
	require.ErrorContains(t, err, "--token")
	_, err = parseOptions([]string{"extra"}, io.Discard)
	require.Error(t, err)
}
