package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
)

// ExperimentWorkflow runs one chaos experiment; see the package doc for its
// phases and contract. It completes with a Result when the verdict is
// Passed or DryRun; otherwise (from versionVerdictFailure on) it fails with
// a VerdictErrorType error carrying the Result. Any other error is one of
// the workflow's own wiring.
func ExperimentWorkflow(ctx workflow.Context, exp experiment.Experiment) (experiment.Result, error) {
	version := runVersion(ctx)
	n, err := normalizeOnce(ctx, version, exp)
	if err != nil {
		return experiment.Result{}, err
	}
	exp = n.Experiment
	r := newRun(ctx, exp)
	r.version, r.plan = version, n.Plan
	if err := r.registerHandlers(ctx); err != nil {
		return experiment.Result{}, err
	}
	r.abortOnCancel(ctx)
	r.setPhase(ctx, experiment.PhasePreflight)
	if n.Invalid != "" {
		r.errors = append(r.errors, "invalid spec: "+n.Invalid)
		return r.end(ctx)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, AttrExperiment.ValueSet(exp.Metadata.Name)); err != nil {
		return experiment.Result{}, fmt.Errorf("set search attributes: %w", err)
	}
	cancelLimit := r.enforceMaxDuration(ctx)
	defer cancelLimit()

	first, ok := r.preflight(ctx)
	if !ok {
		return r.end(ctx)
	}
	if exp.Spec.Safety.DryRun {
		return r.end(ctx)
	}

	starts := r.steadyStateBefore(ctx)
	if r.stopReason == "" && len(r.failures) == 0 {
		r.chaos(ctx, first)
	}
	// Whatever happened, every injection still in place is reverted.
	r.rollback(ctx)
	if !r.aborted && len(r.failures) == 0 {
		r.steadyStateAfter(ctx, starts)
	}
	return r.end(ctx)
}

// enforceMaxDuration aborts the experiment when safety.maxDuration passes.
func (r *run) enforceMaxDuration(ctx workflow.Context) (cancel func()) {
	limit := r.exp.Spec.Safety.MaxDuration.D()
	if limit <= 0 {
		return func() {}
	}
	tctx, cancelTimer := workflow.WithCancel(ctx)
	workflow.Go(tctx, func(ctx workflow.Context) {
		if sleepFor(ctx, limit, "safety.maxDuration %s: then abort", limit) {
			r.abort(fmt.Sprintf("spec.safety.maxDuration %s reached", limit))
		}
	})
	return func() { cancelTimer() }
}

// preflight resolves and checks every fault's targets; nothing is touched.
func (r *run) preflight(ctx workflow.Context) ([][]experiment.Target, bool) {
	var a *activities.Activities
	ctx, cancel := r.interruptible(ctx, r.stopFuture)
	defer cancel()
	faults := r.exp.Spec.Faults
	futs := make([]workflow.Future, len(faults))
	for i, f := range faults {
		in := activities.SelectInput{Run: r.info, Fault: f, Safety: r.exp.Spec.Safety}
		actx := summarize(shortCtx(ctx, r.faultRoute(f)), "pre-flight: select the targets of %s", f.Name)
		futs[i] = workflow.ExecuteActivity(actx, a.SelectTargets, in)
	}
	first := make([][]experiment.Target, len(faults))
	var ids []string
	for i, fut := range futs {
		if err := fut.Get(ctx, &first[i]); err != nil {
			if r.stopReason != "" && r.version >= versionNormalized {
				continue // interrupted by an abort
			}
			r.errors = append(r.errors, fmt.Sprintf("pre-flight of fault %q: %s", faults[i].Name, reason(err)))
			continue
		}
		r.targets = append(r.targets, experiment.FaultTargets{Fault: faults[i].Name, Targets: first[i]})
		for _, t := range first[i] {
			ids = append(ids, t.ID)
		}
	}
	if len(r.errors) > 0 || (r.stopReason != "" && r.version >= versionNormalized) {
		return nil, false
	}
	if len(ids) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, AttrTarget.ValueSet(ids)); err != nil {
			r.errors = append(r.errors, fmt.Sprintf("set search attribute TempestTarget: %v", err))
		}
	}
	return first, true
}

