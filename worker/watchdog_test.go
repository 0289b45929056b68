package worker_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/worker"
)

// countingFault records the targets it reverted.
type countingFault struct {
	mu       sync.Mutex
	reverted []string
}

func (f *countingFault) Targets(context.Context, experiment.Fault) ([]experiment.Target, error) {
	return nil, nil
}
func (f *countingFault) Inject(context.Context, fault.Request) (fault.State, error) {
	return fault.State{}, nil
}
func (f *countingFault) Revert(_ context.Context, req fault.Request, _ fault.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reverted = append(f.reverted, req.Target.ID)
	return nil
}

// startRun starts a workflow no worker polls for: it stays Running.
func startRun(t *testing.T, c client.Client, id string) fault.Run {
	t.Helper()
	run, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: "nobody-polls"}, "Nothing")
	if err != nil {
		t.Fatal(err)
	}
	return fault.Run{WorkflowID: run.GetID(), RunID: run.GetRunID(), Experiment: id}
}

func TestWatchdogRevertsOnlyEndedOrFencedRuns(t *testing.T) {
	_, c := devtest.Start(t)
	impl := &countingFault{}
	reg := fault.NewRegistry()
	reg.Register(experiment.FaultProcess, impl)
	dir := t.TempDir()
	acts := &activities.Activities{
		Faults:   reg,
		Fences:   &activities.FileFences{Dir: filepath.Join(dir, "fences")},
		Ledger:   &activities.Ledger{Dir: filepath.Join(dir, "ledger")},
		Temporal: c,
	}
	running := startRun(t, c, "wd-running")
	terminated := startRun(t, c, "wd-terminated")
	unknown := fault.Run{WorkflowID: "wd-other-server", RunID: "0b7c1c9e-0000-4000-8000-000000000000"}
	req := func(run fault.Run, target string, injection int) fault.Request {
		return fault.Request{Run: run, Target: experiment.Target{ID: target}, Injection: injection,
			Fault: experiment.Fault{Name: "f", Process: &experiment.ProcessFault{Action: experiment.ProcessPause}}}
	}
	// Running: injection 1 stays; injection 2's revert has begun (fenced).
	// "shared": the terminated run's injection on a target that a running
	// run's injection still holds (a reset, or two experiments on one target).
	all := []fault.Request{req(running, "running-1", 1), req(running, "running-2", 2), req(terminated, "terminated", 1),
		req(unknown, "unknown", 1), req(terminated, "shared", 2), req(running, "shared", 3)}
	for _, r := range all {
		if _, err := acts.Inject(t.Context(), r); err != nil {
			t.Fatalf("inject %s: %v", r.Target.ID, err)
		}
	}
	if err := acts.Fences.Fence(t.Context(), req(running, "running-2", 2)); err != nil {
		t.Fatal(err)
	}
	if err := c.TerminateWorkflow(t.Context(), terminated.WorkflowID, terminated.RunID, "test"); err != nil {
		t.Fatal(err)
	}

	wd := &worker.Watchdog{Client: c, Acts: acts, Grace: -1}
	swept := wd.Sweep(t.Context())
	for _, s := range swept {
		if s.Err != nil {
			t.Errorf("%s", s)
		}
	}
	impl.mu.Lock()
	got := append([]string(nil), impl.reverted...)
	impl.mu.Unlock()
	want := map[string]bool{"running-2": true, "terminated": true}
	if len(got) != len(want) || !want[got[0]] || !want[got[1]] {
		t.Fatalf("reverted %v, want exactly %v (never a running run's live injection, nor another server's)", got, want)
	}
	left, err := acts.Ledger.Entries()
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, e := range left {
		kept[e.Request.Target.ID] = true
	}
	if len(left) != 3 || !kept["running-1"] || !kept["unknown"] || !kept["shared"] {
		t.Fatalf("ledger keeps %v, want running-1, unknown and the running run's injection of shared", left)
	}
	for _, e := range left {
		if e.Request.Target.ID == "shared" && e.Request.Run != running {
			t.Fatalf("the terminated run's injection of a held target stays in the ledger")
		}
	}
	// A late inject of the terminated run changes nothing.
	if _, err := acts.Inject(t.Context(), req(terminated, "terminated", 2)); err == nil {
		t.Fatal("an inject for a terminated run was let through")
	}
}
