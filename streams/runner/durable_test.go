package runner_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/runner"
)

// TestDelaySurvivesRestart: a delay step in progress when the runner stops
// resumes on a new runner (as on another node) with what is left: it
// completes once, not before its resume time, without a second start.
func TestDelaySurvivesRestart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wf := b.workflow(t, `[{"type":"log","message":"before"},{"type":"delay","ms":2000},{"type":"log","message":"after"}]`, nil)
	exec := b.trigger(t, wf, hookstream.PriorityHigh, `{}`)
	var started *hookstream.Event
	poll(t, func() bool {
		for _, ev := range b.events(t, exec) {
			if ev.Type == hookstream.EventStepStarted && stepData(t, ev).StepIndex == 1 {
				started = ev
				return true
			}
		}
		return false
	})
	b.runner.Stop()

	second, err := runner.New(runner.Config{
		Store: b.store, Workflows: b.wfs, Workers: 4, AckWait: 3 * time.Second, FetchWait: 200 * time.Millisecond,
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	require.NoError(t, err)
	require.NoError(t, second.Start(t.Context()))
	t.Cleanup(second.Stop)

	evs := b.waitEnd(t, exec, 60*time.Second)
	require.Equal(t, hookstream.EventExecutionCompleted, evs[len(evs)-1].Type)
	resume := stepData(t, started).ResumeAt
	require.NotNil(t, resume)
	var delayStarts, delayDone int
	for _, ev := range evs {
		if ev.Type == hookstream.EventStepStarted || ev.Type == hookstream.EventStepCompleted {
			d := stepData(t, ev)
			if d.StepIndex != 1 {
				continue
			}
			if ev.Type == hookstream.EventStepStarted {
				delayStarts++
			} else {
				delayDone++
				require.False(t, ev.Time.Before(*resume), "completed before its resume time")
				require.JSONEq(t, `{"delayedMs":2000}`, string(d.Output))
			}
		}
	}
	require.Equal(t, 1, delayStarts)
	require.Equal(t, 1, delayDone)
}
