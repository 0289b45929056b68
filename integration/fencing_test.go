package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/process"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// pauseAndProbeSpec pauses the target on its port for hold; an EOT probe then
// checks it serves.
func pauseAndProbeSpec(name string, tg target, hold time.Duration) string {
	return fmt.Sprintf(`kind: Experiment
metadata:
  name: %s
spec:
  hypothesis: the target serves again once resumed
  faults:
    - name: pause-target
      duration: %s
      process:
        selector: {port: %d}
        action: pause
  probes:
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 6
      http: {url: "http://%s/healthz"}
`, name, hold, tg.port, tg.addr)
}

// assertFenced checks err is the non-retryable Fenced error.
func assertFenced(t *testing.T, err error) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != errkind.Fenced || !appErr.NonRetryable() {
		t.Fatalf("inject returned %v, want a non-retryable %s error", err, errkind.Fenced)
	}
}

// assertNeverStopped watches pid for a while: a late SIGSTOP shows as state T.
func assertNeverStopped(t *testing.T, pid int, tg target) {
	t.Helper()
	for range 10 {
		if st := processState(pid); st == "T" || st == "" {
			t.Fatalf("target pid %d is in state %q after a late inject", pid, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitServing(t, tg.addr, 5*time.Second)
}

// The situation of issue 9: a stale Inject attempt wakes up after its
// revert ran. Driven directly against the activities on a real process.
func TestLateInjectAfterRevertChangesNothing(t *testing.T) {
	_, targetBin := binaries(t)
	tg := startTarget(t, targetBin)
	pid := readPid(t, tg.pidfile)
	acts, closeActs := worker.NewActivities(worker.Config{StateDir: t.TempDir()})
	defer closeActs()

	f := decode(t, pauseAndProbeSpec("late-inject", tg, time.Second)).Spec.Faults[0]
	targets, err := process.New().Targets(t.Context(), f)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets %v, %v", targets, err)
	}
	req := fault.Request{Run: fault.Run{WorkflowID: "late-inject", RunID: "run-1", Experiment: "late-inject"},
		Fault: f, Target: targets[0], Injection: 1}

	if _, err := acts.Revert(t.Context(), activities.RevertInput{Request: req}); err != nil {
		t.Fatalf("revert: %v", err)
	}
	_, err = acts.Inject(t.Context(), req)
	assertFenced(t, err)
	assertNeverStopped(t, pid, tg)

	// The next injection of the same fault is not fenced by the first's revert.
	next := req
	next.Injection = 2
	res, err := acts.Inject(t.Context(), next)
	if err != nil {
		t.Fatalf("injection 2: %v", err)
	}
	if st := processState(pid); st != "T" {
		t.Fatalf("injection 2 did not pause the target (state %q)", st)
	}
	if _, err := acts.Revert(t.Context(), activities.RevertInput{Request: next, State: res.State}); err != nil {
		t.Fatalf("revert 2: %v", err)
	}
}

// A run ends Passed; then the original Inject request is delivered again to
// an activities instance of the same host. Both guards stop it on their
// own: the revert's fence in the state dir, and the ended run's status.
func TestReplayedInjectAfterPassedRunChangesNothing(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	stateDir := t.TempDir()
	workertest.Start(t, e.c, "it-fence", worker.Config{StateDir: stateDir})
	tg := startTarget(t, targetBin)
	pid := readPid(t, tg.pidfile)

	run, res := e.runToEnd(t, decode(t, pauseAndProbeSpec("replayed-inject", tg, time.Second)), "it-fence", 2*time.Minute)
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	req := scheduledInject(t, e, run.ID, run.RunID)

	t.Run("fence in the same state dir", func(t *testing.T) {
		acts, closeActs := worker.NewActivities(worker.Config{StateDir: stateDir})
		defer closeActs()
		_, err := acts.Inject(t.Context(), req)
		assertFenced(t, err)
		assertNeverStopped(t, pid, tg)
	})
	t.Run("ended run, no fence", func(t *testing.T) {
		acts, closeActs := worker.NewActivities(worker.Config{StateDir: t.TempDir(), Temporal: e.c})
		defer closeActs()
		_, err := acts.Inject(t.Context(), req)
		assertFenced(t, err)
		assertNeverStopped(t, pid, tg)
	})
}

// scheduledInject returns the request of the run's first Inject activity,
// as the server would deliver it again.
func scheduledInject(t *testing.T, e env, id, runID string) fault.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := e.c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		attrs := ev.GetActivityTaskScheduledEventAttributes()
		if attrs == nil || attrs.GetActivityType().GetName() != "Inject" {
			continue
		}
		var req fault.Request
		if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &req); err != nil {
			t.Fatalf("decode Inject input: %v", err)
		}
		return req
	}
	t.Fatal("the run scheduled no Inject")
	return fault.Request{}
}
