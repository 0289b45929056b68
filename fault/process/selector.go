package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// resolve returns every live process sel matches, ordered by pid; the
// worker's own process is never among them.
func (p *Process) resolve(ctx context.Context, sel experiment.ProcessSelector) ([]targetInfo, error) {
	var (
		found []targetInfo
		err   error
	)
	switch {
	case sel.PIDFile != "":
		found, err = p.byPIDFile(sel.PIDFile)
	case sel.Name != "":
		found, err = p.byName(ctx, sel.Name)
	default:
		found, err = p.byPort(ctx, sel.Port)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b targetInfo) int { return a.PID - b.PID })
	return found, nil
}

// byPIDFile resolves a pid file to its process, if alive.
func (p *Process) byPIDFile(path string) ([]targetInfo, error) {
	pid, err := readPIDFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, errkind.New(errkind.NoTargets, "pid file %s does not exist", path)
	case errors.Is(err, os.ErrPermission):
		return nil, errkind.Wrap(errkind.Forbidden, err)
	case err != nil:
		return nil, err
	}
	if pid == p.self {
		return nil, errkind.New(errkind.Refused, "pid file %s names the worker itself (pid %d)", path, pid)
	}
	st, err := p.proc.alive(pid, 0)
	if errors.Is(err, errGone) {
		return nil, errkind.New(errkind.NoTargets, "pid file %s names pid %d, which is not running", path, pid)
	}
	if err != nil {
		return nil, err
	}
	ti := targetInfo{PID: pid, StartTime: st.StartTime, Name: st.Comm, PIDFile: path}
	if ls, err := p.proc.listeners(); err == nil {
		ti.Port = p.proc.lowestListeningPort(pid, ls)
	}
	return []targetInfo{ti}, nil
}

// readPIDFile reads the pid a pid file holds.
func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s does not hold a pid: %q", path, truncate(b))
	}
	return pid, nil
}

// byName finds the live processes whose comm or executable base name is name.
func (p *Process) byName(ctx context.Context, name string) ([]targetInfo, error) {
	pids, err := p.proc.pids()
	if err != nil {
		return nil, err
	}
	var ls map[uint64]int
	var found []targetInfo
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if pid == p.self {
			continue
		}
		st, err := p.proc.alive(pid, 0)
		if err != nil {
			continue // gone meanwhile, or unreadable
		}
		if st.Comm != name && p.proc.exeBase(pid) != name {
			continue
		}
		if ls == nil {
			if ls, err = p.proc.listeners(); err != nil {
				return nil, err
			}
		}
		found = append(found, targetInfo{PID: pid, StartTime: st.StartTime, Name: st.Comm, Port: p.proc.lowestListeningPort(pid, ls)})
	}
	if len(found) == 0 {
		return nil, errkind.New(errkind.NoTargets, "no running process is named %q", name)
	}
	return found, nil
}

// byPort finds the live processes holding a socket that listens on port.
func (p *Process) byPort(ctx context.Context, port int) ([]targetInfo, error) {
	ls, err := p.proc.listeners()
	if err != nil {
		return nil, err
	}
	wanted := map[uint64]bool{}
	for inode, lport := range ls {
		if lport == port {
			wanted[inode] = true
		}
	}
	if len(wanted) == 0 {
		return nil, errkind.New(errkind.NoTargets, "nothing listens on TCP port %d", port)
	}
	pids, err := p.proc.pids()
	if err != nil {
		return nil, err
	}
	var found []targetInfo
	var denied error
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		inodes, err := p.proc.socketInodes(pid)
		if err != nil {
			if errors.Is(err, os.ErrPermission) {
				denied = err
			}
			continue
		}
		if !holdsAny(inodes, wanted) {
			continue
		}
		if pid == p.self {
			return nil, errkind.New(errkind.Refused, "TCP port %d is served by the worker itself", port)
		}
		st, err := p.proc.alive(pid, 0)
		if err != nil {
			continue
		}
		found = append(found, targetInfo{PID: pid, StartTime: st.StartTime, Name: st.Comm, Port: port})
	}
	switch {
	case len(found) > 0:
		return found, nil
	case denied != nil:
		return nil, errkind.New(errkind.Forbidden, "TCP port %d listens, but its process cannot be inspected: %w", port, denied)
	default:
		return nil, errkind.New(errkind.NoTargets, "no live process holds the socket listening on TCP port %d", port)
	}
}

func holdsAny(inodes, wanted map[uint64]bool) bool {
	for inode := range inodes {
		if wanted[inode] {
			return true
		}
	}
	return false
}
