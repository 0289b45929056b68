package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/network"
	"github.com/tempest-chaos/tempest/fault/network/netnstest"
	"github.com/tempest-chaos/tempest/fault/process"
	"github.com/tempest-chaos/tempest/worker"
)

// pausedSleeper starts a process, pauses it through the activities (so the
// ledger in their state dir records it) for run, and returns its pid.
func pausedSleeper(t *testing.T, acts *activities.Activities, run fault.Run) int {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pidFile := filepath.Join(t.TempDir(), "pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	f := experiment.Fault{Name: "pause", Process: &experiment.ProcessFault{
		Selector: experiment.ProcessSelector{PIDFile: pidFile}, Action: experiment.ProcessPause}}
	targets, err := process.New().Targets(t.Context(), f)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets %v, %v", targets, err)
	}
	if _, err := acts.Inject(t.Context(), fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}); err != nil {
		t.Fatal(err)
	}
	if st := procState(cmd.Process.Pid); st != "T" {
		t.Fatalf("not paused: state %q", st)
	}
	return cmd.Process.Pid
}

// procState is the state letter of /proc/PID/stat ("T": stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}

// startIdle starts a workflow no worker polls for: it stays Running.
func startIdle(t *testing.T, c client.Client, id string) fault.Run {
	t.Helper()
	run, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: "nobody-polls"}, "Nothing")
	if err != nil {
		t.Fatal(err)
	}
	return fault.Run{WorkflowID: run.GetID(), RunID: run.GetRunID(), Experiment: id}
}

func TestCleanupRevertsEndedRunsOnly(t *testing.T) {
	srv, c := devtest.Start(t)
	stateDir := t.TempDir()
	acts, closeActs := worker.NewActivities(worker.Config{StateDir: stateDir})
	defer closeActs()

	running := startIdle(t, c, "cleanup-running")
	ended := startIdle(t, c, "cleanup-ended")
	runningPid := pausedSleeper(t, acts, running)
	endedPid := pausedSleeper(t, acts, ended)
	if err := c.TerminateWorkflow(t.Context(), ended.WorkflowID, ended.RunID, "test"); err != nil {
		t.Fatal(err)
	}

	// No kubeconfig: process faults need none.
	stdout, stderr, code := execute(t, "--address", srv.FrontendAddress(), "--kubeconfig", "", "cleanup", "--worker-state-dir", stateDir)
	if code != exitPassed {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("cleanup:\n%s", stdout)
	if st := procState(endedPid); st == "T" || st == "" {
		t.Fatalf("the terminated run's target is in state %q after cleanup\n%s", st, stdout)
	}
	if st := procState(runningPid); st != "T" {
		t.Fatalf("cleanup resumed the target of a run still running (state %q)\n%s", st, stdout)
	}
	if !strings.Contains(stdout, "reverted process fault \"pause\"") || !strings.Contains(stdout, "skipped") || !strings.Contains(stdout, "run still Running") {
		t.Fatalf("output:\n%s", stdout)
	}

	// --run names the running one: reverted without asking Temporal.
	stdout, stderr, code = execute(t, "--address", "127.0.0.1:1", "--kubeconfig", "", "cleanup", "--worker-state-dir", stateDir, "--run", running.RunID)
	if code != exitPassed {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if st := procState(runningPid); st == "T" || st == "" {
		t.Fatalf("cleanup --run left its target in state %q\n%s", st, stdout)
	}
	stdout, _, code = execute(t, "--address", srv.FrontendAddress(), "--kubeconfig", "", "cleanup", "--worker-state-dir", stateDir)
	if code != exitPassed || !strings.Contains(stdout, "nothing left behind") {
		t.Fatalf("exit %d, output:\n%s", code, stdout)
	}
}

// Without --kubeconfig, cleanup in a pod reaches Kubernetes with the pod's
// ServiceAccount (the in-cluster worker's), and on a host without one
// cleans only the host's own faults.
func TestCleanupInAPodUsesItsServiceAccount(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	sa := t.TempDir()
	t.Setenv(serviceAccountDirEnv, sa)
	t.Setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "1") // nothing listens
	state := t.TempDir()

	// No token mounted: not in a pod; the ledger (empty) only.
	out, errOut, code := execute(t, "cleanup", "--run", "r1", "--worker-state-dir", state)
	if code != exitPassed || strings.Contains(out, "ServiceAccount") || !strings.Contains(out, "nothing left behind") {
		t.Fatalf("without a token: code %d, out %q, err %q", code, out, errOut)
	}

	// A mounted token: the pod's ServiceAccount is used, so cleanup asks
	// the API server it names (here, nothing answers) and fails saying so.
	for name, content := range map[string]string{"token": "t0ken", "ca.crt": "", "namespace": "tempest"} {
		if err := os.WriteFile(filepath.Join(sa, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code = execute(t, "cleanup", "--run", "r1", "--worker-state-dir", state)
	if code != exitErrored || !strings.Contains(out, "ServiceAccount") || !strings.Contains(errOut, "https://127.0.0.1:1/") {
		t.Fatalf("with a token: code %d, out %q, err %q; want the in-cluster API server tried", code, out, errOut)
	}
}

// A network fault's table left by a killed run that the ledger does not
// list is found by its marker and removed once the run has ended; one of
// a running run stays.
func TestCleanupSweepsMarkedLeftovers(t *testing.T) {
	srv, c := devtest.Start(t)
	ns := netnstest.New(t, "tpst-cleanup")

	impl := network.Kind.New(fault.Env{})
	plant := func(run fault.Run) {
		f := experiment.Fault{Name: "cut", Block: &network.Spec{Action: network.Partition, Namespace: ns}}
		targets, err := impl.Targets(t.Context(), f)
		if err != nil || len(targets) != 1 {
			t.Fatalf("targets %v, %v", targets, err)
		}
		if _, err := impl.Inject(t.Context(), fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}); err != nil {
			t.Fatal(err)
		}
	}
	running := startIdle(t, c, "sweep-running")
	ended := startIdle(t, c, "sweep-ended")
	plant(running)
	plant(ended)
	if err := c.TerminateWorkflow(t.Context(), ended.WorkflowID, ended.RunID, "test"); err != nil {
		t.Fatal(err)
	}
	// An empty ledger: only the markers say what is left.
	stdout, stderr, code := execute(t, "--address", srv.FrontendAddress(), "--kubeconfig", "", "cleanup", "--worker-state-dir", t.TempDir())
	if code != exitPassed {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "removed network fault leftover") || !strings.Contains(stdout, "(run "+ended.RunID+")") {
		t.Fatalf("the ended run's table was not removed:\n%s", stdout)
	}
	tables := tablesOfRun(t, ns)
	if tables[ended.RunID] != 0 || tables[running.RunID] != 1 {
		t.Fatalf("tables by run after cleanup = %v: want the ended run's gone and the running run's kept\n%s", tables, stdout)
	}
}

// tablesOfRun counts the Tempest tables in namespace ns by run ID.
func tablesOfRun(t *testing.T, ns string) map[string]int {
	t.Helper()
	left, err := (&network.Driver{}).Leftovers(t.Context(), network.Target{Name: ns})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range left {
		_, runID, _ := strings.Cut(l.Marker.Run, "/")
		out[runID]++
	}
	return out
}
