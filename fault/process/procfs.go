package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// errGone says a pid has no process (or only a zombie, or another process
// since the pid was recycled).
var errGone = errors.New("process is gone")

// procStat is what Process reads from /proc/PID/stat.
type procStat struct {
	PID  int
	Comm string
	// State is the one-letter state (R, S, D, T, t, Z, X, ...).
	State byte
	// StartTime is field 22: clock ticks after boot at which the process
	// started. With the pid it identifies a process across pid reuse.
	StartTime uint64
}

// dead reports whether the process has exited (zombie or dead).
func (s procStat) dead() bool { return s.State == 'Z' || s.State == 'X' }

// stopped reports whether the process is stopped by a signal.
func (s procStat) stopped() bool { return s.State == 'T' }

// parseStat parses the content of /proc/PID/stat. The comm field is in
// parentheses and may itself hold spaces and parentheses, so parsing
// starts after the last ')'.
func parseStat(b []byte) (procStat, error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open {
		return procStat{}, fmt.Errorf("malformed stat %q", truncate(b))
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat pid: %w", err)
	}
	// fields[0] is field 3 (state), so field N is fields[N-3].
	fields := strings.Fields(string(b[closing+1:]))
	if len(fields) < 20 || len(fields[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed stat %q", truncate(b))
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat start time: %w", err)
	}
	return procStat{PID: pid, Comm: string(b[open+1 : closing]), State: fields[0][0], StartTime: start}, nil
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// procFS reads process information below a /proc mount.
type procFS struct {
	root string
}

func (fs procFS) path(pid int, parts ...string) string {
	return filepath.Join(append([]string{fs.root, strconv.Itoa(pid)}, parts...)...)
}

// stat reads /proc/PID/stat; errGone when there is no such process.
func (fs procFS) stat(pid int) (procStat, error) {
	b, err := os.ReadFile(fs.path(pid, "stat"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return procStat{}, errGone
		}
		return procStat{}, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	return parseStat(b)
}

// alive returns the stat of pid if it is a live (not zombie) process that
// started at startTime (any start time when startTime is 0); errGone otherwise.
func (fs procFS) alive(pid int, startTime uint64) (procStat, error) {
	st, err := fs.stat(pid)
	if err != nil {
		return procStat{}, err
	}
	if st.dead() || (startTime != 0 && st.StartTime != startTime) {
		return procStat{}, errGone
	}
	return st, nil
}

// exeBase is the base name of /proc/PID/exe ("" when unreadable).
func (fs procFS) exeBase(pid int) string {
	link, err := os.Readlink(fs.path(pid, "exe"))
	if err != nil {
		return ""
	}
	return filepath.Base(strings.TrimSuffix(link, " (deleted)"))
}

// pids lists the pids of every process in /proc.
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

// socketInodes returns the inodes of the sockets pid holds open. A
// permission error is returned as such (wrapped) so callers can tell it
// from a vanished process, which yields no inodes and no error.
func (fs procFS) socketInodes(pid int) (map[uint64]bool, error) {
	dir := fs.path(pid, "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return nil, nil
		}
		return nil, fmt.Errorf("list fds of pid %d: %w", pid, err)
	}
	inodes := map[uint64]bool{}
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		rest, ok := strings.CutPrefix(link, "socket:[")
		if !ok {
			continue
		}
		if inode, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64); err == nil {
			inodes[inode] = true
		}
	}
	return inodes, nil
}
