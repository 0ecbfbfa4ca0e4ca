package pglocal

import "syscall"

// childAttr is how postgres is started: in its own process group (a
// terminal's Ctrl-C reaches hookstream, which stops PostgreSQL last, in
// order), and with a parent-death signal: if hookstream dies without
// stopping it (SIGKILL, a crash), the kernel sends SIGINT, PostgreSQL's
// fast shutdown (backends end, a checkpoint, a clean exit).
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
}
