package stress

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/fault"
)

// TestWorkerKilledStressorDies: a stand-in worker (this test binary,
// re-executed) injects a stressor and is killed with SIGKILL; the
// stressor dies with it (parent-death signal), leaving nothing for
// Leftovers.
func TestWorkerKilledStressorDies(t *testing.T) {
	stateDir := t.TempDir()
	arg, _ := json.Marshal(workerArgs{StateDir: stateDir, RunID: "killed-run", Spec: Spec{CPU: &CPU{Workers: 2, Load: 10}, Memory: &Memory{Bytes: "16Mi"}}})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+string(arg))
	cmd.Stderr = os.Stderr
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
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("stand-in worker: %v", err)
	}
	var state fault.State
	if err := json.Unmarshal([]byte(line), &state); err != nil {
		t.Fatalf("stand-in worker said %q: %v", line, err)
	}
	d := New(stateDir)
	req := request("killed-run", "cpu", 1, hostTarget)
	revertOnCleanup(t, d, req)
	if got := stressors(t, d, markerOf(req)); len(got) < 4 {
		t.Fatalf("the stand-in's stressor is not running: %+v", got)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	err = waitUntil(context.Background(), 10*time.Second, func() (bool, error) {
		return len(stressors(t, d, markerOf(req))) == 0, nil
	})
	if err != nil {
		t.Fatalf("the stressor outlived its worker: %+v", stressors(t, d, markerOf(req)))
	}
	found, err := d.leftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range found {
		if l.Info.Run.RunID == "killed-run" {
			t.Fatalf("leftover of the killed run: %s", l.what())
		}
	}
}

// TestStressorOfPreviousWorker: a stressor started by a worker whose
// driver is gone (a previous worker process that still runs, or one whose
// State was lost) is found by Leftovers, attributed to its run, and
// reverted by a new driver from the request alone.
func TestStressorOfPreviousWorker(t *testing.T) {
	old := New(t.TempDir())
	s := &Spec{CPU: &CPU{Workers: 1, Load: 10}}
	req1 := request("old-run-1", "cpu", 1, hostTarget)
	req2 := request("old-run-2", "cpu", 2, hostTarget)
	for _, req := range []fault.Request{req1, req2} {
		revertOnCleanup(t, old, req)
		if _, err := old.inject(context.Background(), req, s); err != nil {
			t.Fatal(err)
		}
	}

	d := New(t.TempDir())
	found, err := d.leftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var mine []leftover
	for _, l := range found {
		if l.Info.Run.WorkflowID == "wf-stress" && (l.Info.Run.RunID == "old-run-1" || l.Info.Run.RunID == "old-run-2") {
			mine = append(mine, l)
			t.Logf("found: %s", l.what())
		}
	}
	if len(mine) != 2 {
		t.Fatalf("leftovers of the two runs: %+v", found)
	}
	for _, l := range mine {
		if l.Info.Run.RunID == "old-run-1" && (l.Info.Fault != "cpu" || l.Info.Injection != 1 || l.Info.CPUWorkers != 1 || l.Info.CPULoad != 10 || l.Marker != markerOf(req1)) {
			t.Fatalf("leftover of run 1: %+v", l)
		}
	}
	// Revert without State, by marker.
	if err := d.revert(context.Background(), req1, nil); err != nil {
		t.Fatal(err)
	}
	if left := stressors(t, d, markerOf(req1)); len(left) != 0 {
		t.Fatalf("after revert: %+v", left)
	}
	// Cleanup of the other, as `tempest cleanup` does.
	for _, l := range mine {
		if l.Info.Run.RunID == "old-run-2" {
			if err := d.removeLeftover(context.Background(), l); err != nil {
				t.Fatal(err)
			}
		}
	}
	if left := stressors(t, d, markerOf(req2)); len(left) != 0 {
		t.Fatalf("after removing the leftover: %+v", left)
	}
}

// TestRevertNeverKillsRecycledPID: a State naming a pid that now belongs
// to another process (another start time) leaves that process alone.
func TestRevertNeverKillsRecycledPID(t *testing.T) {
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = other.Process.Kill()
		_ = other.Wait()
	})
	d := New(t.TempDir())
	st, err := d.proc.alive(other.Process.Pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	req := request("run-1", "cpu", 1, hostTarget)
	state := fault.State{StatePID: strconv.Itoa(other.Process.Pid), StateStartTime: strconv.FormatUint(st.StartTime+1, 10), StateMarker: markerOf(req)}
	if err := d.revert(context.Background(), req, state); err != nil {
		t.Fatal(err)
	}
	if _, err := d.proc.alive(other.Process.Pid, st.StartTime); err != nil {
		t.Fatalf("revert killed pid %d, which the State named with another start time: %v", other.Process.Pid, err)
	}
}
