package stress

import (
	"context"
	"strconv"
	"testing"
)

// TestInjectRevertHost starts a CPU and memory stressor on the host:
// its workers run and hold the memory; re-inject keeps the same one;
// revert leaves no stress-ng process of it.
func TestInjectRevertHost(t *testing.T) {
	d := New(t.TempDir())
	req := request("run-1", "both", 1, hostTarget)
	revertOnCleanup(t, d, req)
	s := &Spec{CPU: &CPU{Workers: 2, Load: 20}, Memory: &Memory{Bytes: "64Mi"}}
	state, err := d.inject(context.Background(), req, s)
	if err != nil {
		t.Fatalf("inject: %v", err)
	}
	t.Logf("state: %v", state)
	procs := stressors(t, d, markerOf(req))
	// The leader, two cpu workers, the vm worker and the vm child.
	if len(procs) < 4 {
		t.Fatalf("stressor processes: %+v", procs)
	}
	if res, _ := strconv.ParseInt(state[StateResident], 10, 64); res < 60<<20 {
		t.Fatalf("resident %d bytes, want about 64 MiB", res)
	}
	again, err := d.inject(context.Background(), req, s)
	if err != nil {
		t.Fatalf("re-inject: %v", err)
	}
	if again[StatePID] != state[StatePID] || again[StateStartTime] != state[StateStartTime] {
		t.Fatalf("re-inject %v, first %v", again, state)
	}
	if err := d.revert(context.Background(), req, state); err != nil {
		t.Fatalf("revert: %v", err)
	}
	if left := stressors(t, d, markerOf(req)); len(left) != 0 {
		t.Fatalf("after revert: %+v", left)
	}
	if err := d.revert(context.Background(), req, state); err != nil {
		t.Fatalf("second revert: %v", err)
	}
}
