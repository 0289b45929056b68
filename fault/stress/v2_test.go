package stress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// TestStressorJoinsUnifiedCgroup: on the unified (v2) hierarchy, a
// service's cgroup is joined by every process of the stressor placed
// with it (on these machines the hierarchy has no controllers, so this
// checks the placement, and the v1 tests check the effect).
func TestStressorJoinsUnifiedCgroup(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := parseMountinfo(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(mounts, func(m cgroupMount) bool { return m.V2 && m.Root == "/" })
	if i < 0 {
		t.Fatal("no cgroup2 mount")
	}
	rel := fmt.Sprintf("/tempest-stress-test-%d-v2", os.Getpid())
	dir := filepath.Join(mounts[i].Point, rel)
	mkdir(t, dir)
	t.Cleanup(func() {
		err := waitUntil(context.Background(), 10*time.Second, func() (bool, error) {
			err := os.Remove(dir)
			return err == nil || errors.Is(err, os.ErrNotExist), nil
		})
		if err != nil {
			t.Errorf("remove cgroup %s: %v", dir, err)
		}
	})
	svc := startSpin(t)
	cg := &cpuCgroup{dir: dir, v2: true}
	cg.add(t, svc.cmd.Process.Pid)
	pidFile := filepath.Join(t.TempDir(), "svc.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(svc.cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}

	d := New(t.TempDir())
	s := &Spec{CPU: &CPU{Workers: 2, Load: 10}, Selector: &experiment.ProcessSelector{PIDFile: pidFile}}
	targets, err := d.targets(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	req := request("run-1", "v2", 1, targets[0])
	revertOnCleanup(t, d, req)
	if _, err := d.inject(context.Background(), req, s); err != nil {
		t.Fatal(err)
	}
	members := cg.members(t)
	procs := stressors(t, d, markerOf(req))
	if len(procs) < 3 {
		t.Fatalf("stressor processes: %+v", procs)
	}
	for _, p := range procs {
		if !slices.Contains(members, p.PID) {
			t.Fatalf("stressor process %d is not in %s (members %v)", p.PID, dir, members)
		}
	}
	if err := d.revert(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	err = waitUntil(context.Background(), 5*time.Second, func() (bool, error) {
		return slices.Equal(cg.members(t), []int{svc.cmd.Process.Pid}), nil
	})
	if err != nil {
		t.Fatalf("after revert the cgroup holds %v, want only the service", cg.members(t))
	}
}
