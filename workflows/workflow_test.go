package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

var a *activities.Activities

// spec builds an experiment with the given faults and probes.
func spec(faults []experiment.Fault, probes ...experiment.Probe) experiment.Experiment {
	return experiment.Experiment{
		Kind:     experiment.KindExperiment,
		Metadata: experiment.Metadata{Name: "unit"},
		Spec:     experiment.Spec{Hypothesis: "it survives", Faults: faults, Probes: probes},
	}
}

func killFault(name string, hold time.Duration) experiment.Fault {
	return experiment.Fault{
		Name:     name,
		Duration: experiment.Duration(hold),
		Process:  &experiment.ProcessFault{Selector: experiment.ProcessSelector{Port: 8080}},
	}
}

func httpProbe(name string, mode experiment.ProbeMode) experiment.Probe {
	return experiment.Probe{Name: name, Mode: mode, HTTP: &experiment.HTTPProbe{URL: "http://127.0.0.1:8080/"}}
}

func targets(ids ...string) []experiment.Target {
	var ts []experiment.Target
	for _, id := range ids {
		ts = append(ts, experiment.Target{ID: id})
	}
	return ts
}

func passed(name string) experiment.ProbeResult {
	return experiment.ProbeResult{Name: name, Passed: true, SuccessPercent: 100, Observations: 1, Weight: 1}
}

func failed(name string) experiment.ProbeResult {
	return experiment.ProbeResult{Name: name, Observations: 1, Failures: 1, Weight: 1,
		FirstFailure: &experiment.Observation{Detail: "expected 200, got 503"}}
}

// recorder counts injects and reverts per target, like the target would.
type recorder struct {
	mu      sync.Mutex
	injects []string
	reverts []string
}

func (r *recorder) inject(_ context.Context, req fault.Request) (activities.InjectResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.injects = append(r.injects, req.Fault.Name+"/"+req.Target.ID)
	return activities.InjectResult{State: fault.State{"pid": req.Target.ID}}, nil
}

func (r *recorder) revert(_ context.Context, in activities.RevertInput) (time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reverts = append(r.reverts, in.Request.Fault.Name+"/"+in.Request.Target.ID)
	return time.Time{}, nil
}

type suite struct {
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	rec *recorder
}

func init() {
	// See childClosePolicy: the test environment cannot cancel children
	// on close.
	childClosePolicy = enumspb.PARENT_CLOSE_POLICY_ABANDON
}

func newSuite(t *testing.T) *suite {
	s := &suite{rec: &recorder{}}
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterWorkflow(ExperimentWorkflow)
	s.env.RegisterWorkflowWithOptions(FaultWorkflow, workflow.RegisterOptions{Name: FaultWorkflowName})
	s.env.RegisterActivity(a)
	t.Cleanup(func() { s.env.AssertExpectations(t) })
	return s
}

func (s *suite) targetsFor(fault string, ids ...string) {
	s.env.OnActivity(a.SelectTargets, mock.Anything, mock.MatchedBy(func(in activities.SelectInput) bool {
		return in.Fault.Name == fault
	})).Return(targets(ids...), nil)
}

func (s *suite) recordFaults() {
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).Return(s.rec.inject)
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(s.rec.revert)
}

func (s *suite) probe(name string, res experiment.ProbeResult) {
	s.env.OnActivity(a.CheckProbe, mock.Anything, mock.MatchedBy(func(in activities.CheckInput) bool {
		return in.Probe.Name == name
	})).Return(res, nil)
}

// abortAfter sends the abort Update after d of workflow time; the answer
// is filled in when the update completes.
func (s *suite) abortAfter(t *testing.T, d time.Duration, reason string) *AbortAnswer {
	answer := &AbortAnswer{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateAbort, "1", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("abort rejected: %v", err) },
			OnAccept:   func() {},
			OnComplete: func(v any, err error) { *answer = v.(AbortAnswer) },
		}, reason)
	}, d)
	return answer
}

