package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// TestStatusOfAFinishedRunNeedsNoWorker: a run kills a process it cannot
// restart and fails its EOT probe; once its worker has stopped, `tempest
// status` reads the verdict, the reasons and the fault's wording from the
// server alone, in text and JSON.
func TestStatusOfAFinishedRunNeedsNoWorker(t *testing.T) {
	srv, c := devtest.Start(t)
	const queue = "cli-status-finished"
	victim := exec.Command("sleep", "300")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = victim.Process.Kill(); _ = victim.Wait() })
	pidfile := filepath.Join(t.TempDir(), "pid")
	if err := os.WriteFile(pidfile, []byte(fmt.Sprint(victim.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	exp, err := experiment.Decode("fails.yaml", []byte(fmt.Sprintf(`kind: Experiment
metadata:
  name: status-finished
spec:
  faults:
    - name: kill-sleep
      duration: 1s
      process:
        selector: {pidFile: %q}
  probes:
    - name: nothing-serves
      mode: EOT
      timeout: 500ms
      http: {url: "http://127.0.0.1:1/"}
`, pidfile)))
	if err != nil {
		t.Fatal(err)
	}
	var id string
	t.Run("run", func(t *testing.T) { // its worker stops when it ends
		workertest.Start(t, c, queue, worker.Config{})
		run, err := starter.Start(t.Context(), c, *exp, starter.Options{TaskQueue: queue})
		if err != nil {
			t.Fatal(err)
		}
		id = run.ID
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		if res, err := run.Result(ctx); err != nil || res.Verdict != experiment.VerdictFailed {
			t.Fatalf("verdict %s, err %v, want Failed", res.Verdict, err)
		}
	})
	if id == "" {
		t.FailNow()
	}

	stdout, stderr, code := execute(t, "--address", srv.FrontendAddress(), "status", "--ui-url", "http://ui.example/", id)
	if code != exitPassed {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, want := range []string{
		"(run ", "): ended after ", "(Temporal status Failed)", "Experiment status-finished: Failed (resilience score ",
		"  - ", "fault kill-sleep", "injections 1, not restored (a kill with no restart command)",
		"probe nothing-serves", "UI: http://ui.example/namespaces/default/workflows/" + id + "/",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, stdout)
		}
	}

	stdout, stderr, code = execute(t, "--address", srv.FrontendAddress(), "status", "-o", "json", id)
	if code != exitPassed {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	var v struct {
		State          string
		ElapsedSeconds float64
		Result         struct {
			Verdict string
			Reasons []string
			Faults  []struct{ NotRestored bool }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if v.State != "Failed" || v.Result.Verdict != "Failed" || len(v.Result.Reasons) == 0 || v.ElapsedSeconds <= 0 ||
		len(v.Result.Faults) != 1 || !v.Result.Faults[0].NotRestored {
		t.Fatalf("status JSON %+v\n%s", v, stdout)
	}
}

// TestStatusOfARunningRunWithoutWorker: no worker runs the experiment;
// `tempest status` still shows it running, how long it has run and its
// plan, and says no worker answered, rather than failing.
func TestStatusOfARunningRunWithoutWorker(t *testing.T) {
	srv, c := devtest.Start(t)
	exp, err := experiment.Decode("no-worker.yaml", []byte(noWorkerSpec))
	if err != nil {
		t.Fatal(err)
	}
	run, err := starter.Start(t.Context(), c, *exp, starter.Options{TaskQueue: "cli-status-no-worker"})
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := execute(t, "--address", srv.FrontendAddress(), "status", run.ID)
	if code != exitPassed {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, want := range []string{"Experiment no-worker, workflow " + run.ID, "): running", "phase:    unknown", "of at most 1m", "no worker answered the status query within 3s"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, stdout)
		}
	}
}
