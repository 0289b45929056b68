package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
)

// fakeExperiments stands in for ExperimentWorkflow: an experiment named
// "fail-*" fails; one labelled hold waits that long (on a timer) unless
// aborted by Signal or cancelled, which ends it Aborted.
type fakeExperiments struct {
	mu      sync.Mutex
	started []string
	aborted []string
}

func (f *fakeExperiments) run(ctx workflow.Context, exp experiment.Experiment) (experiment.Result, error) {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	f.mu.Lock()
	f.started = append(f.started, id)
	f.mu.Unlock()
	res := experiment.Result{Experiment: exp.Metadata.Name, Verdict: experiment.VerdictPassed, ResilienceScore: 100}
	if h := exp.Metadata.Labels["hold"]; h != "" {
		d, _ := time.ParseDuration(h)
		abort := ""
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(workflow.NewTimer(ctx, d), func(workflow.Future) {})
		sel.AddReceive(workflow.GetSignalChannel(ctx, SignalAbort), func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, &abort) })
		sel.Select(ctx)
		if ctx.Err() != nil {
			abort = "cancelled"
		}
		if abort != "" {
			f.mu.Lock()
			f.aborted = append(f.aborted, id+": "+abort)
			f.mu.Unlock()
			res.Verdict, res.Reasons, res.ResilienceScore = experiment.VerdictAborted, []string{abort}, 0
			return experiment.Result{}, verdictError(res)
		}
	}
	if strings.HasPrefix(exp.Metadata.Name, "fail") {
		res.Verdict, res.Reasons, res.ResilienceScore = experiment.VerdictFailed, []string{"probe \"p\" failed"}, 40
		return experiment.Result{}, verdictError(res)
	}
	return res, nil
}

func inlineExp(name string, labels ...string) *experiment.Experiment {
	e := spec(nil, httpProbe("p", experiment.ModeSOT))
	e.Metadata.Name = name
	if len(labels) == 2 {
		e.Metadata.Labels = map[string]string{labels[0]: labels[1]}
	}
	return &e
}

func campaignOf(steps ...experiment.CampaignStep) experiment.Campaign {
	return experiment.Campaign{Kind: experiment.KindCampaign, Metadata: experiment.Metadata{Name: "camp"}, Spec: experiment.CampaignSpec{Steps: steps}}
}

func newCampaignEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *fakeExperiments) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	f := &fakeExperiments{}
	env.RegisterWorkflowWithOptions(CampaignWorkflow, workflow.RegisterOptions{Name: CampaignWorkflowName})
	env.RegisterWorkflowWithOptions(f.run, workflow.RegisterOptions{Name: ExperimentWorkflowName})
	env.RegisterActivity(a)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "c1"})
	return env, f
}

// campaignOutcome returns the final status, passed or not.
func campaignOutcome(t *testing.T, env *testsuite.TestWorkflowEnvironment) experiment.CampaignStatus {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("campaign did not complete")
	}
	var st experiment.CampaignStatus
	err := env.GetWorkflowResult(&st)
	if err != nil {
		failed, ok := CampaignResultOf(err)
		if !ok {
			t.Fatalf("campaign error without a status: %v", err)
		}
		st = failed
	}
	return st
}

