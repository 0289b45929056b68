package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
)

// sleeperPIDFile starts `sleep 3600` (killed at cleanup) and returns a
// file holding its pid: a process fault's target that harms nothing.
func sleeperPIDFile(t testing.TB) string {
	t.Helper()
	cmd := exec.Command("sleep", "3600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	path := filepath.Join(t.TempDir(), "pid")
	if err := os.WriteFile(path, []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tcpListener accepts (and closes) connections until the test ends: what
// the watchers' tcp probes open.
func tcpListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return l.Addr().String()
}

// capacitySpec pauses the process of pidfile for hold; with probeAddr, a
// Continuous tcp probe watches probeAddr for the whole chaos window.
func capacitySpec(t testing.TB, name, pidfile string, hold time.Duration, probeAddr string) experiment.Experiment {
	t.Helper()
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: %s}
spec:
  faults:
    - name: pause
      duration: %s
      process: {selector: {pidFile: %q}, action: pause}
`, name, hold, pidfile)
	if probeAddr != "" {
		spec += fmt.Sprintf(`  probes:
    - name: open
      mode: Continuous
      interval: 1s
      timeout: 1s
      tcp: {address: %q}
`, probeAddr)
	}
	exp, err := experiment.Decode("capacity.yaml", []byte(spec))
	if err != nil {
		t.Fatalf("spec: %v\n%s", err, spec)
	}
	return *exp
}

// startLimitedWorker runs a worker on queue (and queue@long) with limits
// until the test ends.
func startLimitedWorker(t testing.TB, c client.Client, queue string, limits worker.Limits) {
	t.Helper()
	acts, closeActs := worker.NewActivities(worker.Config{StateDir: t.TempDir(), Temporal: c})
	stop, err := worker.StartRouted(c, worker.Routing{Base: queue, Default: true, Limits: limits}, acts)
	if err != nil {
		closeActs()
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); closeActs() })
}

// watchers counts the WatchProbe activities of runs that a worker runs
// (started) and that wait for a slot (scheduled).
func watchers(ctx context.Context, t testing.TB, c client.Client, runs []*starter.Run) (started, scheduled int, oldestWaiting time.Time) {
	t.Helper()
	for _, r := range runs {
		d, err := c.DescribeWorkflowExecution(ctx, r.ID, r.RunID)
		if err != nil {
			t.Fatalf("describe %s: %v", r.ID, err)
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetActivityType().GetName() != "WatchProbe" {
				continue
			}
			switch pa.GetState() {
			case enumspb.PENDING_ACTIVITY_STATE_STARTED:
				started++
			case enumspb.PENDING_ACTIVITY_STATE_SCHEDULED:
				scheduled++
				if at := pa.GetScheduledTime(); at != nil && (oldestWaiting.IsZero() || at.AsTime().Before(oldestWaiting)) {
					oldestWaiting = at.AsTime()
				}
			}
		}
	}
	return started, scheduled, oldestWaiting
}

// activityWait is how long the first activity of type name in h waited
// between being scheduled and a worker starting it, and when it started.
func activityWait(t testing.TB, h *historypb.History, name string) (wait time.Duration, startedAt time.Time) {
	t.Helper()
	scheduled := map[int64]time.Time{}
	for _, ev := range h.GetEvents() {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == name {
			scheduled[ev.GetEventId()] = ev.GetEventTime().AsTime()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			if at, ok := scheduled[a.GetScheduledEventId()]; ok {
				st := ev.GetEventTime().AsTime()
				return st.Sub(at), st
			}
		}
	}
	t.Fatalf("no started %s activity in the history", name)
	return 0, time.Time{}
}

// TestInjectAndRevertDoNotWaitBehindWatchers saturates the long-activity
// slots of a worker with the probe watchers of running experiments (more
// watchers than slots, so some wait on the server), then runs one more
// experiment: its inject and its revert run at once, while the
// watchers that were waiting before it started still wait.
func TestInjectAndRevertDoNotWaitBehindWatchers(t *testing.T) {
	e := newEnv(t)
	const queue, longSlots, background = "it-capacity", 3, 5
	startLimitedWorker(t, e.c, queue, worker.Limits{Activities: 10, LongActivities: longSlots})
	addr := tcpListener(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	var bg []*starter.Run
	for i := range background {
		exp := capacitySpec(t, fmt.Sprintf("capacity-bg-%d", i), sleeperPIDFile(t), 10*time.Minute, addr)
		run, err := starter.Start(ctx, e.c, exp, starter.Options{TaskQueue: queue})
		if err != nil {
			t.Fatal(err)
		}
		bg = append(bg, run)
	}
	t.Cleanup(func() {
		// Abort the background runs and wait for their reverts.
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer ccancel()
		for _, r := range bg {
			_ = e.c.CancelWorkflow(cctx, r.ID, r.RunID)
		}
		for _, r := range bg {
			_, _ = r.Result(cctx)
		}
	})
	var oldestWaiting time.Time
	waitFor(t, 2*time.Minute, fmt.Sprintf("%d watchers running and %d waiting for a long slot", longSlots, background-longSlots), func() bool {
		started, scheduled, oldest := watchers(ctx, t, e.c, bg)
		if started > longSlots {
			t.Fatalf("%d watchers running at once, the limit is %d", started, longSlots)
		}
		oldestWaiting = oldest
		return started == longSlots && scheduled == background-longSlots
	})

	run, res := e.runToEnd(t, capacitySpec(t, "capacity-probe", sleeperPIDFile(t), 5*time.Second, ""), queue, 2*time.Minute)
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, want Passed; reasons %v", res.Verdict, res.Reasons)
	}
	started, scheduled, _ := watchers(ctx, t, e.c, bg)
	if started != longSlots || scheduled != background-longSlots {
		t.Fatalf("after the run: %d watchers running, %d waiting; the long slots were not saturated throughout", started, scheduled)
	}
	h := fetchHistory(t, e.c, run.ID, run.RunID)
	injectWait, injectAt := activityWait(t, h, "Inject")
	revertWait, revertAt := activityWait(t, h, "Revert")
	// The watchers still waiting have waited since before this run began,
	// longer than its inject and revert: those took no long slot.
	waited := revertAt.Sub(oldestWaiting)
	for what, w := range map[string]time.Duration{"inject": injectWait, "revert": revertWait} {
		if w >= waited/2 {
			t.Errorf("the %s waited %s for a worker; the watchers have waited %s: it queued behind them", what, w, waited)
		}
	}
	t.Logf("long slots %d/%d busy, %d watchers waiting for %s; inject waited %s (at %s), revert %s",
		started, longSlots, scheduled, waited.Round(time.Millisecond), injectWait, injectAt.Format(time.StampMilli), revertWait)
}