// steadyStateBefore runs SOT and Edge probes; a failure means no fault is
// injected. It returns the Edge probes' start results by spec index.
func (r *run) steadyStateBefore(ctx workflow.Context) map[int]experiment.ProbeResult {
	r.setPhase(ctx, experiment.PhaseSOT)
	ctx, cancel := r.interruptible(ctx, r.stopFuture)
	defer cancel()
	starts := map[int]experiment.ProbeResult{}
	for _, ir := range r.checkAll(ctx, func(p ProbePlan) bool { return p.AtStart }) {
		starts[ir.index] = ir.result
		r.record(ir.result)
		if !ir.result.Passed && !(r.stopReason != "" && r.version >= versionNormalized) {
			r.failures = append(r.failures, fmt.Sprintf("steady state did not hold before chaos: probe %q: %s", ir.result.Name, firstFailureDetail(ir.result)))
		}
	}
	return starts
}

// steadyStateAfter runs EOT and Edge probes after every revert.
func (r *run) steadyStateAfter(ctx workflow.Context, starts map[int]experiment.ProbeResult) {
	r.setPhase(ctx, experiment.PhaseEOT)
	ectx, cancel := r.interruptible(r.safe, r.abortFuture)
	defer cancel()
	for _, ir := range r.checkAll(ectx, func(p ProbePlan) bool { return p.AtEnd }) {
		res := ir.result
		if start, ok := starts[ir.index]; ok {
			res = mergeEdge(start, res)
			r.replace(res)
			continue
		}
		r.record(res)
	}
}

// record adds a finished probe result.
func (r *run) record(p experiment.ProbeResult) { r.probes = append(r.probes, p) }

// replace swaps a recorded result for a newer one of the same probe.
func (r *run) replace(p experiment.ProbeResult) {
	for i := range r.probes {
		if r.probes[i].Name == p.Name {
			r.probes[i] = p
			return
		}
	}
	r.record(p)
}

// end finishes the run and returns what the workflow returns: its Result,
// or (from versionVerdictFailure on) a failure carrying the Result when the
// verdict did not pass.
func (r *run) end(ctx workflow.Context) (experiment.Result, error) {
	res := r.finish(ctx)
	if r.endsAsFailure(res.Verdict) {
		return experiment.Result{}, verdictError(res)
	}
	return res, nil
}

// finish judges the run, publishes the verdict and builds the result.
func (r *run) finish(ctx workflow.Context) experiment.Result {
	verdict, reasons := r.verdict()
	if r.exp.Spec.Safety.DryRun && verdict == experiment.VerdictPassed {
		verdict = experiment.VerdictDryRun
	}
	r.setPhase(ctx, experiment.PhaseDone)
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — verdict: **%s**", r.exp.Metadata.Name, verdict))
	_ = workflow.UpsertTypedSearchAttributes(r.safe, AttrVerdict.ValueSet(string(verdict)))
	recoveries(r.faults, r.probes, r.plan.Probes, r.exp.Spec.Probes)
	return experiment.Result{
		Experiment:      r.exp.Metadata.Name,
		Verdict:         verdict,
		Reasons:         reasons,
		ResilienceScore: resilienceScore(r.probes, r.load),
		Probes:          orderProbes(r.exp.Spec.Probes, r.probes),
		Faults:          r.faults,
		Targets:         r.targets,
		Load:            r.load,
		StartedAt:       r.status.StartedAt,
		EndedAt:         workflow.Now(ctx),
	}
}

// orderProbes returns results in spec order.
func orderProbes(spec []experiment.Probe, results []experiment.ProbeResult) []experiment.ProbeResult {
	out := []experiment.ProbeResult{}
	for _, p := range spec {
		for _, res := range results {
			if res.Name == p.Name {
				out = append(out, res)
			}
		}
	}
	return out
}