func TestCampaignSerialAndParallel(t *testing.T) {
	env, f := newCampaignEnv(t)
	c := campaignOf(
		experiment.CampaignStep{Inline: inlineExp("one")},
		experiment.CampaignStep{Parallel: []experiment.StepExperiment{{Inline: inlineExp("two")}, {Inline: inlineExp("three")}}, Cooldown: experiment.Duration(time.Minute)},
		experiment.CampaignStep{Inline: inlineExp("four"), Repeat: &experiment.Repeat{Count: 2}},
	)
	env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
	st := campaignOutcome(t, env)
	if st.Verdict != experiment.VerdictPassed || st.State != experiment.CampaignDone {
		t.Fatalf("verdict %s state %s (%s)", st.Verdict, st.State, st.Reason)
	}
	want := "c1.s1.r1 c1.s2.r1.e1 c1.s2.r1.e2 c1.s3.r1 c1.s3.r2"
	if got := strings.Join(f.started, " "); got != want {
		t.Errorf("children = %s, want %s", got, want)
	}
	if got := st.Steps[1].Name; got != "two+three" {
		t.Errorf("step name = %q", got)
	}
	if n := len(st.Steps[2].Runs); n != 2 || st.Steps[2].Verdict != experiment.VerdictPassed || st.Steps[2].ResilienceScore != 100 {
		t.Errorf("step 3 = %+v", st.Steps[2])
	}
}

func TestCampaignStopOnFailure(t *testing.T) {
	for _, stop := range []bool{true, false} {
		t.Run(fmt.Sprint(stop), func(t *testing.T) {
			env, f := newCampaignEnv(t)
			c := campaignOf(experiment.CampaignStep{Inline: inlineExp("fail-one")}, experiment.CampaignStep{Inline: inlineExp("two")})
			c.Spec.StopOnFailure = stop
			env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
			st := campaignOutcome(t, env)
			if st.Verdict != experiment.VerdictFailed || st.Steps[0].ResilienceScore != 40 {
				t.Fatalf("verdict %s, step %+v", st.Verdict, st.Steps[0])
			}
			if ran := len(f.started); (stop && ran != 1) || (!stop && ran != 2) {
				t.Errorf("stopOnFailure %v: %d experiments ran", stop, ran)
			}
			if stop && !strings.Contains(st.Reason, "step 1 (fail-one) did not pass") {
				t.Errorf("reason = %q", st.Reason)
			}
		})
	}
}

func TestCampaignApprovalApproved(t *testing.T) {
	env, f := newCampaignEnv(t)
	c := campaignOf(
		experiment.CampaignStep{Inline: inlineExp("one")},
		experiment.CampaignStep{Inline: inlineExp("two"), Approval: &experiment.Approval{Prompt: "go?", Timeout: experiment.Duration(time.Hour)}},
	)
	var early, wrong, ok error
	var pending *experiment.PendingApproval
	env.RegisterDelayedCallback(func() {
		// Step 1 is running: approving is rejected with the reason.
		env.UpdateWorkflow(UpdateApprove, "u0", updateCallback(&early), CampaignAction{})
	}, 0)
	env.RegisterDelayedCallback(func() {
		v, _ := env.QueryWorkflow(QueryCampaignStatus)
		var st experiment.CampaignStatus
		_ = v.Get(&st)
		pending = st.Pending
		env.UpdateWorkflow(UpdateApprove, "u1", updateCallback(&wrong), CampaignAction{Step: 1})
		env.UpdateWorkflow(UpdateApprove, "u2", updateCallback(&ok), CampaignAction{Step: 2, By: "ana"})
	}, 10*time.Minute)
	env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
	st := campaignOutcome(t, env)
	if early == nil || !strings.Contains(early.Error(), "step 1 (one) is not waiting for approval: it is ") {
		t.Errorf("early approve = %v", early)
	}
	if wrong == nil || !strings.Contains(wrong.Error(), "step 1 is not waiting for approval; step 2 (two) is") {
		t.Errorf("approve of the wrong step = %v", wrong)
	}
	if ok != nil || pending == nil || pending.Prompt != "go?" || pending.Step != 1 {
		t.Errorf("approve = %v, pending = %+v", ok, pending)
	}
	if st.Verdict != experiment.VerdictPassed || len(f.started) != 2 {
		t.Errorf("verdict %s, %d ran", st.Verdict, len(f.started))
	}
}

