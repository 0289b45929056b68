package diskfill

import (
	"context"
	"math"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/errkind"
)

// TestInjectRevertPercent fills a 64 MiB tmpfs to 80%, measures it with
// statfs, reverts, and measures the baseline again.
func TestInjectRevertPercent(t *testing.T) {
	dir := mountTmpfs(t, "64m")
	d := New(t.TempDir())
	baseline := usedBytes(t, dir)
	req := request("run-1", "fill", 1, dir)
	s := &Spec{Path: dir, Percent: 80}

	state, err := d.inject(context.Background(), req, s)
	if err != nil {
		t.Fatalf("inject: %v", err)
	}
	if got := usedPercent(t, dir); math.Abs(got-80) > 0.5 {
		t.Fatalf("after inject the filesystem is %.2f%% used, want 80%%", got)
	}
	if state[StateMethod] != "fallocate" || state[StateFile] != fillFile(dir, markerID(req)) {
		t.Fatalf("state = %v", state)
	}
	if n, _ := strconv.ParseInt(state[StateBytes], 10, 64); n < 45<<20 {
		t.Fatalf("state says %d bytes written; 80%% of 64 MiB is about 51 MiB", n)
	}
	if got := markedFiles(t, dir); len(got) != 2 { // the fill file and its sidecar
		t.Fatalf("marked files after inject: %v", got)
	}

	if err := d.revert(req, s); err != nil {
		t.Fatalf("revert: %v", err)
	}
	if got := usedBytes(t, dir); got != baseline {
		t.Fatalf("after revert %d bytes used, baseline %d", got, baseline)
	}
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("marked files after revert: %v", got)
	}
	if got := indexEntries(t, d); len(got) != 0 {
		t.Fatalf("index entries after revert: %v", got)
	}
	// Reverting again, and reverting what was never injected, succeed.
	if err := d.revert(req, s); err != nil {
		t.Fatalf("second revert: %v", err)
	}
}

// TestInjectIdempotent injects the same injection twice: one file, the
// same usage; a second injection of the fault is another file.
func TestInjectIdempotent(t *testing.T) {
	dir := mountTmpfs(t, "32m")
	d := New(t.TempDir())
	s := &Spec{Path: dir, Percent: 50}
	req := request("run-1", "fill", 1, dir)
	first, err := d.inject(context.Background(), req, s)
	if err != nil {
		t.Fatal(err)
	}
	used := usedBytes(t, dir)
	second, err := d.inject(context.Background(), req, s)
	if err != nil {
		t.Fatalf("re-inject: %v", err)
	}
	if got := usedBytes(t, dir); got != used {
		t.Fatalf("re-inject changed usage from %d to %d bytes", used, got)
	}
	if first[StateFile] != second[StateFile] || first[StateBytes] != second[StateBytes] {
		t.Fatalf("re-inject state %v, first %v", second, first)
	}
	if got := markedFiles(t, dir); len(got) != 2 {
		t.Fatalf("marked files: %v", got)
	}

	// A second injection of the same fault (the filesystem is already
	// 50% used): nothing to write.
	req2 := request("run-1", "fill", 2, dir)
	third, err := d.inject(context.Background(), req2, s)
	if err != nil {
		t.Fatal(err)
	}
	if third[StateBytes] != "0" || third[StateMethod] != "none" {
		t.Fatalf("injection 2 over a filesystem already filled: %v", third)
	}
	if err := d.revert(req2, s); err != nil {
		t.Fatal(err)
	}
	if err := d.revert(req, s); err != nil {
		t.Fatal(err)
	}
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("marked files after revert: %v", got)
	}
}

// TestInjectBytes writes a size, by fallocate and by the zero-writing
// fallback for filesystems without fallocate.
func TestInjectBytes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fallocate func(int, int64) error
		method    string
	}{
		{"fallocate", nil, "fallocate"},
		{"zeros", func(int, int64) error { return unix.EOPNOTSUPP }, "zeros"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := mountTmpfs(t, "32m")
			d := New(t.TempDir())
			d.fallocate = tc.fallocate
			baseline := usedBytes(t, dir)
			req := request("run-1", "bytes", 1, dir)
			s := &Spec{Path: dir, Bytes: "8Mi"}
			state, err := d.inject(context.Background(), req, s)
			if err != nil {
				t.Fatal(err)
			}
			if state[StateMethod] != tc.method {
				t.Fatalf("method %q, want %q", state[StateMethod], tc.method)
			}
			grew := usedBytes(t, dir) - baseline
			if grew < 8<<20 || grew > 8<<20+64<<10 {
				t.Fatalf("usage grew by %d bytes, want 8 MiB (and its sidecar)", grew)
			}
			if _, err := d.inject(context.Background(), req, s); err != nil {
				t.Fatalf("re-inject: %v", err)
			}
			if got := usedBytes(t, dir) - baseline; got != grew {
				t.Fatalf("re-inject grew usage to %d, was %d", got, grew)
			}
			if err := d.revert(req, s); err != nil {
				t.Fatal(err)
			}
			if got := usedBytes(t, dir); got != baseline {
				t.Fatalf("after revert %d bytes used, baseline %d", got, baseline)
			}
		})
	}
}

