package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
)

// indexedResult is a probe result with the probe's index in the spec.
type indexedResult struct {
	index  int
	result experiment.ProbeResult
}

// checkAll runs the single-shot probes selected by want, in parallel, and
// returns their results in spec order. A probe that cannot run is an engine
// error and a failed result.
func (r *run) checkAll(ctx workflow.Context, want func(ProbePlan) bool) []indexedResult {
	var a *activities.Activities
	var out []indexedResult
	var futs []workflow.Future
	for i, p := range r.exp.Spec.Probes {
		if !want(r.plan.Probes[i]) {
			continue
		}
		out = append(out, indexedResult{index: i})
		actx := summarize(checkCtx(ctx, p, r.plan.Probes[i].Budget), "probe %s (%s)", p.Name, p.Mode)
		futs = append(futs, workflow.ExecuteActivity(actx, a.CheckProbe, activities.CheckInput{Probe: p}))
	}
	for i, fut := range futs {
		p := r.exp.Spec.Probes[out[i].index]
		if err := fut.Get(ctx, &out[i].result); err != nil {
			out[i].result = experiment.ProbeResult{Name: p.Name, Mode: p.Mode, Weight: p.Weight}
			if r.aborted && r.version >= versionNormalized {
				continue // interrupted by the abort
			}
			r.errors = append(r.errors, fmt.Sprintf("probe %q could not run: %s", p.Name, reason(err)))
		}
	}
	return out
}

// watcher is one Continuous or OnChaos probe running in its own activity.
type watcher struct {
	probe  experiment.Probe
	future workflow.Future
	done   bool
	result activities.WatchResult
}

// startWatchers starts one heartbeating activity per Continuous or OnChaos
// probe, running until the end of the chaos window.
func (r *run) startWatchers(ctx workflow.Context, t0, end time.Time) []*watcher {
	var a *activities.Activities
	var ws []*watcher
	span := end.Sub(workflow.Now(ctx))
	for i, p := range r.exp.Spec.Probes {
		if !r.plan.Probes[i].DuringChaos {
			continue
		}
		in := activities.WatchInput{Probe: p, Until: end}
		if p.Mode == experiment.ModeOnChaos {
			in.Windows = chaosWindows(r.exp.Spec.Faults, r.plan.Faults, p.Faults, t0)
			in.Timeline = r.timelineSource()
		}
		actx := summarize(longCtx(ctx, span+p.Timeout.D(), r.longRoute(probeRoute(p))), "probe %s (%s) every %s until %s", p.Name, p.Mode, p.Interval, end.Format(time.RFC3339))
		ws = append(ws, &watcher{probe: p, future: workflow.ExecuteActivity(actx, a.WatchProbe, in)})
	}
	return ws
}

// collect records a finished watcher's result; a breach stops the window.
func (r *run) collect(ctx workflow.Context, w *watcher) {
	if w.done {
		return
	}
	w.done = true
	err := w.future.Get(ctx, &w.result)
	var canceled *temporal.CanceledError
	switch {
	case err == nil:
	case errors.As(err, &canceled) && canceled.HasDetails():
		if derr := canceled.Details(&w.result); derr != nil {
			r.errors = append(r.errors, fmt.Sprintf("probe %q: unreadable result: %v", w.probe.Name, derr))
		}
	case errors.As(err, &canceled):
		// Stopped before its first heartbeat: no observations.
		w.result.Result = experiment.ProbeResult{Name: w.probe.Name, Mode: w.probe.Mode, Weight: w.probe.Weight}
	default:
		w.result.Result = experiment.ProbeResult{Name: w.probe.Name, Mode: w.probe.Mode, Weight: w.probe.Weight}
		r.errors = append(r.errors, fmt.Sprintf("probe %q could not run: %s", w.probe.Name, reason(err)))
	}
	if r.version >= versionNormalized && err == nil && w.result.Result.Observations == 0 && r.stopReason == "" {
		// A watch that ran its window without one observation (its worker
		// lost or cut off until the window was over) observed nothing: the
		// run cannot say whether steady state held.
		r.errors = append(r.errors, fmt.Sprintf("probe %q made no observation during the chaos window", w.probe.Name))
	}
	if w.result.Breached {
		r.stop(fmt.Sprintf("probe %q failed with stopOnFailure: %s", w.probe.Name, firstFailureDetail(w.result.Result)))
	}
}

func firstFailureDetail(p experiment.ProbeResult) string {
	if p.FirstFailure == nil {
		return "no observation"
	}
	if p.FirstFailure.Detail != "" {
		return p.FirstFailure.Detail
	}
	return p.FirstFailure.Value
}

// chaosWindows are the planned windows during which the named faults (all,
// when names is empty) are in place, relative to t0.
func chaosWindows(faults []experiment.Fault, plans []FaultPlan, names []string, t0 time.Time) []activities.Window {
	ws := []activities.Window{}
	for i, f := range faults {
		if len(names) > 0 && !contains(names, f.Name) {
			continue
		}
		fp := plans[i]
		for k := 0; k < fp.Injections; k++ {
			start := t0.Add(fp.due(k))
			ws = append(ws, activities.Window{Start: start, End: start.Add(fp.Hold)})
		}
	}
	return ws
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mergeEdge combines an Edge probe's start and end results: it passes only
// if both passed.
func mergeEdge(start, end experiment.ProbeResult) experiment.ProbeResult {
	m := end
	m.Observations = start.Observations + end.Observations
	m.Failures = start.Failures + end.Failures
	m.Passed = start.Passed && end.Passed
	if start.FirstFailure != nil {
		m.FirstFailure = start.FirstFailure
	}
	m.SuccessPercent = 0
	if start.Passed {
		m.SuccessPercent += 50
	}
	if end.Passed {
		m.SuccessPercent += 50
	}
	return m
}
