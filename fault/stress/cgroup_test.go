package stress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// TestCPUStressInProcessCgroup: a CPU stressor placed in the cgroup of a
// service limited to half a CPU steals that quota, so the service's
// latency rises a lot, while a process outside that cgroup (in one of
// its own with the same quota) measured the same way is barely affected. Ratios against each process's own
// baseline, best of several rounds, with generous margins.
func TestCPUStressInProcessCgroup(t *testing.T) {
	// Both processes are bound by the same quota in cgroups of their own
	// with the highest weight, so the machine's other load hardly moves
	// their baselines; only the service's cgroup gets the stressor.
	cg := newCPUCgroup(t, "service", 0.5)
	inside := startSpin(t)
	cg.add(t, inside.cmd.Process.Pid)
	control := newCPUCgroup(t, "control", 0.5)
	outside := startSpin(t)
	control.add(t, outside.cmd.Process.Pid)
	pidFile := filepath.Join(t.TempDir(), "service.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(inside.cmd.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	const work, rounds = 100, 4 // ms of CPU per request
	measure := func() (in, out time.Duration) {
		in, out = time.Hour, time.Hour
		for range rounds {
			in = min(in, inside.work(t, work))
			out = min(out, outside.work(t, work))
		}
		return in, out
	}
	inside.work(t, 10)
	outside.work(t, 10)
	baseIn, baseOut := measure()

	d := New(t.TempDir())
	s := &Spec{CPU: &CPU{Workers: 1, Load: 100}, Selector: &experiment.ProcessSelector{PIDFile: pidFile}}
	targets, err := d.targets(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].ID != "pid/"+strconv.Itoa(inside.cmd.Process.Pid) {
		t.Fatalf("targets = %+v", targets)
	}
	req := request("run-1", "cpu", 1, targets[0])
	revertOnCleanup(t, d, req)
	state, err := d.inject(context.Background(), req, s)
	if err != nil {
		t.Fatalf("inject: %v", err)
	}
	if !strings.Contains(state[StateCgroups], cg.dir) {
		t.Fatalf("the stressor joined %q, not the service's cgroup %s", state[StateCgroups], cg.dir)
	}
	if again, err := d.inject(context.Background(), req, s); err != nil || again[StatePID] != state[StatePID] || again[StateCgroups] != state[StateCgroups] {
		t.Fatalf("re-inject: %v, %v; first %v", again, err, state)
	}
	members := cg.members(t)
	for _, p := range stressors(t, d, markerOf(req)) {
		if !slices.Contains(members, p.PID) {
			t.Fatalf("stressor process %d (%s) is not in the service's cgroup (members %v)", p.PID, p.Comm, members)
		}
	}
	stressIn, stressOut := measure()
	if err := d.revert(context.Background(), req, state); err != nil {
		t.Fatalf("revert: %v", err)
	}
	if left := stressors(t, d, markerOf(req)); len(left) != 0 {
		t.Fatalf("after revert: %+v", left)
	}

	ratioIn, ratioOut := float64(stressIn)/float64(baseIn), float64(stressOut)/float64(baseOut)
	t.Logf("%d ms of CPU: in the cgroup %v -> %v (x%.2f); outside %v -> %v (x%.2f)",
		work, baseIn, stressIn, ratioIn, baseOut, stressOut, ratioOut)
	if ratioIn < 1.3 {
		t.Errorf("the service in the stressed cgroup slowed by x%.2f, want at least x1.3", ratioIn)
	}
	if ratioOut > 1.5 {
		t.Errorf("the process outside slowed by x%.2f, want at most x1.5", ratioOut)
	}
}

// spinProc is a running spin helper (see TestMain).
type spinProc struct {
	cmd *exec.Cmd
	in  io.Writer
	out *bufio.Scanner
}

func startSpin(t *testing.T) *spinProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), spinEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &spinProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
}

// work asks for ms of CPU work and returns how long it took.
func (s *spinProc) work(t *testing.T, ms int) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := fmt.Fprintln(s.in, ms); err != nil {
		t.Fatal(err)
	}
	if !s.out.Scan() {
		t.Fatalf("spin helper: %v", s.out.Err())
	}
	return time.Since(start)
}

// cpuCgroup is a cgroup the test made, with a CPU quota.
type cpuCgroup struct {
	dir string
	v2  bool
}

// newCPUCgroup makes a cgroup limited to cpus CPUs, with the highest
// weight (so that it gets its quota on a loaded machine): under the cgroup v1
// cpu hierarchy, or in the unified hierarchy where it has the cpu
// controller. It is removed when the test ends.
func newCPUCgroup(t *testing.T, role string, cpus float64) *cpuCgroup {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := parseMountinfo(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("tempest-stress-test-%d-%s", os.Getpid(), role)
	period := 20000 // short periods: a request spans many, so where it starts in one matters little
	quota := strconv.Itoa(int(cpus * float64(period)))
	var cg *cpuCgroup
	for _, m := range mounts {
		switch {
		case !m.V2 && slices.Contains(m.Options, "cpu") && m.Root == "/":
			cg = &cpuCgroup{dir: filepath.Join(m.Point, name)}
			mkdir(t, cg.dir)
			write(t, filepath.Join(cg.dir, "cpu.cfs_period_us"), strconv.Itoa(period))
			write(t, filepath.Join(cg.dir, "cpu.cfs_quota_us"), quota)
			write(t, filepath.Join(cg.dir, "cpu.shares"), "262144")
		case m.V2 && hasController(m.Point, "cpu"):
			cg = &cpuCgroup{dir: filepath.Join(m.Point, name), v2: true}
			_ = os.WriteFile(filepath.Join(m.Point, "cgroup.subtree_control"), []byte("+cpu"), 0)
			mkdir(t, cg.dir)
			write(t, filepath.Join(cg.dir, "cpu.max"), quota+" "+strconv.Itoa(period))
			write(t, filepath.Join(cg.dir, "cpu.weight"), "10000")
		default:
			continue
		}
		break
	}
	if cg == nil {
		t.Fatal("no writable cgroup hierarchy with the cpu controller (cgroup v1 cpu, or cpu in the unified hierarchy's cgroup.controllers)")
	}
	t.Cleanup(func() {
		// Its processes were killed by later cleanups; rmdir waits for
		// them to be reaped.
		err := waitUntil(context.Background(), 10*time.Second, func() (bool, error) {
			err := os.Remove(cg.dir)
			return err == nil || errors.Is(err, os.ErrNotExist), nil
		})
		if err != nil {
			t.Errorf("remove cgroup %s: %v (members %v)", cg.dir, err, cg.members(t))
		}
	})
	return cg
}

func hasController(dir, c string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	return err == nil && slices.Contains(strings.Fields(string(b)), c)
}

func (cg *cpuCgroup) add(t *testing.T, pid int) {
	t.Helper()
	write(t, filepath.Join(cg.dir, "cgroup.procs"), strconv.Itoa(pid))
}

// members lists the pids in the cgroup.
func (cg *cpuCgroup) members(t *testing.T) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cg.dir, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("make cgroup (the test runs as root, as in CI): %v", err)
	}
}

func write(t *testing.T, path, value string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		t.Fatal(err)
	}
}
