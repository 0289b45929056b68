package stress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/process"
)

// Environment variables every stressor process carries (readable in
// /proc/PID/environ; stress-ng runs with --keep-name, so its workers keep
// them too).
const (
	// EnvMarker is the injection's marker: 16 hex digits of a SHA-256 of
	// the workflow ID, run ID, fault name, injection and target ID.
	EnvMarker = "TEMPEST_STRESS_MARKER"
	// EnvRun is the JSON of the Info of the injection.
	EnvRun = "TEMPEST_STRESS_RUN"
)

// Info describes the injection a stressor belongs to.
type Info struct {
	Run         fault.Run `json:"run"`
	Fault       string    `json:"fault"`
	Injection   int       `json:"injection"`
	Target      string    `json:"target"`
	CPUWorkers  int       `json:"cpuWorkers,omitempty"`
	CPULoad     int       `json:"cpuLoad,omitempty"`
	MemoryBytes int64     `json:"memoryBytes,omitempty"`
}

// Keys of the fault.State Inject returns.
const (
	StatePID         = "pid"       // the stressor's leader (stress-ng's main process)
	StateStartTime   = "startTime" // its start time, field 22 of /proc/PID/stat
	StateMarker      = "marker"
	StateCgroups     = "cgroups" // the cgroup directories it joined, comma-separated; "" on the host
	StateCPUWorkers  = "cpuWorkers"
	StateCPULoad     = "cpuLoad"
	StateMemoryBytes = "memoryBytes"
	StateResident    = "memoryResident" // bytes resident when Inject returned
)

// HostTarget is the ID of the one target of a stress without selector.
const HostTarget = "host"

// Defaults of New.
const (
	DefaultStartWait = 30 * time.Second
	DefaultKillWait  = 10 * time.Second
	// minLifetime bounds a stressor's own timeout from below (see lifetime).
	minLifetime = 10 * time.Minute
)

// Driver runs stress-ng on the worker's host. Set its fields before
// first use; it is then safe for concurrent use.
type Driver struct {
	// StateDir holds the stressors' logs (StateDir/stress/MARKER.log).
	StateDir string
	// StressNG is the stress-ng program (default "stress-ng", from PATH).
	StressNG string
	// StartWait bounds the wait for a started stressor to run all its
	// workers (and hold its memory); KillWait the wait for a killed one
	// to be gone.
	StartWait, KillWait time.Duration
	// MinFreePercent and MinFreeBytes are the memory ceiling: a memory
	// stress is refused unless MemAvailable minus the bytes asked for
	// stays at least the larger of MinFreePercent of MemTotal and
	// MinFreeBytes.
	MinFreePercent float64
	MinFreeBytes   int64

	proc  procFS
	locks keyedMutex
}

