package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/workflows"
)

// campaignPauseStep is an experiment that pauses (SIGSTOP) the target for
// hold, checked before by an SOT probe.
func campaignPauseStep(name string, tg target, hold string) string {
	return fmt.Sprintf(`
        metadata: {name: %s}
        spec:
          faults:
            - name: pause-target
              duration: %s
              process: {selector: {port: %d}, action: pause}
          probes:
            - name: serving-before
              mode: SOT
              http: {url: "http://%s/healthz"}
`, name, hold, tg.port, tg.addr)
}

// deeper indents a step for a parallel group's entry.
func deeper(step string) string { return strings.ReplaceAll(step, "\n        ", "\n            ") }

// noopStep is a probe-only experiment: one SOT check of `true`.
const noopStep = `
        metadata: {name: %s}
        spec:
          probes:
            - name: ok
              mode: SOT
              cmd: {command: ["true"]}
`

func decodeCampaign(t *testing.T, doc string) experiment.Campaign {
	t.Helper()
	c, err := experiment.DecodeCampaign("campaign.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("campaign: %v\n%s", err, doc)
	}
	return *c
}

// workerProcess runs `tempest worker` on queue; kill it with Process.Kill.
func workerProcess(t testing.TB, e env, queue string) *exec.Cmd {
	t.Helper()
	tempestBin, _ := binaries(t)
	w := exec.Command(tempestBin, "worker", "--address", e.srv.FrontendAddress(), "--task-queue", queue, "--worker-state-dir", t.TempDir())
	w.Stdout, w.Stderr = os.Stderr, os.Stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Process.Kill(); _ = w.Wait() })
	return w
}

// childInPlace waits until child workflow id has a fault in place.
func childInPlace(t *testing.T, e env, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	waitFor(t, 60*time.Second, "the fault of "+id+" to be in place", func() bool {
		st, err := starter.Attach(e.c, id, "").Status(ctx)
		return err == nil && len(st.ActiveFaults) > 0
	})
}

// notStopped checks the target runs (not SIGSTOPped), after a margin for
// the revert.
func notStopped(t *testing.T, tg target) {
	t.Helper()
	pid := readPid(t, tg.pidfile)
	waitFor(t, 30*time.Second, "the target to be resumed", func() bool { return processState(pid) != "T" })
}

func startCampaign(t *testing.T, e env, c experiment.Campaign, queue string) *starter.Campaign {
	t.Helper()
	k, err := starter.StartCampaign(context.Background(), e.c, c, starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func campaignResult(t *testing.T, k *starter.Campaign, within time.Duration) experiment.CampaignStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	st, err := k.Result(ctx)
	if err != nil {
		t.Fatalf("campaign result: %v", err)
	}
	return st
}

// TestCampaignSerialAndParallelProcessFaults: a pause of one target, then
// both targets paused together, run by a worker process; every fault is
// reverted, and the campaign's children are found by TempestCampaign.
func TestCampaignSerialAndParallelProcessFaults(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-campaign-steps"
	workerProcess(t, e, queue)
	a, b := startTarget(t, targetBin), startTarget(t, targetBin)
	c := decodeCampaign(t, `kind: Campaign
metadata: {name: it-steps}
spec:
  steps:
    - inline:`+campaignPauseStep("pause-a", a, "1s")+`
    - parallel:
        - inline:`+deeper(campaignPauseStep("pause-a-again", a, "1s"))+`
        - inline:`+deeper(campaignPauseStep("pause-b", b, "1s"))+`
`)
	k := startCampaign(t, e, c, queue)
	st := campaignResult(t, k, 3*time.Minute)
	if st.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s: %s", st.Verdict, st.Reason)
	}
	if len(st.Steps[1].Runs) != 2 || st.Steps[1].Name != "pause-a-again+pause-b" {
		t.Fatalf("parallel step = %+v", st.Steps[1])
	}
	// The parallel experiments overlapped in time.
	r1, r2 := st.Steps[1].Runs[0], st.Steps[1].Runs[1]
	if !r1.StartedAt.Before(r2.EndedAt) || !r2.StartedAt.Before(r1.EndedAt) {
		t.Errorf("parallel runs did not overlap: %+v %+v", r1, r2)
	}
	notStopped(t, a)
	notStopped(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, 30*time.Second, "the campaign and its 3 experiments in visibility", func() bool {
		resp, err := e.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: `TempestCampaign = "it-steps"`})
		return err == nil && len(resp.GetExecutions()) == 4
	})
	recordCampaign(t, e, "serial-and-parallel", k.ID)
}

