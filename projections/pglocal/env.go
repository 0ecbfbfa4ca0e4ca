package pglocal

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// environment is how PostgreSQL's programs are found and run: which binaries, as which user.
type environment struct {
	logger *slog.Logger
	initdb string
	pgCtl  string
	// cred is nil unless running as root; then the programs run as the unprivileged user.
	cred *syscall.Credential
	user string
	home string
	vars []string
}

func newEnvironment(ctx context.Context, cfg Config) (*environment, error) {
	binDir, err := findBinDir(ctx, cfg.BinDir)
	if err != nil {
		return nil, err
	}
	e := &environment{
		logger: cfg.Logger,
		initdb: filepath.Join(binDir, "initdb"),
		pgCtl:  filepath.Join(binDir, "pg_ctl"),
	}
	home := ""
	if os.Geteuid() == 0 {
		u, err := user.Lookup(cfg.User)
		if err != nil {
			return nil, fmt.Errorf("pglocal: running as root, PostgreSQL must run as an unprivileged user, "+
				"but user %q does not exist (create it, or set Config.User): %w", cfg.User, err)
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("pglocal: user %q: %w", cfg.User, err)
		}
		if uid == 0 {
			return nil, fmt.Errorf("pglocal: user %q is root; PostgreSQL refuses to run as root", cfg.User)
		}
		groups := []uint32{uint32(gid)}
		if ids, err := u.GroupIds(); err == nil {
			for _, id := range ids {
				if g, err := strconv.ParseUint(id, 10, 32); err == nil && !slices.Contains(groups, uint32(g)) {
					groups = append(groups, uint32(g))
				}
			}
		}
		e.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}
		e.user, e.home, home = u.Username, u.HomeDir, u.HomeDir
		e.logger.InfoContext(ctx, "running PostgreSQL as unprivileged user", slog.String("user", u.Username))
	}
	// The environment of PostgreSQL's programs: no PG* variables (PGDATA, PGPORT, ... would
	// override our flags), C locale messages, and the user's HOME.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" ||
			(home != "" && k == "HOME") {
			continue
		}
		e.vars = append(e.vars, kv)
	}
	e.vars = append(e.vars, "LC_ALL=C", "LANG=C")
	if home != "" {
		e.vars = append(e.vars, "HOME="+home)
	}
	return e, nil
}

// findBinDir returns the directory holding initdb, pg_ctl and postgres.
func findBinDir(ctx context.Context, binDir string) (string, error) {
	if binDir != "" {
		if !hasBinaries(binDir) {
			return "", fmt.Errorf("pglocal: BinDir %s lacks initdb, pg_ctl or postgres", binDir)
		}
		return binDir, nil
	}
	// PATH entries are often symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb);
	// use the real directory so initdb, pg_ctl and postgres are one installation.
	if p, err := exec.LookPath("initdb"); err == nil {
		if resolved, err := filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(resolved)) {
			return filepath.Dir(resolved), nil
		}
	}
	out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output()
	if err == nil {
		if dir := strings.TrimSpace(string(out)); hasBinaries(dir) {
			return dir, nil
		}
	}
	return "", errors.New("pglocal: PostgreSQL server binaries not found: put initdb on PATH, " +
		"install pg_config, or set Config.BinDir")
}

func hasBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// command builds an exec.Cmd for one of PostgreSQL's programs, run as the unprivileged user when
// root.
func (e *environment) command(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = "/" // the user may not be able to reach our working directory
	cmd.Env = e.vars
	cmd.WaitDelay = 5 * time.Second
	if e.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: e.cred}
	}
	return cmd
}

// shutdown runs pg_ctl stop -m mode. A postmaster that is already gone is not an error.
func (e *environment) shutdown(ctx context.Context, cluster, mode string) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	out, err := e.command(ctx, e.pgCtl, "stop", "-D", cluster, "-m", mode, "-w", "-t", timeoutSeconds(ctx)).
		CombinedOutput()
	if err == nil {
		return nil
	}
	if pf, perr := readPIDFile(cluster); errors.Is(perr, os.ErrNotExist) || (perr == nil && !processAlive(pf.pid)) {
		return nil
	}
	return fmt.Errorf("pglocal: pg_ctl stop %s: %w: %s", cluster, err, strings.TrimSpace(string(out)))
}

// clusterDir returns where the cluster for dir lives: dir itself, or the directory recorded in
// dir/location. When root and the user cannot reach dir, and create is set, it relocates the
// cluster (see the package documentation).
func (e *environment) clusterDir(ctx context.Context, dir string, create bool) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, locationFile))
	switch {
	case err == nil:
		loc := strings.TrimSpace(string(b))
		if !filepath.IsAbs(loc) {
			return "", fmt.Errorf("pglocal: %s: not an absolute path: %q", filepath.Join(dir, locationFile), loc)
		}
		if create {
			if err := e.ensureRelocated(loc); err != nil {
				return "", err
			}
		}
		return loc, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("pglocal: read %s: %w", locationFile, err)
	}
	if e.cred == nil || !create {
		return dir, nil
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("pglocal: resolve %s: %w", dir, err)
	}
	if e.canReach(filepath.Dir(resolved)) {
		return dir, nil
	}
	base := os.TempDir()
	if fi, err := os.Stat(e.home); e.home != "" && err == nil && fi.IsDir() &&
		fi.Sys().(*syscall.Stat_t).Uid == e.cred.Uid && e.canReach(e.home) {
		base = e.home
	}
	sum := sha256.Sum256([]byte(dir))
	loc := filepath.Join(base, "hookstream-pg-"+hex.EncodeToString(sum[:8]))
	if err := e.ensureRelocated(loc); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, locationFile), []byte(loc+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("pglocal: write %s: %w", locationFile, err)
	}
	e.logger.WarnContext(ctx, "PostgreSQL user cannot reach the data directory; cluster relocated",
		slog.String("user", e.user), slog.String("dir", dir), slog.String("location", loc))
	return loc, nil
}

