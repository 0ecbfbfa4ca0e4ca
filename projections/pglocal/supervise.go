package pglocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookstream/hookstream"
)

// ownerFile records the pid of the process that started the postmaster,
// so that a later Start tells a postmaster whose owner still runs (attach
// to it) from one left behind by a crash (stop it and start its own).
const ownerFile = "hookstream-owner"

// RestartBackoff is the supervisor's retry policy after PostgreSQL died.
var RestartBackoff = hookstream.Backoff{Base: 250 * time.Millisecond, Max: 15 * time.Second}

// Status is the supervised server's state, for /readyz and /metrics.
type Status struct {
	// Running is true while a postmaster started by this Server runs.
	Running bool
	// PID of the running postmaster, 0 when none.
	PID int
	// Restarts counts the postmasters the supervisor started after one died.
	Restarts int64
	// LastExit describes how the last postmaster ended ("" if none did).
	LastExit string
	// Err is the last failed restart attempt's error, nil once one succeeds.
	Err error
}

// child is one postgres process started by this Server and the goroutine
// that waits for it.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when Wait returned
	err    error         // Wait's result, valid once exited is closed
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) done() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// spawn starts postgres on port and waits until it accepts connections
// (and the database exists). On failure nothing is left running.
func (s *Server) spawn(ctx context.Context, port int) (*child, error) {
	if err := writeFileAs(s.env, filepath.Join(s.cluster, confFile), s.settings(port), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(s.cluster, logFile)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pglocal: open %s: %w", logPath, err)
	}
	var logOffset int64
	if fi, err := logf.Stat(); err == nil {
		logOffset = fi.Size()
	}
	cmd := exec.Command(filepath.Join(filepath.Dir(s.env.pgCtl), "postgres"), "-D", s.cluster) //nolint:noctx // the child outlives the start context by design
	cmd.Dir = "/"
	cmd.Env = s.env.vars
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr(s.env.cred)
	c := &child{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that started the
		// child ends: keep this goroutine on its thread for the child's
		// whole life (the thread ends with it).
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.err = cmd.Wait()
		close(c.exited)
	}()
	err = <-started
	_ = logf.Close() // the child has its own descriptor
	if err != nil {
		return nil, fmt.Errorf("pglocal: start postgres: %w", err)
	}
	if err := s.waitReady(ctx, c, port); err != nil {
		kill(c)
		logTail := readFrom(logPath, logOffset)
		err = fmt.Errorf("pglocal: postgres on %s: %w\nlog:\n%s", s.cluster, err, logTail)
		if strings.Contains(logTail, "could not bind") || strings.Contains(logTail, "Address already in use") {
			return nil, fmt.Errorf("%w (%w)", errPortInUse, err)
		}
		return nil, err
	}
	return c, nil
}

// waitReady waits until the child accepts connections on port; it fails
// at once if the child exits.
func (s *Server) waitReady(ctx context.Context, c *child, port int) error {
	dsn := fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", SuperUser, port)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("exited before accepting connections: %w", exitError(c.err))
		case <-ctx.Done():
			return fmt.Errorf("wait for connections on port %d: %w", port, ctx.Err())
		case <-t.C:
		}
	}
}

// kill ends a child at once (immediate shutdown, then SIGKILL) and waits.
func kill(c *child) {
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
		return
	case <-time.After(10 * time.Second):
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// stopChild shuts a child down: fast shutdown, then immediate once ctx is
// done, then SIGKILL.
func stopChild(ctx context.Context, c *child) {
	if c.done() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-ctx.Done():
		kill(c)
	}
}