// TestCampaignStopOnFailure: a step whose SOT probe fails stops the
// campaign; the next step never starts.
func TestCampaignStopOnFailure(t *testing.T) {
	e := newEnv(t)
	const queue = "it-campaign-sof"
	e.inProcessWorker(t, queue)
	c := decodeCampaign(t, `kind: Campaign
metadata: {name: it-sof}
spec:
  stopOnFailure: true
  steps:
    - inline:
        metadata: {name: nothing-listens}
        spec:
          probes:
            - name: closed-port
              mode: SOT
              timeout: 500ms
              tcp: {address: "127.0.0.1:1"}
    - inline:`+fmt.Sprintf(noopStep, "never")+`
`)
	k := startCampaign(t, e, c, queue)
	st := campaignResult(t, k, 2*time.Minute)
	if st.Verdict != experiment.VerdictFailed || !strings.Contains(st.Reason, "step 1 (nothing-listens) did not pass") {
		t.Fatalf("verdict %s: %s", st.Verdict, st.Reason)
	}
	if len(st.Steps[1].Runs) != 0 || st.Steps[1].State != experiment.StepPending {
		t.Fatalf("step 2 = %+v, want never started", st.Steps[1])
	}
	recordCampaign(t, e, "stop-on-failure", k.ID)
}

// TestCampaignApprovalPauseResumeNote: a pause requested during step 1
// holds the campaign after it; resume; step 2's approval is given by an
// Update (an early approval was refused with the reason); step 3's times
// out and is skipped; a note is kept.
func TestCampaignApprovalPauseResumeNote(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-campaign-gates"
	workerProcess(t, e, queue)
	tg := startTarget(t, targetBin)
	c := decodeCampaign(t, `kind: Campaign
metadata: {name: it-gates}
spec:
  steps:
    - inline:`+campaignPauseStep("pause-first", tg, "3s")+`
    - approval: {prompt: "go on?", timeout: 10m}
      inline:`+fmt.Sprintf(noopStep, "approved")+`
    - approval: {timeout: 2s}
      inline:`+fmt.Sprintf(noopStep, "times-out")+`
    - inline:`+fmt.Sprintf(noopStep, "last")+`
`)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := startCampaign(t, e, c, queue)
	childInPlace(t, e, k.ID+".s1.r1")
	if _, err := k.Approve(ctx, 0, "it"); err == nil || !strings.Contains(err.Error(), "step 1 (pause-first) is not waiting for approval: it is Running") {
		t.Fatalf("early approve = %v", err)
	}
	if _, err := k.Pause(ctx, "look at the dashboards", "it"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Note(ctx, "latency went up during the pause", "it"); err != nil {
		t.Fatal(err)
	}
	var st experiment.CampaignStatus
	waitFor(t, 60*time.Second, "the campaign to pause after step 1", func() bool {
		var err error
		st, err = k.Status(ctx)
		return err == nil && st.State == experiment.CampaignPaused
	})
	time.Sleep(time.Second) // paused means paused: step 2 does not start
	if st, _ = k.Status(ctx); st.State != experiment.CampaignPaused || st.Current != 1 || st.Steps[1].State != experiment.StepPending {
		t.Fatalf("paused: state %s current %d step 2 %s", st.State, st.Current, st.Steps[1].State)
	}
	if _, err := k.Resume(ctx, "it"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "step 2's approval", func() bool {
		st, err := k.Status(ctx)
		return err == nil && st.Pending != nil && st.Pending.Step == 1
	})
	approvedAt := time.Now()
	if _, err := k.Approve(ctx, 2, "it"); err != nil {
		t.Fatal(err)
	}
	st = campaignResult(t, k, 2*time.Minute)
	if st.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s: %s", st.Verdict, st.Reason)
	}
	if r := st.Steps[1].Runs; len(r) != 1 || r[0].StartedAt.Before(approvedAt.Add(-time.Second)) {
		t.Errorf("step 2 runs = %+v, want one started after the approval", r)
	}
	if s := st.Steps[2]; s.State != experiment.StepSkipped || len(s.Runs) != 0 || !strings.Contains(s.Reason, "nobody approved it within 2s") {
		t.Errorf("step 3 = %+v, want skipped after its approval timed out", s)
	}
	if len(st.Steps[3].Runs) != 1 || len(st.Notes) != 1 || st.Notes[0].Text != "latency went up during the pause" {
		t.Errorf("step 4 %+v, notes %+v", st.Steps[3], st.Notes)
	}
	notStopped(t, tg)
	recordCampaign(t, e, "approval-pause-resume-note", k.ID)
}