// TestRefusedPastMargin puts the worker's state directory on the
// filesystem to fill: with the default margin (256 MiB) a 64 MiB tmpfs
// cannot be filled at all; with a margin of 5% (and 1 MiB), 80% is
// allowed and 99% refused. A refusal writes nothing.
func TestRefusedPastMargin(t *testing.T) {
	dir := mountTmpfs(t, "64m")
	stateDir := dir + "/state"
	d := New(stateDir)
	s := &Spec{Path: dir, Percent: 80}
	req := request("run-1", "fill", 1, dir)
	baseline := usedBytes(t, dir)

	_, err := d.inject(context.Background(), req, s)
	if typ, _ := errkind.TypeOf(err); typ != errkind.Refused {
		t.Fatalf("inject 80%% beside the state directory with a 256 MiB margin: %v, want Refused", err)
	}
	t.Logf("refused: %v", err)
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("a refused inject left %v", got)
	}
	if got := usedBytes(t, dir); got != baseline {
		t.Fatalf("a refused inject changed usage from %d to %d", baseline, got)
	}

	d.MinFreeBytes = 1 << 20
	if _, err := d.inject(context.Background(), req, s); err != nil {
		t.Fatalf("inject 80%% with a 5%% margin: %v", err)
	}
	if got := usedPercent(t, dir); math.Abs(got-80) > 0.5 {
		t.Fatalf("%.2f%% used, want 80%%", got)
	}
	filled := usedBytes(t, dir)
	req99 := request("run-1", "fill99", 1, dir)
	_, err = d.inject(context.Background(), req99, &Spec{Path: dir, Percent: 99})
	if typ, _ := errkind.TypeOf(err); typ != errkind.Refused {
		t.Fatalf("inject 99%% with a 5%% margin: %v, want Refused", err)
	}
	if got := usedBytes(t, dir); got != filled {
		t.Fatalf("a refused inject changed usage from %d to %d", filled, got)
	}
	if err := d.revert(req, s); err != nil {
		t.Fatal(err)
	}
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("left after revert: %v", got)
	}
}

// TestInjectFull fills a filesystem to 100%: nothing is left available.
func TestInjectFull(t *testing.T) {
	dir := mountTmpfs(t, "8m")
	d := New(t.TempDir())
	req := request("run-1", "full", 1, dir)
	s := &Spec{Path: dir, Percent: 100}
	if _, err := d.inject(context.Background(), req, s); err != nil {
		t.Fatal(err)
	}
	u, err := statUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if u.avail != 0 {
		t.Fatalf("%d bytes still available after a fill to 100%%", u.avail)
	}
	if _, err := d.inject(context.Background(), req, s); err != nil {
		t.Fatalf("re-inject of a full filesystem: %v", err)
	}
	if err := d.revert(req, s); err != nil {
		t.Fatal(err)
	}
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("left: %v", got)
	}
}

// TestInjectMoreThanAvailable is refused, not half done.
func TestInjectMoreThanAvailable(t *testing.T) {
	dir := mountTmpfs(t, "8m")
	d := New(t.TempDir())
	_, err := d.inject(context.Background(), request("run-1", "big", 1, dir), &Spec{Path: dir, Bytes: "16Mi"})
	if typ, _ := errkind.TypeOf(err); typ != errkind.Refused {
		t.Fatalf("16 MiB into 8 MiB: %v, want Refused", err)
	}
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("left: %v", got)
	}
}

func TestTargets(t *testing.T) {
	dir := mountTmpfs(t, "8m")
	d := New(t.TempDir())
	got, err := d.targets(&Spec{Path: dir, Percent: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "disk/"+dir || got[0].Attrs[AttrPath] != dir {
		t.Fatalf("targets = %+v", got)
	}
	_, err = d.targets(&Spec{Path: dir + "/missing", Percent: 50})
	if typ, _ := errkind.TypeOf(err); typ != errkind.UnknownTarget {
		t.Fatalf("missing directory: %v, want UnknownTarget", err)
	}
	if err := os.WriteFile(dir+"/file", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = d.targets(&Spec{Path: dir + "/file", Percent: 50})
	if typ, _ := errkind.TypeOf(err); typ != errkind.UnknownTarget {
		t.Fatalf("a file, not a directory: %v, want UnknownTarget", err)
	}
}
