package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/workflows"
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
	replay(t, fetchHistory(t, e.c, run.ID, run.RunID))
	child := fetchHistory(t, e.c, workflows.FaultWorkflowID("continue-as-new", run.RunID, 0), "")
	replay(t, child)
	started := child.Events[0].GetWorkflowExecutionStartedEventAttributes()
	if started == nil || started.GetContinuedExecutionRunId() == "" {
		t.Fatal("the fault workflow's last run did not continue an earlier one")
	}
	if len(child.Events) > 150 {
		t.Fatalf("the fault workflow's last run has %d events, over the budget", len(child.Events))
	}
	t.Logf("experiment history %d events; fault workflow's last run %d events", n, len(child.Events))
}

// TestTerminatedExperimentStillRevertsItsRepeatingFault: terminating a
// workflow runs none of its code, so an experiment terminated while its
// target is paused cannot revert it itself. Its FaultWorkflow is closed
// with it by request-cancel, and reverts: the target runs again.
func TestTerminatedExperimentStillRevertsItsRepeatingFault(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-terminate")
	tg := startTarget(t, targetBin)
	spec := fmt.Sprintf(`kind: Experiment
metadata:
  name: terminate-mid-hold
spec:
  faults:
    - name: pause-long
      duration: 60s
      interval: 20s
      hold: 15s
      process:
        selector: {port: %d}
        action: pause
`, tg.port)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, e.c, decode(t, spec), starter.Options{TaskQueue: "it-terminate"})
	if err != nil {
		t.Fatal(err)
	}
	pid := readPid(t, tg.pidfile)
	waitFor(t, 30*time.Second, "the target paused", func() bool { return processState(pid) == "T" })

	if err := e.c.TerminateWorkflow(ctx, run.ID, run.RunID, "terminated by the test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the target resumed after the experiment was terminated", func() bool { return processState(pid) != "T" })
	waitServing(t, tg.addr, 5*time.Second)
	// The fault workflow itself, or the watchdog (whichever comes first),
	// resumes the target; the fault workflow must then close, not go on
	// injecting.
	waitFor(t, 30*time.Second, "the fault workflow to close", func() bool {
		child, err := e.c.DescribeWorkflowExecution(ctx, workflows.FaultWorkflowID("terminate-mid-hold", run.RunID, 0), "")
		return err == nil && child.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
}

// readPid reads the target's pid file.
func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// processState is the state letter in /proc/PID/stat ("T" when stopped).
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) STATE ...; comm may hold spaces, so read after the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}