func (s *suite) run(t *testing.T, exp experiment.Experiment) experiment.Result {
	t.Helper()
	s.env.ExecuteWorkflow(ExperimentWorkflow, exp)
	if !s.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := s.env.GetWorkflowError(); err != nil {
		res, ok := ResultOf(err)
		if !ok {
			t.Fatalf("workflow error: %v", err)
		}
		if res.Verdict == experiment.VerdictPassed {
			t.Fatalf("a Passed run ended as a failure: %v", err)
		}
		return res
	}
	var res experiment.Result
	if err := s.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPassesAndRevertsEveryInjection(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1", "pid/2")
	s.recordFaults()
	s.probe("before", passed("before"))
	s.probe("after", passed("after"))
	res := s.run(t, spec([]experiment.Fault{killFault("kill", 15*time.Second)},
		httpProbe("before", experiment.ModeSOT), httpProbe("after", experiment.ModeEOT)))

	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if len(s.rec.injects) != 2 || len(s.rec.reverts) != 2 {
		t.Fatalf("injects %v reverts %v, want 2 each", s.rec.injects, s.rec.reverts)
	}
	if f := res.Faults[0]; f.Injections != 2 || f.Reverts != 2 {
		t.Fatalf("fault result %+v", f)
	}
	if res.ResilienceScore != 100 {
		t.Fatalf("score %v, want 100", res.ResilienceScore)
	}
}

func TestRepeatingFaultInjectsEveryInterval(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.recordFaults()
	f := killFault("kill", 15*time.Second)
	f.Interval = experiment.Duration(5 * time.Second)
	res := s.run(t, spec([]experiment.Fault{f}))
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if len(s.rec.injects) != 3 || len(s.rec.reverts) != 3 {
		t.Fatalf("injects %v reverts %v, want 3 each", s.rec.injects, s.rec.reverts)
	}
}

func TestFailingSOTInjectsNothing(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.probe("before", failed("before"))
	res := s.run(t, spec([]experiment.Fault{killFault("kill", 15*time.Second)}, httpProbe("before", experiment.ModeSOT)))

	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed", res.Verdict)
	}
	s.env.AssertNotCalled(t, "Inject", mock.Anything, mock.Anything)
	if res.Faults[0].Injections != 0 {
		t.Fatalf("injections %d, want 0", res.Faults[0].Injections)
	}
}

func TestStopOnFailureRevertsAtOnce(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.recordFaults()
	var revertedAt time.Time
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.RevertInput) (time.Time, error) {
		revertedAt = s.env.Now()
		return s.rec.revert(ctx, in)
	})
	s.env.OnActivity(a.WatchProbe, mock.Anything, mock.Anything).
		After(3*time.Second).
		Return(activities.WatchResult{Result: failed("guard"), Breached: true}, nil)
	guard := httpProbe("guard", experiment.ModeContinuous)
	guard.StopOnFailure = true
	start := s.env.Now()
	res := s.run(t, spec([]experiment.Fault{killFault("kill", 30*time.Minute)}, guard))

	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed; reasons %v", res.Verdict, res.Reasons)
	}
	if len(s.rec.reverts) != 1 {
		t.Fatalf("reverts %v, want exactly 1", s.rec.reverts)
	}
	if held := revertedAt.Sub(start); held > time.Minute {
		t.Fatalf("revert came %s after start, want right after the breach, not after the 30m hold", held)
	}
}

func TestFailedInjectRollsBackEarlierOnes(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("first", "pid/1")
	s.targetsFor("second", "pid/2")
	s.env.OnActivity(a.Inject, mock.Anything, mock.MatchedBy(func(r fault.Request) bool { return r.Fault.Name == "first" })).Return(s.rec.inject)
	s.env.OnActivity(a.Inject, mock.Anything, mock.MatchedBy(func(r fault.Request) bool { return r.Fault.Name == "second" })).
		Return(activities.InjectResult{}, temporal.NewNonRetryableApplicationError("permission denied", errkind.Forbidden, nil))
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(s.rec.revert)
	second := killFault("second", time.Minute)
	second.StartAfter = experiment.Duration(10 * time.Second)
	res := s.run(t, spec([]experiment.Fault{killFault("first", 30*time.Minute), second}))

	if res.Verdict != experiment.VerdictErrored {
		t.Fatalf("verdict %s, want Errored", res.Verdict)
	}
	if len(s.rec.reverts) != 1 || s.rec.reverts[0] != "first/pid/1" {
		t.Fatalf("reverts %v, want [first/pid/1] (the failed inject changed nothing)", s.rec.reverts)
	}
}

