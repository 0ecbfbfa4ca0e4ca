//go:build race

package main

// raceEnabled is true in -race builds. The 100 000-event replay test runs
// at full size in the non-race step of `go tool task test` (test:slow);
// under the race detector, which slows it about tenfold, it runs 10 000.
const raceEnabled = true
