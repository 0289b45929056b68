package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
)

// A verdict that did not pass ends the workflow as a failure carrying the
// whole Result, so the Temporal UI lists it failed; a Passed one completes.
func TestVerdictEndsTheWorkflow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		probe   experiment.ProbeResult
		want    experiment.Verdict
		failure bool
	}{
		{"failed", failed("after"), experiment.VerdictFailed, true},
		{"passed", passed("after"), experiment.VerdictPassed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSuite(t)
			s.targetsFor("kill", "pid/1")
			s.recordFaults()
			s.probe("after", tc.probe)
			s.env.ExecuteWorkflow(ExperimentWorkflow, spec([]experiment.Fault{killFault("kill", 15*time.Second)}, httpProbe("after", experiment.ModeEOT)))
			if !s.env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			err := s.env.GetWorkflowError()
			if !tc.failure {
				if err != nil {
					t.Fatalf("a %s run failed: %v", tc.want, err)
				}
				var res experiment.Result
				if err := s.env.GetWorkflowResult(&res); err != nil || res.Verdict != tc.want {
					t.Fatalf("result %+v, %v", res, err)
				}
				return
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != VerdictErrorType || !app.NonRetryable() {
				t.Fatalf("workflow error %v, want a non-retryable %s", err, VerdictErrorType)
			}
			if !strings.HasPrefix(app.Message(), string(tc.want)+": probe \"after\" failed") {
				t.Fatalf("failure message %q", app.Message())
			}
			res, ok := ResultOf(err)
			if !ok || res.Verdict != tc.want || res.Faults[0].Reverts != 1 || len(res.Probes) != 1 {
				t.Fatalf("result from the failure: %+v (ok %v)", res, ok)
			}
		})
	}
}

func TestResultOfOtherErrors(t *testing.T) {
	if _, ok := ResultOf(errors.New("boom")); ok {
		t.Fatal("a plain error carries no result")
	}
	if _, ok := ResultOf(temporal.NewApplicationError("x", "Other", experiment.Result{Verdict: experiment.VerdictFailed})); ok {
		t.Fatal("another error type carries no result")
	}
}
