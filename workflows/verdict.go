package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
)

// verdict judges the run: a revert that failed makes it Errored (something
// may be left behind); then an abort makes it Aborted; then an engine error
// Errored; then a failed probe or threshold Failed; else Passed.
func (r *run) verdict() (experiment.Verdict, []string) {
	var reasons []string
	for _, p := range r.probes {
		if !p.Passed {
			reasons = append(reasons, fmt.Sprintf("probe %q failed (%s, %.0f%% of %d observations passed): %s",
				p.Name, p.Mode, p.SuccessPercent, p.Observations, firstFailureDetail(p)))
		}
	}
	if r.load != nil {
		for _, t := range r.load.Thresholds {
			if !t.Passed {
				reasons = append(reasons, fmt.Sprintf("threshold %s %s failed: %s", t.Metric, t.Expression, t.Value))
			}
		}
	}
	reasons = append(append(append([]string{}, r.failures...), reasons...), r.errors...)
	switch {
	case r.revertFailed:
		return experiment.VerdictErrored, append(reasons, fmt.Sprintf("may be left behind: %v", r.leftBehind))
	case r.aborted:
		return experiment.VerdictAborted, append([]string{r.status.AbortReason}, reasons...)
	case len(r.errors) > 0:
		return experiment.VerdictErrored, reasons
	case len(reasons) > 0:
		return experiment.VerdictFailed, reasons
	default:
		return experiment.VerdictPassed, nil
	}
}

// resilienceScore is the weighted mean of the probes' success percentages,
// each load threshold counting as a probe of weight 1 (0 or 100).
func resilienceScore(probes []experiment.ProbeResult, load *experiment.LoadReport) float64 {
	var sum, weights float64
	for _, p := range probes {
		w := float64(p.Weight)
		sum += w * p.SuccessPercent
		weights += w
	}
	if load != nil {
		for _, t := range load.Thresholds {
			if t.Passed {
				sum += 100
			}
			weights++
		}
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}

// VerdictErrorType is the ApplicationError type with which an experiment
// whose verdict is Failed, Errored or Aborted ends (from
// versionVerdictFailure on): the workflow is then Failed in the Temporal
// UI's list, its Failures count, `temporal workflow list` and a Schedule's
// pause-on-failure, and the error's details hold the full experiment.Result
// (read it with ResultOf, or starter's Run.Result). Passed and DryRun runs
// complete with their Result.
const VerdictErrorType = "TempestVerdict"

// verdictError is how a run with a non-passing verdict ends.
func verdictError(res experiment.Result) error {
	msg := string(res.Verdict)
	if len(res.Reasons) > 0 {
		msg += ": " + strings.Join(res.Reasons, "; ")
	}
	const max = 2000
	if len(msg) > max {
		msg = msg[:max-1] + "…"
	}
	return temporal.NewNonRetryableApplicationError(msg, VerdictErrorType, nil, res)
}

// endsAsFailure says whether a run with verdict v ends as a failed workflow.
func (r *run) endsAsFailure(v experiment.Verdict) bool {
	return r.version >= versionVerdictFailure && v != experiment.VerdictPassed && v != experiment.VerdictDryRun
}

// ResultOf returns the Result carried by err when err is (or wraps) the
// failure of an experiment whose verdict did not pass.
func ResultOf(err error) (experiment.Result, bool) {
	var res experiment.Result
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != VerdictErrorType || !app.HasDetails() {
		return res, false
	}
	if derr := app.Details(&res); derr != nil {
		return res, false
	}
	return res, true
}