func TestCampaignApprovalTimesOut(t *testing.T) {
	for _, action := range []experiment.ApprovalTimeoutAction{experiment.ApprovalSkip, experiment.ApprovalStop} {
		t.Run(string(action), func(t *testing.T) {
			env, f := newCampaignEnv(t)
			c := campaignOf(
				experiment.CampaignStep{Inline: inlineExp("one"), Approval: &experiment.Approval{Timeout: experiment.Duration(time.Hour), OnTimeout: action}},
				experiment.CampaignStep{Inline: inlineExp("two")},
			)
			env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
			st := campaignOutcome(t, env)
			switch action {
			case experiment.ApprovalSkip:
				if st.Verdict != experiment.VerdictPassed || st.Steps[0].State != experiment.StepSkipped || strings.Join(f.started, " ") != "c1.s2.r1" {
					t.Errorf("verdict %s, step 1 %+v, ran %v", st.Verdict, st.Steps[0], f.started)
				}
			case experiment.ApprovalStop:
				if st.Verdict != experiment.VerdictAborted || len(f.started) != 0 || !strings.Contains(st.Reason, "nobody approved step 1") {
					t.Errorf("verdict %s (%s), ran %v", st.Verdict, st.Reason, f.started)
				}
			}
		})
	}
}

func TestCampaignPauseResumeSkipNote(t *testing.T) {
	env, f := newCampaignEnv(t)
	c := campaignOf(
		experiment.CampaignStep{Inline: inlineExp("one", "hold", "10m")},
		experiment.CampaignStep{Inline: inlineExp("two")},
		experiment.CampaignStep{Inline: inlineExp("three")},
	)
	var pauseErr, resumeEarly, skipRunning, skipErr, noteErr error
	var paused experiment.CampaignStatus
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateResume, "r0", updateCallback(&resumeEarly), CampaignAction{})
		env.UpdateWorkflow(UpdatePause, "p1", updateCallback(&pauseErr), CampaignAction{})
		env.UpdateWorkflow(UpdateSkip, "s0", updateCallback(&skipRunning), CampaignAction{})
		env.UpdateWorkflow(UpdateSkip, "s1", updateCallback(&skipErr), CampaignAction{Step: 3, By: "ana"})
		env.UpdateWorkflow(UpdateNote, "n1", updateCallback(&noteErr), CampaignAction{Text: "latency up in the dashboard", By: "ana"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		v, _ := env.QueryWorkflow(QueryCampaignStatus)
		_ = v.Get(&paused)
		env.UpdateWorkflow(UpdateResume, "r1", updateCallback(new(error)), CampaignAction{})
	}, 2*time.Hour)
	env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
	st := campaignOutcome(t, env)
	if resumeEarly == nil || pauseErr != nil || skipErr != nil || noteErr != nil {
		t.Errorf("resume %v, pause %v, skip %v, note %v", resumeEarly, pauseErr, skipErr, noteErr)
	}
	if skipRunning == nil || !strings.Contains(skipRunning.Error(), "is running") {
		t.Errorf("skip of the running step = %v", skipRunning)
	}
	if paused.State != experiment.CampaignPaused || paused.Current != 1 || paused.Steps[0].State != experiment.StepDone {
		t.Errorf("while paused: state %s, current %d", paused.State, paused.Current)
	}
	if strings.Join(f.started, " ") != "c1.s1.r1 c1.s2.r1" || st.Steps[2].State != experiment.StepSkipped {
		t.Errorf("ran %v, step 3 %+v", f.started, st.Steps[2])
	}
	if len(st.Notes) != 1 || st.Notes[0].Text != "latency up in the dashboard" || st.Notes[0].By != "ana" {
		t.Errorf("notes = %+v", st.Notes)
	}
	if st.Verdict != experiment.VerdictPassed {
		t.Errorf("verdict = %s", st.Verdict)
	}
}

