package diskfill

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// mountTmpfs mounts a tmpfs of size ("16m") on a directory of the test's
// and unmounts it when the test ends. It needs root (tests run as root).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tempest-diskfill-test", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+size+",mode=0755"); err != nil {
		t.Fatalf("mount tmpfs (the test runs as root, as in CI): %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func usedPercent(t *testing.T, dir string) float64 {
	t.Helper()
	u, err := statUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	return u.usedPercent()
}

func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	u, err := statUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	return u.used()
}

// request is injection n of fault name of a run.
func request(runID, name string, n int, target string) fault.Request {
	return fault.Request{
		Run:       fault.Run{WorkflowID: "wf-diskfill", RunID: runID, Experiment: "disk"},
		Fault:     experiment.Fault{Name: name},
		Target:    experiment.Target{ID: "disk/" + target, Attrs: map[string]string{AttrPath: target}},
		Injection: n,
	}
}

// markedFiles lists the names in dir that carry the fill file prefix.
func markedFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), FilePrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func indexEntries(t *testing.T, d *Driver) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(d.StateDir, indexDir))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
