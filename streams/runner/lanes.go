package runner

import (
	"context"
	"sync"

	"github.com/hookstream/hookstream/eventstore"
)

// scheduler shares the worker pool among the four priority lanes by
// stride scheduling: each start advances the lane's pass by 1/weight and
// a free worker takes the non-empty lane with the smallest pass. Under
// saturation the starts follow the weights exactly (8:4:2:1); a lane with
// nothing queued takes nothing, so its share goes to the others; a lane
// that becomes busy again starts from the current virtual time (no burst
// of saved-up credit), and every non-empty lane's pass is reached in turn,
// so low never starves.
type scheduler struct {
	mu       sync.Mutex
	cond     *sync.Cond
	queues   [4][]eventstore.Msg
	pass     [4]float64
	vtime    float64
	prefetch [4]int
	started  [4]uint64
	closed   bool
	roomCh   [4]chan struct{}
}

func newScheduler(workers int) *scheduler {
	s := &scheduler{}
	s.cond = sync.NewCond(&s.mu)
	total := 0
	for _, w := range LaneWeights {
		total += w
	}
	for p, w := range LaneWeights {
		s.prefetch[p] = max(2, (workers*w+total-1)/total)
		s.roomCh[p] = make(chan struct{}, 1)
	}
	return s
}

// room blocks until lane p has room for more prefetched triggers and
// returns how many; 0 when ctx ends.
func (s *scheduler) room(ctx context.Context, p int) int {
	for {
		s.mu.Lock()
		n := s.prefetch[p] - len(s.queues[p])
		s.mu.Unlock()
		if n > 0 {
			return n
		}
		select {
		case <-ctx.Done():
			return 0
		case <-s.roomCh[p]:
		}
	}
}

func (s *scheduler) push(p int, msgs []eventstore.Msg) {
	if len(msgs) == 0 {
		return
	}
	s.mu.Lock()
	if len(s.queues[p]) == 0 {
		s.pass[p] = max(s.pass[p], s.vtime)
	}
	s.queues[p] = append(s.queues[p], msgs...)
	s.mu.Unlock()
	s.cond.Broadcast()
}

// next blocks until a lane has a trigger and returns it with its lane.
func (s *scheduler) next(ctx context.Context) (eventstore.Msg, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if ctx.Err() != nil || s.closed {
			return eventstore.Msg{}, 0, false
		}
		best := -1
		for p := 3; p >= 0; p-- {
			if len(s.queues[p]) > 0 && (best < 0 || s.pass[p] < s.pass[best]) {
				best = p
			}
		}
		if best >= 0 {
			m := s.queues[best][0]
			s.queues[best] = s.queues[best][1:]
			s.vtime = s.pass[best]
			s.pass[best] += 1 / float64(LaneWeights[best])
			s.started[best]++
			select {
			case s.roomCh[best] <- struct{}{}:
			default:
			}
			return m, best, true
		}
		s.cond.Wait()
	}
}

func (s *scheduler) finished(int) {}

func (s *scheduler) wake() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cond.Broadcast()
}

func (s *scheduler) queued() []eventstore.Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []eventstore.Msg
	for _, q := range s.queues {
		out = append(out, q...)
	}
	return out
}

func (s *scheduler) starts() [4]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}
