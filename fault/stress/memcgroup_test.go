package stress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// TestMemoryStressInProcessCgroup: memory held by a stressor placed in
// a service's cgroup is charged to that cgroup (its usage grows by about
// the bytes held), and the revert gives it back.
func TestMemoryStressInProcessCgroup(t *testing.T) {
	dir, usageFile := newMemoryCgroup(t)
	svc := startSpin(t)
	write(t, filepath.Join(dir, "cgroup.procs"), strconv.Itoa(svc.cmd.Process.Pid))
	// Anonymous memory only (memory.stat's rss in v1, anon in v2): the
	// usage file also counts page cache (stress-ng's own pages, files
	// read meanwhile), which stays charged after the stressor exits.
	_ = usageFile
	usage := func() int64 {
		b, err := os.ReadFile(filepath.Join(dir, "memory.stat"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, " ")
			if k == "rss" || k == "anon" {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatalf("no rss or anon in %s/memory.stat", dir)
		return 0
	}
	before := usage()

	d := New(t.TempDir())
	s := &Spec{Memory: &Memory{Bytes: "96Mi"}, Selector: &experiment.ProcessSelector{Name: svcName(t, svc.cmd.Process.Pid)}}
	targets, err := d.targets(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(targets, func(tg experiment.Target) bool { return tg.ID == "pid/"+strconv.Itoa(svc.cmd.Process.Pid) })
	if i < 0 {
		t.Fatalf("the service is not among the targets %+v", targets)
	}
	req := request("run-1", "mem", 1, targets[i])
	revertOnCleanup(t, d, req)
	state, err := d.inject(context.Background(), req, s)
	if err != nil {
		t.Fatalf("inject: %v", err)
	}
	held := usage() - before
	t.Logf("the service's cgroup holds %s more under the stressor (state %v)", size(held), state)
	// stress-ng touches what it maps; some of it may not be counted as
	// the cgroup's own anonymous memory yet: three quarters is plenty.
	if held < 72<<20 {
		t.Fatalf("the service's cgroup grew by %s, want about 96 MiB", size(held))
	}
	if err := d.revert(context.Background(), req, state); err != nil {
		t.Fatal(err)
	}
	// Exiting processes free their memory, and the cgroup's statistics
	// catch up, a moment after the revert has seen them gone.
	after := usage() - before
	for deadline := time.Now().Add(15 * time.Second); after > 16<<20 && time.Now().Before(deadline); after = usage() - before {
		time.Sleep(100 * time.Millisecond)
	}
	if after > 16<<20 {
		t.Fatalf("15s after the revert the cgroup still holds %s more", size(after))
	}
}

// svcName is the name a process selector matches for pid.
func svcName(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// newMemoryCgroup makes a cgroup under the v1 memory hierarchy, or in the
// unified one where it has the memory controller, and returns it with the
// name of its usage file. It is removed when the test ends.
func newMemoryCgroup(t *testing.T) (dir, usageFile string) {
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
	name := fmt.Sprintf("tempest-stress-test-%d-mem", os.Getpid())
	for _, m := range mounts {
		switch {
		case !m.V2 && slices.Contains(m.Options, "memory") && m.Root == "/":
			dir, usageFile = filepath.Join(m.Point, name), "memory.usage_in_bytes"
		case m.V2 && hasController(m.Point, "memory"):
			_ = os.WriteFile(filepath.Join(m.Point, "cgroup.subtree_control"), []byte("+memory"), 0)
			dir, usageFile = filepath.Join(m.Point, name), "memory.current"
		default:
			continue
		}
		break
	}
	if dir == "" {
		t.Fatal("no writable cgroup hierarchy with the memory controller")
	}
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
	return dir, usageFile
}