func TestUncertainInjectIsRevertedToBeSafe(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).Return(activities.InjectResult{}, errors.New("connection reset"))
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(s.rec.revert)
	res := s.run(t, spec([]experiment.Fault{killFault("kill", time.Minute)}))
	if res.Verdict != experiment.VerdictErrored {
		t.Fatalf("verdict %s, want Errored", res.Verdict)
	}
	if len(s.rec.reverts) != 1 {
		t.Fatalf("reverts %v, want 1", s.rec.reverts)
	}
}

func TestAbortDuringHoldRevertsOnce(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.recordFaults()
	answer := s.abortAfter(t, 30*time.Second, "big red button")
	res := s.run(t, spec([]experiment.Fault{killFault("kill", 30*time.Minute)}, httpProbe("after", experiment.ModeEOT)))

	if res.Verdict != experiment.VerdictAborted {
		t.Fatalf("verdict %s, want Aborted; reasons %v", res.Verdict, res.Reasons)
	}
	if len(s.rec.reverts) != 1 {
		t.Fatalf("reverts %v, want exactly 1", s.rec.reverts)
	}
	if len(answer.WillRevert) != 1 || answer.WillRevert[0] != "kill: pid/1" {
		t.Fatalf("abort answered %v", answer.WillRevert)
	}
	if res.Reasons[0] != "big red button" {
		t.Fatalf("reasons %v, want the abort reason first", res.Reasons)
	}
	// An aborted run stops promptly: no EOT probe after the rollback.
	s.env.AssertNotCalled(t, "CheckProbe", mock.Anything, mock.Anything)
}

func TestAbortSignalRevertsOnce(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.recordFaults()
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalAbort, "stop now") }, 30*time.Second)
	res := s.run(t, spec([]experiment.Fault{killFault("kill", 30*time.Minute)}))
	if res.Verdict != experiment.VerdictAborted || len(s.rec.reverts) != 1 {
		t.Fatalf("verdict %s reverts %v, want Aborted and 1", res.Verdict, s.rec.reverts)
	}
}

func TestCancellationReverts(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1", "pid/2")
	s.recordFaults()
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, 30*time.Second)
	f := killFault("kill", 30*time.Minute)
	f.Sequence = experiment.SequenceSerial
	res := s.run(t, spec([]experiment.Fault{f}))
	if res.Verdict != experiment.VerdictAborted {
		t.Fatalf("verdict %s, want Aborted", res.Verdict)
	}
	if len(s.rec.reverts) != 2 {
		t.Fatalf("reverts %v, want 2", s.rec.reverts)
	}
	// Reverse order of injection.
	if s.rec.reverts[0] != s.rec.injects[1] || s.rec.reverts[1] != s.rec.injects[0] {
		t.Fatalf("reverts %v not the reverse of injects %v", s.rec.reverts, s.rec.injects)
	}
}