// ensureRelocated creates the relocated cluster directory for the user, or checks that an existing
// one is a real directory owned by the user or root.
func (e *environment) ensureRelocated(loc string) error {
	fi, err := os.Lstat(loc)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(loc), 0o755); err != nil {
			return fmt.Errorf("pglocal: create parent of %s: %w", loc, err)
		}
		if err := os.Mkdir(loc, 0o700); err != nil {
			return fmt.Errorf("pglocal: create %s: %w", loc, err)
		}
		if e.cred != nil {
			return os.Chown(loc, int(e.cred.Uid), int(e.cred.Gid))
		}
		return nil
	case err != nil:
		return fmt.Errorf("pglocal: %s: %w", loc, err)
	case !fi.IsDir():
		return fmt.Errorf("pglocal: relocated cluster %s is not a directory", loc)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 0 && (e.cred == nil || uid != e.cred.Uid) {
		return fmt.Errorf("pglocal: relocated cluster %s is owned by uid %d, refusing to use it", loc, uid)
	}
	return nil
}

// canReach reports whether the user may search every directory from / down to dir.
func (e *environment) canReach(dir string) bool {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return false
		}
		st := fi.Sys().(*syscall.Stat_t)
		perm := fi.Mode().Perm()
		var ok bool
		switch {
		case st.Uid == e.cred.Uid:
			ok = perm&0o100 != 0
		case slices.Contains(e.cred.Groups, st.Gid):
			ok = perm&0o010 != 0
		default:
			ok = perm&0o001 != 0
		}
		if !ok {
			return false
		}
		if p == filepath.Dir(p) {
			return true
		}
	}
}

// chownTree hands the cluster directory to the user when root.
func (e *environment) chownTree(dir string) error {
	if e.cred == nil {
		return nil
	}
	uid, gid := int(e.cred.Uid), int(e.cred.Gid)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid || int(st.Gid) != gid {
			return os.Lchown(path, uid, gid)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pglocal: chown %s to %s: %w", dir, e.user, err)
	}
	return nil
}

// writeFileAs writes a file and, when root, hands it to the user.
func writeFileAs(e *environment, path, content string, perm os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		return fmt.Errorf("pglocal: write %s: %w", path, err)
	}
	if e.cred != nil {
		if err := os.Lchown(path, int(e.cred.Uid), int(e.cred.Gid)); err != nil {
			return fmt.Errorf("pglocal: chown %s: %w", path, err)
		}
	}
	return nil
}

type pidFileInfo struct {
	pid  int
	port int
}

// readPIDFile parses postmaster.pid: pid, data dir, start time, port, socket dir, listen address,
// shared memory key, status; we need the pid and the port.
func readPIDFile(cluster string) (pidFileInfo, error) {
	f, err := os.Open(filepath.Join(cluster, pidFile))
	if err != nil {
		return pidFileInfo{}, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return pidFileInfo{}, fmt.Errorf("pglocal: read %s: %w", pidFile, err)
	}
	var pf pidFileInfo
	if len(lines) > 0 {
		pf.pid, _ = strconv.Atoi(lines[0])
	}
	if len(lines) > 3 {
		pf.port, _ = strconv.Atoi(lines[3])
	}
	return pf, nil
}

// processAlive reports whether pid is a live postgres process. A zombie is not alive; nor is a
// process with another name (the pid was reused), where /proc tells.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		_, noProc := os.Stat("/proc/self/stat")
		return noProc != nil // no procfs: trust kill(2)
	}
	// "pid (comm) state ..."; comm may itself contain ") ".
	open, end := strings.IndexByte(string(stat), '('), strings.LastIndexByte(string(stat), ')')
	if open < 0 || end < open || end+2 >= len(stat) {
		return true
	}
	comm, state := string(stat[open+1:end]), stat[end+2]
	if state == 'Z' || state == 'X' {
		return false
	}
	return strings.HasPrefix(comm, "postgres") || strings.HasPrefix(comm, "postmaster")
}

// waitExited waits until pid is no longer a live postgres process.
func waitExited(ctx context.Context, pid int) error {
	err := poll(ctx, 20*time.Millisecond, func() (bool, error) { return !processAlive(pid), nil })
	if err != nil {
		return fmt.Errorf("pglocal: wait for postmaster %d to exit: %w", pid, err)
	}
	return nil
}
