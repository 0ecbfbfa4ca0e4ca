package eventstoretest

import (
	"testing"
	"time"
)

// Poll calls cond on the test goroutine every interval until it returns
// true; when timeout passes first the test fails with msg(). Tests wait for
// asynchronous work (consumers, projections, jobs) with it, never with a
// fixed sleep.
func Poll(t testing.TB, timeout, interval time.Duration, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			if cond() {
				return
			}
			t.Fatalf("gave up after %s: %s", timeout, msg())
		case <-tick.C:
		}
	}
}
