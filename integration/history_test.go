package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// pauseSpec pauses the target for hold while a 1-second Continuous probe
// watches another endpoint.
func pauseSpec(tg target, watched string, hold time.Duration) string {
	return fmt.Sprintf(`kind: Experiment
metadata:
  name: history-economy
spec:
  faults:
    - name: pause-target
      duration: %s
      process:
        selector: {port: %d}
        action: pause
  probes:
    - name: every-second
      mode: Continuous
      interval: 1s
      timeout: 500ms
      http: {url: "http://%s/healthz"}
`, hold, tg.port, watched)
}

// TestHistoryDoesNotGrowWithDuration runs the same experiment for 3 s and
// for 12 s with a probe every second: both histories have the same number of
// events (up to workflow-task batching), well under 200.
func TestHistoryDoesNotGrowWithDuration(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-history")
	paused := startTarget(t, targetBin)
	watched := startTarget(t, targetBin)

	count := func(hold time.Duration) int {
		run, res := e.runToEnd(t, decode(t, pauseSpec(paused, watched.addr, hold)), "it-history", 2*time.Minute)
		if res.Probes[0].Observations < int(hold/time.Second)-1 {
			t.Fatalf("probe made %d observations in %s", res.Probes[0].Observations, hold)
		}
		n, err := run.HistoryEvents(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	short, long := count(3*time.Second), count(12*time.Second)
	// Workflow tasks may batch two completions that land together, so the
	// counts may differ by a few events; they must not scale with time (a
	// history that grew per observation would add 9+ events here).
	if long > short+4 {
		t.Fatalf("history grew with duration: %d events for 3s, %d for 12s", short, long)
	}
	if long > 200 {
		t.Fatalf("%d events, want at most 200", long)
	}
	t.Logf("history events: %d for a 3 s and for a 12 s experiment", long)
}

// TestRepeatingFaultContinuesAsNew: a fault paused every 300 ms for 6 s
// (20 injections, some 400 events) runs in its own FaultWorkflow, which
// continues as new at half the history budget of 150 events: every
// injection is still reverted once, the experiment's own history stays
// small, and the fault workflow's last run continues an earlier one.
func TestRepeatingFaultContinuesAsNew(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-continue")
	tg := startTarget(t, targetBin)
	spec := fmt.Sprintf(`kind: Experiment
metadata:
  name: continue-as-new
spec:
  faults:
    - name: pause-often
      duration: 6s
      interval: 300ms
      hold: 100ms
      process:
        selector: {port: %d}
        action: pause
  probes:
    - name: serving-after
      mode: EOT
      timeout: 1s
      retries: 3
      http: {url: "http://%s/healthz"}
  safety:
    maxHistoryEvents: 150
`, tg.port, tg.addr)
	run, res := e.runToEnd(t, decode(t, spec), "it-continue", 2*time.Minute)

	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if f := res.Faults[0]; f.Injections != 20 || f.Reverts != 20 || len(f.LeftBehind) > 0 {
		t.Fatalf("fault %+v; want 20 injections, each reverted", f)
	}
	n, err := run.HistoryEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n > 100 {
		t.Fatalf("the experiment's history has %d events; its fault's injections belong to the fault workflow", n)
	}
	child := fetchHistory(t, e.c, fmt.Sprintf("%s-fault-0-%s", run.ID, run.RunID), "")
	started := child.Events[0].GetWorkflowExecutionStartedEventAttributes()
	if started == nil || started.GetContinuedExecutionRunId() == "" {
		t.Fatal("the fault workflow's last run did not continue an earlier one")
	}
	if len(child.Events) > 150 {
		t.Fatalf("the fault workflow's last run has %d events, over the budget", len(child.Events))
	}
	t.Logf("experiment history %d events; fault workflow's last run %d events", n, len(child.Events))
}
