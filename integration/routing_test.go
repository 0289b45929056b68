package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/starter"
)

// hostWorker starts `tempest worker` as the worker of host, and returns
// its pid (the SDK's worker identity starts with it).
func hostWorker(t *testing.T, tempestBin string, e env, queue, host string, isDefault bool) int {
	t.Helper()
	cmd := exec.Command(tempestBin, "worker", "--address", e.srv.FrontendAddress(), "--task-queue", queue,
		"--host", host, fmt.Sprintf("--default-host=%v", isDefault), "--worker-state-dir", t.TempDir())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// activityRuns maps each activity type of a run to the task queues it was
// scheduled on and the pids of the workers that ran it.
func activityRuns(t *testing.T, e env, run *starter.Run) map[string][]string {
	t.Helper()
	h := fetchHistory(t, e.c, run.ID, run.RunID)
	scheduled := map[int64]string{}
	out := map[string][]string{}
	for _, ev := range h.Events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := ev.GetActivityTaskScheduledEventAttributes()
			scheduled[ev.GetEventId()] = a.GetActivityType().GetName() + " on " + a.GetTaskQueue().GetName()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := ev.GetActivityTaskStartedEventAttributes()
			what := scheduled[a.GetScheduledEventId()]
			typ := strings.SplitN(what, " ", 2)[0]
			pid := strings.SplitN(a.GetIdentity(), "@", 2)[0]
			out[typ] = append(out[typ], what+" by pid "+pid)
		}
	}
	return out
}

// TestTwoHostsRouting runs two worker processes standing for two hosts, A
// (the default host) and B. A fault that names host B is selected,
// injected and reverted by B only, on B's task queue; one that names no
// host is selected by A, records host A on its target, and is injected
// and reverted by A only. A probe naming host B observes from B.
func TestTwoHostsRouting(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-routing"
	pidA := hostWorker(t, tempestBin, e, queue, "host-a", true)
	pidB := hostWorker(t, tempestBin, e, queue, "host-b", false)

	for _, tc := range []struct {
		name, hostLine, wantHost string
		wantPid                  int
	}{
		{"names host b", "      host: host-b\n", "host-b", pidB},
		{"names no host", "", "host-a", pidA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := startTarget(t, targetBin)
			spec := fmt.Sprintf(`kind: Experiment
metadata: {name: routing}
spec:
  faults:
    - name: pause-target
      duration: 2s
%s      process: {selector: {port: %d}, action: pause}
  probes:
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 10
%s      http: {url: "http://%s/healthz"}
`, tc.hostLine, tg.port, tc.hostLine, tg.addr)
			run, res := e.runToEnd(t, decode(t, spec), queue, 3*time.Minute)
			if res.Verdict != experiment.VerdictPassed {
				t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
			}
			if got := res.Targets[0].Targets[0].Attrs[fault.AttrHost]; got != tc.wantHost {
				t.Fatalf("target records host %q, want %q", got, tc.wantHost)
			}
			runs := activityRuns(t, e, run)
			wantQueue := queue + "@host:" + tc.wantHost
			for _, typ := range []string{"Inject", "Revert"} {
				if len(runs[typ]) == 0 {
					t.Fatalf("no %s in the history: %v", typ, runs)
				}
				for _, r := range runs[typ] {
					if !strings.Contains(r, " on "+wantQueue+" ") || !strings.HasSuffix(r, fmt.Sprintf("by pid %d", tc.wantPid)) {
						t.Fatalf("%s, want on %s by pid %d (the target's host); all: %v", r, wantQueue, tc.wantPid, runs)
					}
				}
			}
			// The probe names the same host (or none): it observes from
			// that host's worker.
			probeQueue := queue
			if tc.hostLine != "" {
				probeQueue = wantQueue
			}
			if len(runs["CheckProbe"]) == 0 {
				t.Fatalf("no CheckProbe in the history: %v", runs)
			}
			for _, r := range runs["CheckProbe"] {
				if !strings.Contains(r, " on "+probeQueue+" ") || !strings.HasSuffix(r, fmt.Sprintf("by pid %d", tc.wantPid)) {
					t.Fatalf("%s, want on %s by pid %d; all: %v", r, probeQueue, tc.wantPid, runs)
				}
			}
			for _, r := range runs["SelectTargets"] {
				if !strings.HasSuffix(r, fmt.Sprintf("by pid %d", tc.wantPid)) {
					t.Fatalf("%s, want selected by pid %d; all: %v", r, tc.wantPid, runs)
				}
			}
		})
	}
}