// TestCampaignGuardBreach: a guard fails while step 1 holds its fault:
// the experiment is aborted and its target resumed, and the campaign ends
// Failed naming the guard; step 2 never runs.
func TestCampaignGuardBreach(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-campaign-guard"
	workerProcess(t, e, queue)
	tg := startTarget(t, targetBin)
	flag := filepath.Join(t.TempDir(), "breach")
	c := decodeCampaign(t, fmt.Sprintf(`kind: Campaign
metadata: {name: it-guard}
spec:
  guards:
    - name: no-breach-flag
      interval: 500ms
      timeout: 2s
      cmd: {command: ["sh", "-c", "test ! -e %s"]}
  steps:
    - inline:`+campaignPauseStep("pause-long", tg, "2m")+`
    - inline:`+fmt.Sprintf(noopStep, "never")+`
`, flag))
	k := startCampaign(t, e, c, queue)
	child := k.ID + ".s1.r1"
	childInPlace(t, e, child)
	pid := readPid(t, tg.pidfile)
	if processState(pid) != "T" {
		t.Fatalf("target state %q, want stopped while the fault holds", processState(pid))
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st := campaignResult(t, k, 2*time.Minute)
	if st.Verdict != experiment.VerdictFailed || !strings.Contains(st.Reason, `guard "no-breach-flag" breached`) {
		t.Fatalf("verdict %s: %s", st.Verdict, st.Reason)
	}
	if processState(pid) == "T" {
		t.Fatal("the target is still stopped after the campaign ended")
	}
	if r := st.Steps[0].Runs; len(r) != 1 || r[0].Verdict != experiment.VerdictAborted || len(st.Steps[1].Runs) != 0 {
		t.Fatalf("steps = %+v", st.Steps)
	}
	if len(st.Guards) != 1 || st.Guards[0].Failures == 0 {
		t.Errorf("guards = %+v", st.Guards)
	}
	recordCampaign(t, e, "guard-breach", k.ID)
}

// TestCampaignCancelRevertsTheChild: cancelling the campaign during a
// child's hold cancels the child, which resumes its target.
func TestCampaignCancelRevertsTheChild(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-campaign-cancel"
	e.inProcessWorker(t, queue)
	tg := startTarget(t, targetBin)
	c := decodeCampaign(t, `kind: Campaign
metadata: {name: it-cancel}
spec:
  steps:
    - inline:`+campaignPauseStep("pause-long", tg, "2m")+`
`)
	k := startCampaign(t, e, c, queue)
	child := k.ID + ".s1.r1"
	childInPlace(t, e, child)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.c.CancelWorkflow(ctx, k.ID, ""); err != nil {
		t.Fatal(err)
	}
	res, err := starter.Attach(e.c, child, "").Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != experiment.VerdictAborted || res.Faults[0].Reverts != 1 {
		t.Fatalf("child verdict %s, fault %+v", res.Verdict, res.Faults[0])
	}
	notStopped(t, tg)
	st, err := k.Result(ctx)
	if err != nil || st.Verdict != experiment.VerdictAborted {
		t.Fatalf("campaign %s, %v", st.Verdict, err)
	}
	recordCampaign(t, e, "cancel-mid-hold", k.ID)
}

// TestCampaignWorkerKill: the worker process is killed with SIGKILL during
// step 1's hold; a new worker finishes the campaign, every fault reverted.
func TestCampaignWorkerKill(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-campaign-kill"
	w := workerProcess(t, e, queue)
	tg := startTarget(t, targetBin)
	c := decodeCampaign(t, `kind: Campaign
metadata: {name: it-kill}
spec:
  steps:
    - inline:`+campaignPauseStep("pause-one", tg, "4s")+`
    - inline:`+campaignPauseStep("pause-two", tg, "1s")+`
`)
	k := startCampaign(t, e, c, queue)
	childInPlace(t, e, k.ID+".s1.r1")
	if err := w.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = w.Wait()
	workerProcess(t, e, queue)
	st := campaignResult(t, k, 3*time.Minute)
	if st.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s: %s (%+v)", st.Verdict, st.Reason, st.Steps)
	}
	notStopped(t, tg)
}

