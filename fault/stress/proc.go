package stress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// errGone says a pid has no live process (or another one since the pid
// was recycled).
var errGone = errors.New("process is gone")

// procStat is what the driver reads from /proc/PID/stat.
type procStat struct {
	PID, PPID, PGID int
	Comm            string
	State           byte
	// StartTime is field 22: clock ticks after boot; with the pid it
	// identifies a process across pid reuse.
	StartTime uint64
}

// parseStat parses /proc/PID/stat; the comm field may hold spaces and
// parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (procStat, error) {
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open {
		return procStat{}, fmt.Errorf("malformed stat")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat pid: %w", err)
	}
	f := strings.Fields(string(b[closing+1:])) // f[0] is field 3
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed stat of %d", pid)
	}
	st := procStat{PID: pid, Comm: string(b[open+1 : closing]), State: f[0][0]}
	if st.PPID, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("malformed stat ppid: %w", err)
	}
	if st.PGID, err = strconv.Atoi(f[2]); err != nil {
		return procStat{}, fmt.Errorf("malformed stat pgrp: %w", err)
	}
	if st.StartTime, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return procStat{}, fmt.Errorf("malformed stat start time: %w", err)
	}
	return st, nil
}

// procFS reads processes below a /proc mount.
type procFS struct{ root string }

func (fs procFS) path(pid int, name string) string {
	return filepath.Join(fs.root, strconv.Itoa(pid), name)
}

// alive returns the stat of pid if it is a live (not zombie) process that
// started at startTime (any when 0); errGone otherwise.
func (fs procFS) alive(pid int, startTime uint64) (procStat, error) {
	b, err := os.ReadFile(fs.path(pid, "stat"))
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return procStat{}, errGone
	}
	if err != nil {
		return procStat{}, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	st, err := parseStat(b)
	if err != nil {
		return procStat{}, err
	}
	if st.State == 'Z' || st.State == 'X' || (startTime != 0 && st.StartTime != startTime) {
		return procStat{}, errGone
	}
	return st, nil
}

func (fs procFS) pids() ([]int, error) {
	entries, err := os.ReadDir(fs.root)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// environ returns the values of the variables names in pid's initial
// environment; missing ones are "".
func (fs procFS) environ(pid int, names ...string) []string {
	out := make([]string, len(names))
	b, err := os.ReadFile(fs.path(pid, "environ"))
	if err != nil {
		return out
	}
	for kv := range bytes.SplitSeq(b, []byte{0}) {
		for i, n := range names {
			if v, ok := bytes.CutPrefix(kv, []byte(n+"=")); ok {
				out[i] = string(v)
			}
		}
	}
	return out
}

// residentBytes is pid's resident set size (0 when unreadable).
func (fs procFS) residentBytes(pid int) int64 {
	b, err := os.ReadFile(fs.path(pid, "statm"))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// stressor is one live process carrying a stress marker.
type stressor struct {
	procStat
	Marker string
	Info   string // the EnvRun value: JSON of an Info
}

// scan returns the live processes carrying marker (every marker when
// marker is ""), in pid order.
func (fs procFS) scan(ctx context.Context, marker string) ([]stressor, error) {
	pids, err := fs.pids()
	if err != nil {
		return nil, err
	}
	var out []stressor
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		env := fs.environ(pid, EnvMarker, EnvRun)
		if env[0] == "" || (marker != "" && env[0] != marker) {
			continue
		}
		st, err := fs.alive(pid, 0)
		if err != nil {
			continue
		}
		out = append(out, stressor{procStat: st, Marker: env[0], Info: env[1]})
	}
	return out, nil
}

// kill sends SIGKILL to pid while it is the process that started at
// startTime and, when marker is set, still carries marker: through a pidfd
// opened before the check, so a recycled pid is never signalled. With
// group set, the signal goes to the process group the process leads.
func (fs procFS) kill(pid int, startTime uint64, marker string, group bool) error {
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return nil
	case err != nil:
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	st, err := fs.alive(pid, startTime)
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return err
	}
	if marker != "" && fs.environ(pid, EnvMarker)[0] != marker {
		return nil
	}
	if group && st.PGID == pid {
		// A live group leader's pid cannot be reused as another group's
		// id, so the group is the leader's own.
		if err := unix.Kill(-pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("kill process group %d: %w", pid, err)
		}
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return nil
}

// waitUntil polls done until it reports true, ctx ends or within passes.
func waitUntil(ctx context.Context, within time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(within)
	pause := time.Millisecond
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done within %s", within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}
