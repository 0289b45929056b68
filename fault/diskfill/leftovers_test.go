package diskfill

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary a stand-in worker: it injects the
// request it is given, says so, and waits to be killed.
const helperEnv = "TEMPEST_DISKFILL_HELPER"

type helperArgs struct {
	StateDir string
	Dir      string
	RunID    string
}

func TestMain(m *testing.M) {
	if arg := os.Getenv(helperEnv); arg != "" {
		os.Exit(runHelper(arg))
	}
	os.Exit(m.Run())
}

func runHelper(arg string) int {
	var a helperArgs
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	d := New(a.StateDir)
	if _, err := d.inject(context.Background(), request(a.RunID, "fill", 1, a.Dir), &Spec{Path: a.Dir, Bytes: "4Mi"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("injected")
	time.Sleep(time.Minute) // killed before
	return 3
}

// TestLeftoversOfKilledRun: a worker injects and is killed (kill -9)
// before any revert; a new driver on the same state directory finds the
// fill file by the index, attributes it to the killed run, and removes it.
func TestLeftoversOfKilledRun(t *testing.T) {
	dir := mountTmpfs(t, "16m")
	stateDir := t.TempDir()
	baseline := usedBytes(t, dir)
	arg, _ := json.Marshal(helperArgs{StateDir: stateDir, Dir: dir, RunID: "killed-run"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(arg))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "injected" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if grew := usedBytes(t, dir) - baseline; grew < 4<<20 {
		t.Fatalf("the killed helper's fill is not there (usage grew by %d)", grew)
	}

	d := New(stateDir)
	found, err := d.leftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("leftovers = %+v, want the killed run's file", found)
	}
	l := found[0]
	if l.Marker.Run.RunID != "killed-run" || l.Marker.Run.WorkflowID != "wf-diskfill" || l.Marker.Fault != "fill" || l.Marker.Injection != 1 {
		t.Fatalf("leftover attributed to %+v", l.Marker)
	}
	if l.File != fillFile(dir, markerID(request("killed-run", "fill", 1, dir))) || l.Bytes < 4<<20 {
		t.Fatalf("leftover %+v", l)
	}
	t.Logf("found: %s", l.what())
	if err := d.remove(l.File, l.id); err != nil {
		t.Fatal(err)
	}
	if got := usedBytes(t, dir); got != baseline {
		t.Fatalf("after removing the leftover %d bytes used, baseline %d", got, baseline)
	}
	if found, err := d.leftovers(ctx); err != nil || len(found) != 0 {
		t.Fatalf("leftovers after removal: %+v, %v", found, err)
	}
}

// TestLeftoversWithoutIndex finds a fill file by scanning a directory
// when the index entry is gone (a state directory wiped), attributing it
// by its sidecar; and an index entry whose file is gone is reported so
// cleanup can clear it.
func TestLeftoversWithoutIndex(t *testing.T) {
	dir := mountTmpfs(t, "16m")
	d := New(t.TempDir())
	req := request("run-2", "fill", 3, dir)
	if _, err := d.inject(context.Background(), req, &Spec{Path: dir, Bytes: "1Mi"}); err != nil {
		t.Fatal(err)
	}
	id := markerID(req)
	if err := os.Remove(d.indexPath(id)); err != nil {
		t.Fatal(err)
	}
	if found, err := d.leftovers(context.Background()); err != nil || len(found) != 0 {
		t.Fatalf("without index or directory: %+v, %v", found, err)
	}
	found, err := d.leftovers(context.Background(), dir)
	if err != nil || len(found) != 1 || found[0].Marker.Run.RunID != "run-2" || found[0].Marker.Injection != 3 {
		t.Fatalf("scanning %s: %+v, %v", dir, found, err)
	}

	// An index entry alone.
	req2 := request("run-3", "fill", 1, dir)
	if _, err := d.inject(context.Background(), req2, &Spec{Path: dir, Bytes: "1Mi"}); err != nil {
		t.Fatal(err)
	}
	f2 := fillFile(dir, markerID(req2))
	for _, p := range []string{f2, f2 + SidecarSuffix} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	// The index names dir again, so run-2's file is found by the scan too.
	found, err = d.leftovers(context.Background())
	if err != nil || len(found) != 2 {
		t.Fatalf("index entry alone: %+v, %v", found, err)
	}
	for _, l := range found {
		want := map[string]int64{"run-2": 1 << 20, "run-3": 0}[l.Marker.Run.RunID]
		if l.Bytes != want {
			t.Fatalf("leftover %+v: %d bytes, want %d", l, l.Bytes, want)
		}
		if err := d.remove(l.File, l.id); err != nil {
			t.Fatal(err)
		}
	}
	if got := indexEntries(t, d); len(got) != 0 {
		t.Fatalf("index after removal: %v", got)
	}
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("files after removal: %v", got)
	}
}
