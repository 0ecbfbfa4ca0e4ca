//go:build !linux

package pglocal

import "syscall"

// childAttr: postgres in its own process group. Without a parent-death
// signal on this system, a postgres left running by a crash is stopped by
// the next Start (it owns the cluster directory).
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}
