package hookstream_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
)

// service is the pattern StartStop documents.
type service struct {
	lc      hookstream.StartStop
	failing bool
	runs    atomic.Int32
	exited  atomic.Int32
}

func (s *service) Start(ctx context.Context) error {
	runCtx, ok := s.lc.StartInit(ctx)
	if !ok {
		return nil
	}
	s.lc.Go(func() {
		s.runs.Add(1)
		<-runCtx.Done()
		s.exited.Add(1)
	})
	if s.failing {
		s.lc.Stop()
		return errors.New("open failed")
	}
	return nil
}

func (s *service) Stop() { s.lc.Stop() }

func TestStartStop(t *testing.T) {
	t.Parallel()
	s := &service{}
	s.Stop() // before Start: nothing to do
	ctx, cancel := context.WithCancel(t.Context())
	require.NoError(t, s.Start(ctx))
	require.NoError(t, s.Start(ctx), "a second Start is a no-op")
	require.True(t, s.lc.Running())
	cancel() // Start's context does not end the service
	require.True(t, s.lc.Running())
	s.Stop()
	require.False(t, s.lc.Running())
	require.EqualValues(t, 1, s.runs.Load(), "one goroutine: the second Start started nothing")
	require.EqualValues(t, 1, s.exited.Load(), "Stop waited for the goroutine")
	s.Stop() // idempotent

	require.NoError(t, s.Start(t.Context()), "Start again after Stop")
	s.Stop()
	require.EqualValues(t, 2, s.exited.Load())

	f := &service{failing: true}
	require.Error(t, f.Start(t.Context()))
	require.False(t, f.lc.Running(), "a failed start is stopped")
	require.EqualValues(t, f.runs.Load(), f.exited.Load(), "and its goroutines waited for")
	f.Stop()
}