// TestCampaign300Steps: 300 no-op steps; every history segment stays under
// 2,000 events and the final status holds all 300 results.
func TestCampaign300Steps(t *testing.T) {
	e := newEnv(t)
	const queue = "it-campaign-300"
	e.inProcessWorker(t, queue)
	var b strings.Builder
	b.WriteString("kind: Campaign\nmetadata: {name: it-300}\nspec:\n  steps:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "    - inline:"+noopStep, fmt.Sprintf("noop-%d", i))
	}
	k := startCampaign(t, e, decodeCampaign(t, b.String()), queue)
	st := campaignResult(t, k, 8*time.Minute)
	if st.Verdict != experiment.VerdictPassed || len(st.Steps) != 300 {
		t.Fatalf("verdict %s, %d steps: %s", st.Verdict, len(st.Steps), st.Reason)
	}
	for i, s := range st.Steps {
		if s.State != experiment.StepDone || len(s.Runs) != 1 || s.Runs[0].Verdict != experiment.VerdictPassed {
			t.Fatalf("step %d = %+v", i+1, s)
		}
	}
	runs := campaignRuns(t, e, k.ID)
	if len(runs) < 3 || st.Segment != len(runs)-1 {
		t.Fatalf("%d history segments (status says %d), want at least 3", len(runs), st.Segment+1)
	}
	for _, runID := range runs {
		if n := len(fetchHistory(t, e.c, k.ID, runID).Events); n >= 2000 {
			t.Errorf("segment %s has %d events, want < 2000", runID, n)
		}
	}
}

// campaignRuns lists the run IDs of a campaign's segments, oldest first.
func campaignRuns(t testing.TB, e env, id string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Visibility lags the close a little: list until no run is open.
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs, open := listRuns(ctx, t, e, id)
		if !open {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign %s still running", id)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// listRuns lists the runs of workflow id, oldest first, and whether one
// is open.
func listRuns(ctx context.Context, t testing.TB, e env, id string) (runs []string, open bool) {
	t.Helper()
	var token []byte
	for {
		resp, err := e.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = %q", id), NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range resp.GetExecutions() {
			open = open || ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
			runs = append([]string{ex.GetExecution().GetRunId()}, runs...)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return runs, open
		}
	}
}

// recordCampaign replays every segment of the campaign's history with the
// current code and, with TEMPEST_RECORD_CORPUS=1, saves each to
// workflows/testdata/campaign as <prefix><name>[-segment-N].json (never
// over an existing file: the corpus is append-only).
func recordCampaign(t *testing.T, e env, name, id string) {
	t.Helper()
	for i, runID := range campaignRuns(t, e, id) {
		h := fetchHistory(t, e.c, id, runID)
		replayCampaign(t, h, id, runID)
		file := name
		if i > 0 {
			file += fmt.Sprintf("-segment-%d", i)
		}
		saveCampaignCorpus(t, file, h)
	}
}

func saveCampaignCorpus(t *testing.T, name string, h *historypb.History) {
	t.Helper()
	if os.Getenv("TEMPEST_RECORD_CORPUS") == "" {
		return
	}
	path := filepath.Join("..", "workflows", "testdata", "campaign", os.Getenv("TEMPEST_CORPUS_PREFIX")+name+".json")
	data, err := protojson.MarshalOptions{Indent: " "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("the corpus is append-only: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

// replayCampaign replays a campaign segment with the current code.
func replayCampaign(t *testing.T, h *historypb.History, id, runID string) {
	t.Helper()
	r := sdkworker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
	opts := sdkworker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id, RunID: runID}}
	if err := r.ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
		t.Fatalf("replay: %v", err)
	}
}
