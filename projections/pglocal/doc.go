// Package pglocal runs a managed local PostgreSQL cluster from the machine's PostgreSQL server
// binaries (initdb, pg_ctl, postgres). It is what `hookstream serve` uses when no external
// database is configured, and what projections/pgtest uses in tests.
//
// # Lifecycle
//
// [Start] initialises the cluster if its directory has no PG_VERSION (initdb -U hookstream,
// --encoding=UTF8, --locale=C, trust authentication; pg_hba.conf only has local-socket and
// loopback entries), runs `postgres -D <cluster>` as a child process (output appended to
// <cluster>/log), waits until it accepts connections and creates the database "hookstream" if it
// is missing. The server listens on 127.0.0.1 only.
//
// The child runs in its own process group (a terminal's Ctrl-C reaches hookstream, which stops
// PostgreSQL last, in order) and, on Linux, with a parent-death signal (SIGINT, PostgreSQL's fast
// shutdown): if the owner dies without calling [Server.Stop] (SIGKILL, a crash), its postgres
// stops too. The goroutine that starts the child keeps its OS thread for the child's life, since
// the kernel sends the signal when the starting thread ends. <Dir>/hookstream-owner records the
// owner's pid and the postmaster's.
//
// # Supervision
//
// A postmaster that dies (killed, crashed: any exit but a clean one) is restarted by the
// Server's supervisor with [RestartBackoff] (full jitter, 250 ms doubling to 15 s) until one
// runs; each exit, failed attempt and restart is logged, and [Server.Status] reports it (for
// /readyz?verbose and /metrics). A clean exit (status 0: an operator ran `pg_ctl stop`) is a
// decision and is not undone. Stop ends the supervisor first, then shuts the postmaster down
// (fast; immediate and then SIGKILL once ctx ends) and waits until it has exited (a zombie
// counts as gone), so no postgres process is left behind. [Shutdown] stops a cluster by its
// directory, whoever started it; [Init] only initialises a cluster (projections/pgtest caches
// one to skip initdb).
//
// The listening port is chosen once: Config.Port, or a free loopback port picked on first start
// and written to <Dir>/hookstream-port, so restarts reuse it and DSNs stay valid.
//
// The server settings (listen_addresses, port, unix_socket_directories, fsync) are written to
// <cluster>/hookstream.conf, which postgresql.conf includes; nothing is passed through pg_ctl -o,
// whose argument pg_ctl hands to a shell. The Unix socket lives in the cluster directory when the
// socket path fits the 107-byte limit; otherwise sockets are disabled (an empty
// unix_socket_directories): clients connect over TCP (see [Server.DSN]) and pg_ctl waits on
// postmaster.pid, so no temporary socket directory has to be created, secured and cleaned up.
//
// # Already running
//
// If <cluster>/postmaster.pid names a live postgres process whose owner (hookstream-owner) still
// runs and is its parent — `hookstream serve` is running and a CLI subcommand starts a Server to
// connect to it — Start does not start another one: it returns a Server for the running
// postmaster's port whose Stop is a no-op and whose [Server.Owned] is false. A postmaster whose
// owner is gone (left by a crash where no parent-death signal exists, or by an older version that
// ran it through pg_ctl) belongs to this directory and so to the caller: Start stops it (fast
// shutdown) and starts its own, supervised one. A postmaster.pid naming a dead process (or a
// process that is not postgres, after pid reuse) is stale: Start removes it and starts the server.
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the effective uid is 0, initdb, pg_ctl and postgres run
// as Config.User (default "postgres"; Start fails if that user does not exist) through
// syscall.SysProcAttr.Credential, and the cluster directory is chowned to that user.
//
// The user must be able to reach the cluster directory: every ancestor needs search permission for
// it. The data directory often is somewhere it cannot reach (under /root, or under a 0700
// t.TempDir()), and loosening /root's permissions is not acceptable. So, when root and the user
// cannot reach Dir, the cluster is relocated:
//
//   - the cluster lives in <base>/hookstream-pg-<first 16 hex of sha256(abs Dir)>, where <base> is
//     the user's home directory when it is a directory the user owns (on Debian
//     /var/lib/postgresql, which survives reboots), else os.TempDir();
//   - <Dir>/location holds that path (and <Dir>/hookstream-port the port), so later starts, and
//     [Shutdown], find it; the relocation is logged at WARN.
//
// The relocated directory is created by root with mode 0700 and handed to the user; an existing
// one must be a real directory (not a symlink) owned by the user or root, else Start fails. The
// relocated cluster is not removed with Dir: [Remove] removes both.
//
// # Concurrency
//
// A Server is safe for concurrent use. Two processes calling Start on the same Dir at the same time
// race on initdb/pg_ctl; the loser fails pg_ctl start and, when it then finds a live postmaster,
// returns a non-owned Server.
package pglocal
