package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// killSpec kills the target on its port, holds for hold and restarts it
// with restart (none when empty); an EOT probe then checks it serves.
func killSpec(tg target, hold time.Duration, restart []string) string {
	restartLine := ""
	if len(restart) > 0 {
		restartLine = fmt.Sprintf("        restart: [%s]\n", quoteAll(restart))
	}
	return fmt.Sprintf(`kind: Experiment
metadata:
  name: kill-target
spec:
  hypothesis: the target comes back after a kill
  faults:
    - name: kill-target
      duration: %s
      process:
        selector: {port: %d}
        signal: SIGKILL
%s  probes:
    - name: serving-before
      mode: SOT
      http: {url: "http://%s/healthz"}
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 6
      http: {url: "http://%s/healthz"}
`, hold, tg.port, restartLine, tg.addr, tg.addr)
}

func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, ", ")
}

func TestKillAndRestartPasses(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-pass")
	tg := startTarget(t, targetBin)

	run, res := e.runToEnd(t, decode(t, killSpec(tg, 2*time.Second, tg.argv())), "it-pass", 2*time.Minute)
	replay(t, fetchHistory(t, e.c, run.ID, run.RunID))

	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if got := countLines(t, tg.starts); got != 2 {
		t.Fatalf("target started %d times, want 2 (the first start and exactly one restart)", got)
	}
	if f := res.Faults[0]; f.Injections != 1 || f.Reverts != 1 {
		t.Fatalf("fault %+v, want 1 injection and 1 revert", f)
	}
}

func TestTargetThatNeverComesBackFails(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-fail")
	tg := startTarget(t, targetBin)

	_, res := e.runToEnd(t, decode(t, killSpec(tg, time.Second, nil)), "it-fail", 2*time.Minute)

	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed; reasons %v", res.Verdict, res.Reasons)
	}
	if len(res.Probes) != 2 || res.Probes[1].Name != "serving-after" || res.Probes[1].Passed {
		t.Fatalf("probes %+v, want serving-after failed", res.Probes)
	}
}

// TestWorkerCrashDuringHold kills -9 the worker process while the fault is
// held; a new worker finishes the experiment and the revert runs once.
func TestWorkerCrashDuringHold(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	e := newEnv(t)
	tg := startTarget(t, targetBin)
	const queue = "it-crash"
	startWorker := func() *exec.Cmd {
		cmd := exec.Command(tempestBin, "worker", "--address", e.srv.FrontendAddress(), "--task-queue", queue)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	first := startWorker()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, e.c, decode(t, killSpec(tg, 8*time.Second, tg.argv())), starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the fault to be injected", func() bool {
		st, err := run.Status(ctx)
		return err == nil && len(st.ActiveFaults) == 1
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()
	startWorker()

	res, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if got := countLines(t, tg.starts); got != 2 {
		t.Fatalf("target started %d times, want 2: the revert must run exactly once", got)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", within, what)
}
