package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
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

// TestHistoryBudgetStopsInjectingAndRollsBack: a fault injected every
// 300 ms for a minute would add some 4,000 events; with a budget of 150 the
// run stops injecting once the history holds 150 events, reverts what is in
// place and ends Errored, well before Temporal's limit could end it
// without a rollback.
func TestHistoryBudgetStopsInjectingAndRollsBack(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-budget")
	tg := startTarget(t, targetBin)
	spec := fmt.Sprintf(`kind: Experiment
metadata:
  name: history-budget
spec:
  faults:
    - name: pause-often
      duration: 60s
      interval: 300ms
      hold: 100ms
      process:
        selector: {port: %d}
        action: pause
  safety:
    maxHistoryEvents: 150
`, tg.port)
	run, res := e.runToEnd(t, decode(t, spec), "it-budget", 2*time.Minute)

	if res.Verdict != experiment.VerdictErrored || !strings.Contains(strings.Join(res.Reasons, "\n"), "safety.maxHistoryEvents") {
		t.Fatalf("verdict %s, reasons %v; want Errored naming safety.maxHistoryEvents", res.Verdict, res.Reasons)
	}
	f := res.Faults[0]
	if f.Injections < 2 || f.Injections > 20 || f.Reverts != f.Injections || len(f.LeftBehind) > 0 {
		t.Fatalf("fault %+v; want a few injections, each reverted", f)
	}
	n, err := run.HistoryEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n > 150+60 {
		t.Fatalf("history has %d events; the budget of 150 plus the rollback and verdict should stay under 210", n)
	}
	if _, err := http.Get("http://" + tg.addr + "/healthz"); err != nil {
		t.Fatalf("the target does not serve after the run (left paused?): %v", err)
	}
	t.Logf("stopped after %d injections, %d history events", f.Injections, n)
}
