package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is Linux's USER_HZ, the unit of utime/stime in /proc/<pid>/stat:
// 100 on every architecture Go supports (what prometheus/procfs assumes too).
const userHZ = 100

// procStat is one process's /proc/<pid>/stat line, the fields we read.
type procStat struct {
	PPID int
	CPU  time.Duration // utime + stime
}

// parseProcStat parses a /proc/<pid>/stat line. The command name (field 2)
// may hold spaces and parentheses, so fields are counted after its last ')'.
func parseProcStat(line string) (procStat, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("stat line without command: %q", line)
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("stat line too short: %q", line)
	}
	ppid, err1 := strconv.Atoi(f[1])
	utime, err2 := strconv.ParseUint(f[11], 10, 64)
	stime, err3 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, fmt.Errorf("stat line fields: %q", line)
	}
	return procStat{PPID: ppid, CPU: time.Duration(utime+stime) * time.Second / userHZ}, nil
}

func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(string(raw))
}

// processCPU returns the CPU time (user+system) of pid.
func processCPU(pid int) (time.Duration, error) {
	st, err := readProcStat(pid)
	return st.CPU, err
}

// treeCPU returns the CPU time of pid and its direct children (a
// postmaster and its backends). Children that exited in between are lost,
// which only undercounts short-lived backends.
func treeCPU(pid int) time.Duration {
	total, _ := processCPU(pid)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil || child == pid {
			continue
		}
		if st, err := readProcStat(child); err == nil && st.PPID == pid {
			total += st.CPU
		}
	}
	return total
}

// peakRSS returns VmHWM (the resident set's high-water mark) of pid in bytes.
func peakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(raw)
}

func parseVmHWM(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in status")
}

// readAll reads r whole, or fails when it holds more than limit bytes: an
// answer is never silently cut.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return raw, nil
}