func TestCampaignGuardBreachAbortsTheRunningExperiment(t *testing.T) {
	env, f := newCampaignEnv(t)
	c := campaignOf(
		experiment.CampaignStep{Inline: inlineExp("one")},
		experiment.CampaignStep{Inline: inlineExp("two", "hold", "1h")},
		experiment.CampaignStep{Inline: inlineExp("three")},
	)
	c.Spec.Guards = []experiment.Probe{httpProbe("site-up", "")}
	env.OnActivity(a.WatchProbe, mockAny, mockAny).Return(func(_ context.Context, in activities.WatchInput) (activities.WatchResult, error) {
		time.Sleep(50 * time.Millisecond)
		return activities.WatchResult{Breached: true, Result: failed(in.Probe.Name)}, nil
	}).After(30 * time.Minute)
	env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
	st := campaignOutcome(t, env)
	if st.Verdict != experiment.VerdictFailed || !strings.Contains(st.Reason, `guard "site-up" breached: expected 200, got 503`) {
		t.Fatalf("verdict %s (%s)", st.Verdict, st.Reason)
	}
	if len(f.aborted) != 1 || !strings.HasPrefix(f.aborted[0], "c1.s2.r1: campaign camp: guard") {
		t.Errorf("aborted = %v", f.aborted)
	}
	if len(f.started) != 2 || st.Steps[1].Verdict != experiment.VerdictAborted {
		t.Errorf("ran %v, step 2 %+v", f.started, st.Steps[1])
	}
}

func TestCampaignCancelCancelsTheChild(t *testing.T) {
	env, f := newCampaignEnv(t)
	c := campaignOf(experiment.CampaignStep{Inline: inlineExp("one", "hold", "1h")}, experiment.CampaignStep{Inline: inlineExp("two")})
	env.RegisterDelayedCallback(env.CancelWorkflow, 10*time.Minute)
	env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("error = %v", err)
	}
	if len(f.aborted) != 1 || f.aborted[0] != "c1.s1.r1: cancelled" || len(f.started) != 1 {
		t.Errorf("aborted %v, started %v", f.aborted, f.started)
	}
}

// TestCampaignContinuesAsNew plays a 250-step campaign segment by segment,
// each in its own environment as the server would, and checks that the
// carried status holds every result.
func TestCampaignContinuesAsNew(t *testing.T) {
	var steps []experiment.CampaignStep
	for i := range 250 {
		steps = append(steps, experiment.CampaignStep{Inline: inlineExp(fmt.Sprintf("e%d", i))})
	}
	in := CampaignInput{Campaign: campaignOf(steps...)}
	segments := 0
	for {
		env, _ := newCampaignEnv(t)
		env.ExecuteWorkflow(CampaignWorkflowName, in)
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			st := campaignOutcome(t, env)
			if st.Verdict != experiment.VerdictPassed || len(st.Steps) != 250 || st.Segment != 2 {
				t.Fatalf("verdict %s, %d steps, segment %d", st.Verdict, len(st.Steps), st.Segment)
			}
			for i, s := range st.Steps {
				if s.State != experiment.StepDone || len(s.Runs) != 1 || s.Runs[0].WorkflowID != fmt.Sprintf("c1.s%d.r1", i+1) {
					t.Fatalf("step %d = %+v", i+1, s)
				}
			}
			break
		}
		segments++
		if segments > 3 {
			t.Fatal("too many segments")
		}
		var next CampaignInput
		if err := decodeArg(can, &next); err != nil {
			t.Fatal(err)
		}
		if next.Carry == nil || next.Carry.Status.Current != segments*campaignSegmentRuns {
			t.Fatalf("segment %d carried %+v", segments, next.Carry)
		}
		in = next
	}
}

// mockAny matches any argument of a mocked activity.
const mockAny = mock.Anything

// updateCallback stores an Update's rejection or failure in *err.
func updateCallback(err *error) *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(e error) { *err = e },
		OnComplete: func(_ any, e error) {
			if e != nil {
				*err = e
			}
		},
	}
}

// decodeArg reads the input a continue-as-new passes on.
func decodeArg(can *workflow.ContinueAsNewError, out any) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, out)
}