func exitError(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

// supervisor restarts the postmaster when it dies, until stop is closed.
type supervisor struct {
	stop chan struct{}
	done chan struct{}
}

// supervise waits for c to exit and starts a new postmaster with
// RestartBackoff until one runs; each exit and restart is logged. A clean
// exit (status 0: someone ran pg_ctl stop) is an operator's decision and
// is not undone.
func (s *Server) supervise(c *child, sup *supervisor) {
	defer close(sup.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sup.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	log := s.cfg.Logger
	for {
		select {
		case <-sup.stop:
			return
		case <-c.exited:
		}
		exit := exitError(c.err).Error()
		s.state.Lock()
		s.child, s.status.Running, s.status.PID, s.status.LastExit = nil, false, 0, exit
		s.state.Unlock()
		if c.err == nil {
			log.WarnContext(ctx, "PostgreSQL was stopped outside hookstream; not restarting it",
				slog.Int("pid", c.pid()), slog.String("dir", s.cluster))
			return
		}
		log.ErrorContext(ctx, "PostgreSQL exited; restarting it", slog.Int("pid", c.pid()),
			slog.String("exit", exit), slog.String("dir", s.cluster))
		for attempt := 1; ; attempt++ {
			if !RestartBackoff.Wait(ctx, attempt) {
				return
			}
			sctx, scancel := context.WithTimeout(ctx, TimeoutDefault)
			next, err := s.spawn(sctx, s.port)
			if err == nil {
				err = s.ensureDatabase(sctx)
				if err != nil {
					kill(next)
				}
			}
			scancel()
			if err == nil {
				c = next
				break
			}
			if ctx.Err() != nil {
				return
			}
			s.state.Lock()
			s.status.Err = err
			s.state.Unlock()
			log.WarnContext(ctx, "PostgreSQL restart failed; retrying", slog.Int("attempt", attempt),
				slog.String("error", err.Error()))
		}
		s.state.Lock()
		s.child, s.pid = c, c.pid()
		s.status.Running, s.status.PID, s.status.Err = true, c.pid(), nil
		s.status.Restarts++
		restarts := s.status.Restarts
		s.state.Unlock()
		if err := s.writeOwner(c.pid()); err != nil {
			log.WarnContext(ctx, "PostgreSQL owner not recorded", slog.String("error", err.Error()))
		}
		log.InfoContext(ctx, "PostgreSQL restarted", slog.Int("pid", c.pid()), slog.Int64("restarts", restarts))
	}
}

// Status returns the server's supervised state. For a non-owned Server it
// reports only whether the postmaster it attached to is alive.
func (s *Server) Status() Status {
	if !s.owned {
		pid := s.PID()
		return Status{Running: processAlive(pid), PID: pid}
	}
	s.state.Lock()
	defer s.state.Unlock()
	return s.status
}

// writeOwner records this process as the owner of postmaster pid.
func (s *Server) writeOwner(pid int) error {
	return os.WriteFile(filepath.Join(s.cfg.Dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+" "+strconv.Itoa(pid)+"\n"), 0o600)
}

// readOwner returns the recorded owner and postmaster pids.
func (s *Server) readOwner() (owner, postmaster int) {
	b, err := os.ReadFile(filepath.Join(s.cfg.Dir, ownerFile))
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0
	}
	owner, _ = strconv.Atoi(f[0])
	postmaster, _ = strconv.Atoi(f[1])
	return owner, postmaster
}

// removeOwner forgets the owner record of postmaster pid (not a newer one).
func (s *Server) removeOwner(pid int) {
	if owner, pm := s.readOwner(); owner == os.Getpid() && pm == pid {
		_ = os.Remove(filepath.Join(s.cfg.Dir, ownerFile))
	}
}

// ownerAlive reports whether the process that started postmaster pid still
// runs (and, where /proc tells, is still its parent).
func (s *Server) ownerAlive(pid int) bool {
	owner, pm := s.readOwner()
	if owner <= 0 || pm != pid {
		return false
	}
	if err := syscall.Kill(owner, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if ppid, ok := parentOf(pid); ok {
		return ppid == owner
	}
	return true
}

// parentOf reads a process's parent pid from /proc.
func parentOf(pid int) (int, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	end := strings.LastIndexByte(string(stat), ')')
	if end < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}