func TestFailingRevertDoesNotStopTheOthers(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1", "pid/2", "pid/3")
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).Return(s.rec.inject)
	s.env.OnActivity(a.Revert, mock.Anything, mock.MatchedBy(func(in activities.RevertInput) bool { return in.Request.Target.ID == "pid/2" })).
		Return(time.Time{}, temporal.NewNonRetryableApplicationError("restart failed", "RestartFailed", nil))
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(s.rec.revert)
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalAbort, "stop") }, time.Minute)
	res := s.run(t, spec([]experiment.Fault{killFault("kill", 30*time.Minute)}))

	if res.Verdict != experiment.VerdictErrored {
		t.Fatalf("verdict %s, want Errored", res.Verdict)
	}
	if len(s.rec.reverts) != 2 {
		t.Fatalf("reverts %v, want the other 2", s.rec.reverts)
	}
	if lb := res.Faults[0].LeftBehind; len(lb) != 1 || lb[0] != "pid/2" {
		t.Fatalf("left behind %v, want [pid/2]", lb)
	}
	last := res.Reasons[len(res.Reasons)-1]
	if want := "may be left behind: [kill: pid/2]"; last != want {
		t.Fatalf("last reason %q, want %q", last, want)
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	exp := spec([]experiment.Fault{killFault("kill", time.Minute)})
	exp.Spec.Safety.DryRun = true
	res := s.run(t, exp)
	if res.Verdict != experiment.VerdictDryRun {
		t.Fatalf("verdict %s, want DryRun", res.Verdict)
	}
	if len(res.Targets) != 1 || res.Targets[0].Targets[0].ID != "pid/1" {
		t.Fatalf("targets %+v", res.Targets)
	}
	s.env.AssertNotCalled(t, "Inject", mock.Anything, mock.Anything)
}

func TestRefusedPreflightIsErroredAndTouchesNothing(t *testing.T) {
	s := newSuite(t)
	s.env.OnActivity(a.SelectTargets, mock.Anything, mock.Anything).
		Return(nil, temporal.NewNonRetryableApplicationError(`namespace "kube-system" is protected`, errkind.Refused, nil))
	res := s.run(t, spec([]experiment.Fault{killFault("kill", time.Minute)}))
	if res.Verdict != experiment.VerdictErrored {
		t.Fatalf("verdict %s, want Errored", res.Verdict)
	}
	s.env.AssertNotCalled(t, "Inject", mock.Anything, mock.Anything)
}

func TestStatusQueryDuringChaos(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.recordFaults()
	var st experiment.Status
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(QueryStatus)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		if err := v.Get(&st); err != nil {
			t.Error(err)
		}
	}, 10*time.Second)
	s.run(t, spec([]experiment.Fault{killFault("kill", time.Minute)}))
	if st.Phase != experiment.PhaseChaos || len(st.ActiveFaults) != 1 || st.ActiveFaults[0] != "kill" {
		t.Fatalf("status during hold: %+v", st)
	}
}

func TestScoreWeighsProbes(t *testing.T) {
	probes := []experiment.ProbeResult{{SuccessPercent: 100, Weight: 3}, {SuccessPercent: 0, Weight: 1}}
	if got := resilienceScore(probes, nil); got != 75 {
		t.Fatalf("score %v, want 75", got)
	}
}

// A repeating fault runs in its FaultWorkflow: an abort during one of its
// holds cancels it, and it reverts that injection before the experiment
// ends; every injection is reverted exactly once.
func TestAbortDuringRepeatingFaultRevertsItsCurrentInjection(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.recordFaults()
	// Injections at 0, 1m, 2m... each held 40s: 2m30s is inside the third.
	answer := s.abortAfter(t, 2*time.Minute+30*time.Second, "enough")
	f := killFault("kill", 10*time.Minute)
	f.Interval = experiment.Duration(time.Minute)
	f.Hold = experiment.Duration(40 * time.Second)
	res := s.run(t, spec([]experiment.Fault{f}))

	if res.Verdict != experiment.VerdictAborted {
		t.Fatalf("verdict %s, want Aborted; reasons %v", res.Verdict, res.Reasons)
	}
	if len(s.rec.injects) != 3 || len(s.rec.reverts) != 3 {
		t.Fatalf("injects %v reverts %v; want 3 each (the third reverted by the abort)", s.rec.injects, s.rec.reverts)
	}
	if got := res.Faults[0]; got.Name != "kill" || got.Injections != 3 || got.Reverts != 3 {
		t.Fatalf("fault result %+v", got)
	}
	if len(answer.WillRevert) != 1 || answer.WillRevert[0] != "kill: its current injection, if any" {
		t.Fatalf("abort answered %v", answer.WillRevert)
	}
}