// keyedMutex serializes work on one key (an injection's marker), so
// concurrent attempts of one injection start one stressor.
type keyedMutex struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// lock waits until key is free (or ctx is done), takes it and returns
// its unlock.
func (k *keyedMutex) lock(ctx context.Context, key string) (unlock func(), err error) {
	for {
		k.mu.Lock()
		if k.held == nil {
			k.held = map[string]chan struct{}{}
		}
		wait, busy := k.held[key]
		if !busy {
			done := make(chan struct{})
			k.held[key] = done
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.held, key)
				k.mu.Unlock()
				close(done)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// New returns a driver with the defaults, keeping logs under stateDir.
func New(stateDir string) *Driver {
	return &Driver{
		StateDir:       stateDir,
		StressNG:       "stress-ng",
		StartWait:      DefaultStartWait,
		KillWait:       DefaultKillWait,
		MinFreePercent: DefaultMinFreePercent,
		MinFreeBytes:   DefaultMinFreeBytes,
		proc:           procFS{root: "/proc"},
	}
}

// targets returns the host, or the processes the selector matches.
func (d *Driver) targets(ctx context.Context, s *Spec) ([]experiment.Target, error) {
	if s.Selector == nil {
		desc := fmt.Sprintf("the host (%d CPUs)", runtime.NumCPU())
		if m, err := d.proc.meminfo(); err == nil {
			desc = fmt.Sprintf("the host (%d CPUs, %s memory)", runtime.NumCPU(), size(m.Total))
		}
		return []experiment.Target{{ID: HostTarget, Description: desc + ": " + s.Summary()}}, nil
	}
	found, err := process.Find(ctx, *s.Selector)
	if err != nil {
		return nil, err
	}
	out := make([]experiment.Target, len(found))
	for i, p := range found {
		out[i] = experiment.Target{
			ID:          "pid/" + strconv.Itoa(p.PID),
			Description: fmt.Sprintf("cgroups of %s pid %d: %s", p.Name, p.PID, s.Summary()),
			Attrs: map[string]string{
				process.AttrPID:       strconv.Itoa(p.PID),
				process.AttrStartTime: strconv.FormatUint(p.StartTime, 10),
				process.AttrName:      p.Name,
			},
		}
	}
	return out, nil
}

// markerOf derives the marker of one injection on one target.
func markerOf(req fault.Request) string {
	h := sha256.New()
	for _, part := range []string{req.Run.WorkflowID, req.Run.RunID, req.Fault.Name, strconv.Itoa(req.Injection), req.Target.ID} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// settings is a validated Spec with its sizes resolved.
type settings struct {
	cpuWorkers, cpuLoad int
	memBytes            int64
}

func (d *Driver) settings(req fault.Request, s *Spec) (settings, error) {
	spec := *s
	if s.CPU != nil {
		c := *s.CPU
		spec.CPU = &c
	}
	spec.ApplyDefaults()
	if errs := spec.Validate(string(Name)); len(errs) > 0 {
		return settings{}, errkind.New(errkind.InvalidSpec, "fault %q: %s", req.Fault.Name, errs[0].Error())
	}
	var out settings
	if spec.CPU != nil {
		out.cpuWorkers, out.cpuLoad = spec.CPU.Workers, spec.CPU.Load
	}
	if m := spec.Memory; m != nil {
		if m.Bytes != "" {
			out.memBytes, _ = parseBytes(m.Bytes)
		} else {
			mi, err := d.proc.meminfo()
			if err != nil {
				return settings{}, err
			}
			out.memBytes = int64(math.Ceil(m.Percent / 100 * float64(mi.Total)))
		}
	}
	return out, nil
}

// checkCeiling refuses memory that would leave the host less available
// than the larger of MinFreePercent of MemTotal and MinFreeBytes.
func (d *Driver) checkCeiling(bytes int64) error {
	if bytes == 0 {
		return nil
	}
	mi, err := d.proc.meminfo()
	if err != nil {
		return err
	}
	keep := max(int64(d.MinFreePercent/100*float64(mi.Total)), d.MinFreeBytes)
	if mi.Available-bytes < keep {
		return errkind.New(errkind.Refused,
			"stress.memory: %s is over the memory ceiling: %s is available and at least %s (the larger of %g%% of %s and %s) must stay available, so at most %s may be held",
			size(bytes), size(mi.Available), size(keep), d.MinFreePercent, size(mi.Total), size(d.MinFreeBytes), size(max(mi.Available-keep, 0)))
	}
	return nil
}

// inject starts the injection's stressor, or finds it running; see the
// package doc.
func (d *Driver) inject(ctx context.Context, req fault.Request, s *Spec) (fault.State, error) {
	set, err := d.settings(req, s)
	if err != nil {
		return nil, err
	}
	marker := markerOf(req)
	unlock, err := d.locks.lock(ctx, marker)
	if err != nil {
		return nil, err
	}
	defer unlock()
	state := fault.State{
		StateMarker:      marker,
		StateCPUWorkers:  strconv.Itoa(set.cpuWorkers),
		StateCPULoad:     strconv.Itoa(set.cpuLoad),
		StateMemoryBytes: strconv.FormatInt(set.memBytes, 10),
	}
	running, err := d.proc.scan(ctx, marker)
	if err != nil {
		return nil, err
	}
	for _, p := range running {
		if p.PGID == p.PID {
			// Injected before (a retry, or a restarted worker's): keep it.
			state[StatePID] = strconv.Itoa(p.PID)
			state[StateStartTime] = strconv.FormatUint(p.StartTime, 10)
			state[StateResident] = strconv.FormatInt(d.resident(ctx, marker), 10)
			if req.Target.ID != HostTarget {
				if dirs, err := d.proc.processCgroups(p.PID); err == nil {
					state[StateCgroups] = strings.Join(dirs, ",")
				}
			}
			return state, nil
		}
	}
	if len(running) > 0 {
		// Workers without their leader: take them down and start afresh.
		if err := d.kill(ctx, marker, 0, 0); err != nil {
			return nil, err
		}
	}
	var dirs []string
	if req.Target.ID != HostTarget {
		if dirs, err = d.targetCgroups(req.Target); err != nil {
			return nil, err
		}
	}
	state[StateCgroups] = strings.Join(dirs, ",")
	if err := d.checkCeiling(set.memBytes); err != nil {
		return nil, err
	}
	info := Info{Run: req.Run, Fault: req.Fault.Name, Injection: req.Injection, Target: req.Target.ID,
		CPUWorkers: set.cpuWorkers, CPULoad: set.cpuLoad, MemoryBytes: set.memBytes}
	pid, start, err := d.launch(ctx, marker, info, set, dirs, lifetime(req.Fault))
	if err != nil {
		return nil, err
	}
	state[StatePID] = strconv.Itoa(pid)
	state[StateStartTime] = strconv.FormatUint(start, 10)
	state[StateResident] = strconv.FormatInt(d.resident(ctx, marker), 10)
	return state, nil
}

// targetCgroups returns the cgroup directories of a process target,
// checked against pid reuse.
func (d *Driver) targetCgroups(t experiment.Target) ([]string, error) {
	pid, err := strconv.Atoi(t.Attrs[process.AttrPID])
	if err != nil || pid <= 0 {
		return nil, errkind.New(errkind.InvalidSpec, "target %q: attr %s: not a pid: %q", t.ID, process.AttrPID, t.Attrs[process.AttrPID])
	}
	start, err := strconv.ParseUint(t.Attrs[process.AttrStartTime], 10, 64)
	if err != nil {
		return nil, errkind.New(errkind.InvalidSpec, "target %q: attr %s: %w", t.ID, process.AttrStartTime, err)
	}
	gone := errkind.New(errkind.UnknownTarget, "target %s (%s) is no longer running", t.ID, t.Description)
	if _, err := d.proc.alive(pid, start); err != nil {
		if errors.Is(err, errGone) {
			return nil, gone
		}
		return nil, err
	}
	dirs, err := d.proc.processCgroups(pid)
	if err != nil {
		return nil, err
	}
	// Read before this second check, so they are the target's.
	if _, err := d.proc.alive(pid, start); errors.Is(err, errGone) {
		return nil, gone
	}
	if len(dirs) == 0 {
		return nil, errkind.New(errkind.Refused, "target %s: none of its cgroups is mounted on this host, so a stressor cannot share them", t.ID)
	}
	return dirs, nil
}

// lifetime bounds a stressor by stress-ng's own timeout, for a run that
// never reverts (its workflow terminated while the worker lives on): the
// fault's hold plus as much again, at least 10 minutes more.
func lifetime(f experiment.Fault) time.Duration {
	hold := f.HoldFor().D()
	return hold + max(hold, minLifetime)
}

// args is stress-ng's command line for set.
func args(set settings, life time.Duration) []string {
	a := []string{"--keep-name", "--timeout", strconv.Itoa(int(math.Ceil(life.Seconds()))) + "s"}
	if set.cpuWorkers > 0 {
		a = append(a, "--cpu", strconv.Itoa(set.cpuWorkers), "--cpu-load", strconv.Itoa(set.cpuLoad))
	}
	if set.memBytes > 0 {
		// One worker that maps, touches and then holds the memory
		// (--vm-hang 0: forever) instead of cycling it.
		a = append(a, "--vm", "1", "--vm-bytes", strconv.FormatInt(set.memBytes, 10), "--vm-hang", "0")
	}
	return a
}

// shim holds the command until the worker has placed it in its cgroups,
// then becomes stress-ng; it exits without running anything if its stdin
// closes first (the worker died meanwhile).
const shim = `read -r go || exit 0; exec "$0" "$@"`

func (d *Driver) logPath(marker string) string {
	return filepath.Join(d.StateDir, "stress", marker+".log")
}

// launch starts stress-ng in dirs and waits until its workers run.
func (d *Driver) launch(ctx context.Context, marker string, info Info, set settings, dirs []string, life time.Duration) (int, uint64, error) {
	prog := d.StressNG
	if prog == "" {
		prog = "stress-ng"
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return 0, 0, errkind.New(errkind.InvalidSpec, "stress: %s is not installed on this host (Debian: apt-get install stress-ng): %w", prog, err)
	}
	infoJSON, err := json.Marshal(info)
	if err != nil {
		return 0, 0, err
	}
	logFile := d.logPath(marker)
	if err := os.MkdirAll(filepath.Dir(logFile), 0o700); err != nil {
		return 0, 0, fmt.Errorf("stress state dir: %w", err)
	}
	logf, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, 0, fmt.Errorf("stress log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command("/bin/sh", append([]string{"-c", shim, path}, args(set, life)...)...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", EnvMarker + "=" + marker, EnvRun + "=" + string(infoJSON)}
	cmd.Dir = filepath.Dir(logFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so Revert kills it and its workers at once;
	// SIGKILL when the worker dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	release, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := startOnLauncherThread(cmd); err != nil {
		return 0, 0, fmt.Errorf("start stress-ng: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it whenever it ends
	pid := cmd.Process.Pid
	abort := func(err error) (int, uint64, error) {
		_ = release.Close()
		_ = d.kill(context.WithoutCancel(ctx), marker, pid, 0)
		return 0, 0, err
	}
	st, err := d.proc.alive(pid, 0)
	if err != nil {
		return abort(fmt.Errorf("stress-ng shim %d: %w", pid, err))
	}
	if err := joinCgroups(pid, dirs); err != nil {
		return abort(forbidden(err))
	}
	if _, err := release.Write([]byte("go\n")); err != nil {
		return abort(fmt.Errorf("release stress-ng: %w", err))
	}
	_ = release.Close()

	wantWorkers := set.cpuWorkers
	if set.memBytes > 0 {
		wantWorkers++
	}
	wctx, cancel := context.WithTimeout(ctx, d.startWait())
	defer cancel()
	err = waitUntil(wctx, d.startWait(), func() (bool, error) {
		select {
		case err := <-exited:
			return false, fmt.Errorf("stress-ng exited (%v): %s", err, logTail(logFile))
		default:
		}
		procs, err := d.proc.scan(wctx, marker)
		if err != nil {
			return false, err
		}
		workers := 0
		leader := false
		for _, p := range procs {
			switch {
			case p.PID == pid:
				leader = p.Comm == "stress-ng"
			case p.PGID == pid:
				workers++
			}
		}
		return leader && workers >= wantWorkers, nil
	})
	if err != nil {
		return abort(fmt.Errorf("stress-ng did not start its workers: %w", err))
	}
	if set.memBytes > 0 {
		// Wait for the memory to be held, for the rest of StartWait at
		// most: in a cgroup whose limit is lower it never is, and the
		// pressure on that limit is the fault.
		_ = waitUntil(wctx, d.startWait(), func() (bool, error) {
			select {
			case err := <-exited:
				return false, fmt.Errorf("stress-ng exited (%v): %s", err, logTail(logFile))
			default:
			}
			return d.resident(wctx, marker) >= set.memBytes*9/10, nil
		})
		if _, err := d.proc.alive(pid, st.StartTime); err != nil {
			return abort(fmt.Errorf("stress-ng exited while it allocated: %s", logTail(logFile)))
		}
	}
	return pid, st.StartTime, nil
}

func (d *Driver) startWait() time.Duration {
	if d.StartWait > 0 {
		return d.StartWait
	}
	return DefaultStartWait
}

// resident is the memory resident in the marker's processes.
func (d *Driver) resident(ctx context.Context, marker string) int64 {
	procs, err := d.proc.scan(ctx, marker)
	if err != nil {
		return 0
	}
	var n int64
	for _, p := range procs {
		n += d.proc.residentBytes(p.PID)
	}
	return n
}

// logTail is the end of a stressor's log, on one line.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "no log"
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = "…" + s[len(s)-300:]
	}
	return s
}

// revert stops the injection's stressor: the leader recorded in state
// (while it is the same process) and every process carrying the
// injection's marker, started by this worker or an earlier one. It
// returns once they are gone.
func (d *Driver) revert(ctx context.Context, req fault.Request, state fault.State) error {
	marker := markerOf(req)
	unlock, err := d.locks.lock(ctx, marker)
	if err != nil {
		return err
	}
	defer unlock()
	pid, _ := strconv.Atoi(state[StatePID])
	start, _ := strconv.ParseUint(state[StateStartTime], 10, 64)
	if err := d.kill(ctx, marker, pid, start); err != nil {
		return err
	}
	if err := os.Remove(d.logPath(marker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stress log: %w", err)
	}
	return nil
}

// kill kills the process group of the leader pid (when it is still the
// process that started at start; any start when start is 0 and the
// process carries the marker) and every process carrying the marker,
// until none is left, within KillWait.
func (d *Driver) kill(ctx context.Context, marker string, pid int, start uint64) error {
	within := d.KillWait
	if within <= 0 {
		within = DefaultKillWait
	}
	if pid > 0 {
		m := marker
		if start != 0 {
			m = "" // pid and start time identify it
		}
		if err := d.proc.kill(pid, start, m, true); err != nil {
			return forbidden(err)
		}
	}
	var last []stressor
	err := waitUntil(ctx, within, func() (bool, error) {
		procs, err := d.proc.scan(ctx, marker)
		if err != nil {
			return false, err
		}
		last = procs
		for _, p := range procs {
			if err := d.proc.kill(p.PID, p.StartTime, marker, true); err != nil {
				return false, forbidden(err)
			}
		}
		return len(procs) == 0, nil
	})
	if err != nil && len(last) > 0 {
		return fmt.Errorf("stress: %d stressor processes (pid %d, ...) still running: %w", len(last), last[0].PID, err)
	}
	return err
}

// leftover is one injection's stressor found running.
type leftover struct {
	Marker string
	Info   Info
	PIDs   []int
}

func (l leftover) what() string {
	var parts []string
	if l.Info.CPUWorkers > 0 {
		parts = append(parts, fmt.Sprintf("cpu %d workers at %d%%", l.Info.CPUWorkers, l.Info.CPULoad))
	}
	if l.Info.MemoryBytes > 0 {
		parts = append(parts, "memory "+size(l.Info.MemoryBytes))
	}
	return fmt.Sprintf("stress-ng pid %d (%s) on %s, fault %q injection %d", l.PIDs[0], strings.Join(parts, ", "), l.Info.Target, l.Info.Fault, l.Info.Injection)
}

// leftovers lists the running stressors of every run, one per marker.
func (d *Driver) leftovers(ctx context.Context) ([]leftover, error) {
	procs, err := d.proc.scan(ctx, "")
	if err != nil {
		return nil, err
	}
	byMarker := map[string]*leftover{}
	var out []*leftover
	for _, p := range procs {
		l := byMarker[p.Marker]
		if l == nil {
			l = &leftover{Marker: p.Marker}
			_ = json.Unmarshal([]byte(p.Info), &l.Info)
			byMarker[p.Marker] = l
			out = append(out, l)
		}
		if p.PGID == p.PID { // the leader first
			l.PIDs = append([]int{p.PID}, l.PIDs...)
		} else {
			l.PIDs = append(l.PIDs, p.PID)
		}
	}
	res := make([]leftover, len(out))
	for i, l := range out {
		res[i] = *l
	}
	return res, nil
}

// removeLeftover kills a leftover's processes and removes its log.
func (d *Driver) removeLeftover(ctx context.Context, l leftover) error {
	if err := d.kill(ctx, l.Marker, 0, 0); err != nil {
		return err
	}
	if err := os.Remove(d.logPath(l.Marker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// forbidden classifies a permission error as errkind.Forbidden.
func forbidden(err error) error {
	if err != nil && (errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)) {
		return errkind.Wrap(errkind.Forbidden, err)
	}
	return err
}
