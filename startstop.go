package hookstream

import (
	"context"
	"sync"
)

// StartStop is the one start/stop contract of every long-running service
// (river rivershared/startstop). A service embeds it (or holds one) and
// implements Start(ctx) error and Stop() with it:
//
//	func (s *Service) Start(ctx context.Context) error {
//		runCtx, ok := s.lc.StartInit(ctx)
//		if !ok {
//			return nil // already running: a second Start is a no-op
//		}
//		if err := s.open(ctx); err != nil {
//			s.lc.Stop() // a failed start is stopped
//			return err
//		}
//		s.lc.Go(func() { s.run(runCtx) })
//		return nil
//	}
//
//	func (s *Service) Stop() { s.lc.Stop() }
//
// The contract, the same everywhere:
//   - Start on a running service does nothing and returns nil;
//   - the goroutines run on a context that Start's ctx does not cancel
//     (a request or start timeout must not end the service): only Stop
//     ends them;
//   - Stop cancels that context and waits for every goroutine started with
//     Go; it is idempotent, safe before Start and after a failed Start;
//   - after Stop the service may Start again.
//
// The zero value is ready to use.
type StartStop struct {
	mu      sync.Mutex
	running bool
	cancel  context.CancelFunc
	wg      *sync.WaitGroup
}

// StartInit begins a Start. It returns the context the service's
// goroutines run on and true, or false when the service already runs.
func (s *StartStop) StartInit(ctx context.Context) (context.Context, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil, false
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.running, s.cancel, s.wg = true, cancel, &sync.WaitGroup{}
	return runCtx, true
}

// Go runs f in a goroutine that Stop waits for. Call it only between
// StartInit and Stop.
func (s *StartStop) Go(f func()) {
	s.mu.Lock()
	wg := s.wg
	s.mu.Unlock()
	if wg == nil {
		panic("hookstream: StartStop.Go before StartInit")
	}
	wg.Go(f)
}

// Stop cancels the run context and waits for the goroutines started with Go.
func (s *StartStop) Stop() {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return
	}
	cancel, wg := s.cancel, s.wg
	s.running, s.cancel = false, nil
	s.mu.Unlock()
	cancel()
	wg.Wait()
}

// Running reports whether the service has started and not stopped.
func (s *StartStop) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}
