package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// sleepUntil waits on a durable timer until at, summarized by format and
// args; false when ctx was cancelled.
func sleepUntil(ctx workflow.Context, at time.Time, format string, args ...any) bool {
	return sleepFor(ctx, at.Sub(workflow.Now(ctx)), format, args...)
}

// selectTargets asks which targets fault f hits now.
func (r *run) selectTargets(ctx workflow.Context, f experiment.Fault) ([]experiment.Target, error) {
	var a *activities.Activities
	var targets []experiment.Target
	in := activities.SelectInput{Run: r.info, Fault: f, Safety: r.exp.Spec.Safety}
	actx := summarize(shortCtx(ctx, r.faultRoute(f)), "select the targets of %s", f.Name)
	err := workflow.ExecuteActivity(actx, a.SelectTargets, in).Get(ctx, &targets)
	return targets, err
}

// runFault plays one fault's timeline from t0, from injection from (counted
// from 0): every injection hits its targets, holds on a durable timer and is
// reverted. It returns early when ctx is cancelled (rollback then reverts
// whatever is still in place), or between two injections when pause says
// so. It returns the next injection not started.
func (r *run) runFault(ctx workflow.Context, fi int, f experiment.Fault, fp FaultPlan, t0 time.Time, first []experiment.Target, from int, pause func() bool) int {
	for k := from; k < fp.Injections; k++ {
		if k > from && pause != nil && pause() {
			return k
		}
		at := t0.Add(fp.due(k))
		if !sleepUntil(ctx, at, "wait for %s (starts %s after the chaos window opens)", injectionName(f, fp, k+1), fp.due(k)) {
			return k
		}
		if r.historyFull(ctx) {
			r.engineError(fmt.Sprintf("fault %q stopped before injection %d of %d: the experiment's history holds %d events, its budget (safety.maxHistoryEvents) is %d; use a longer interval or split the campaign",
				f.Name, k+1, fp.Injections, workflow.GetInfo(ctx).GetCurrentHistoryLength(), r.exp.Spec.Safety.MaxHistoryEvents))
			return k
		}
		targets := first
		if k > 0 {
			var err error
			if targets, err = r.selectTargets(ctx, f); err != nil {
				if ctx.Err() == nil {
					r.engineError(fmt.Sprintf("fault %q injection %d: %s", f.Name, k+1, reason(err)))
				}
				return k
			}
		}
		entries, ok := r.injectAll(ctx, fi, f, fp, targets, k+1)
		holdFrom := at
		if r.version >= versionNormalized {
			holdFrom = tookEffect(entries, at, workflow.Now(ctx))
		}
		if !ok || !sleepUntil(ctx, holdFrom.Add(fp.Hold), "hold %s for %s", injectionName(f, fp, k+1), fp.Hold) {
			return k + 1
		}
		failed := ""
		for i := len(entries) - 1; i >= 0; i-- {
			if r.revert(ctx, entries[i]); entries[i].status == revertFailed && failed == "" {
				failed = entries[i].describe()
			}
		}
		if failed != "" && r.version >= versionNormalized {
			// Never inject again over something that may still be in place.
			r.stop(fmt.Sprintf("fault %q stopped after injection %d: the revert of %s failed", f.Name, k+1, failed))
			return k + 1
		}
	}
	return fp.Injections
}

// tookEffect is when an injection's hold starts: when the last of its
// injects took effect (by the workers' clocks), never before it was planned
// (planned) nor after the workflow learned of it (now).
func tookEffect(entries []*revertEntry, planned, now time.Time) time.Time {
	from := planned
	for _, e := range entries {
		if e.at.After(from) {
			from = e.at
		}
	}
	if from.After(now) {
		from = now
	}
	return from
}

// historyFull reports whether the history has reached the run's budget.
// Every injection adds events and Temporal ends a workflow at 51,200
// without a rollback, so no injection starts past the budget. The length is
// that of the history replayed so far: deterministic.
func (r *run) historyFull(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetCurrentHistoryLength() >= r.exp.Spec.Safety.MaxHistoryEvents
}

// injectAll injects f into every target, in parallel or one after another.
// Every inject that may have changed something pushes its revert. It
// reports false when an inject failed or the window was stopped.
func (r *run) injectAll(ctx workflow.Context, fi int, f experiment.Fault, fp FaultPlan, targets []experiment.Target, n int) ([]*revertEntry, bool) {
	var a *activities.Activities
	// Injects run to completion even if the window is stopped meanwhile, so
	// their outcome, and so their revert, is known exactly.
	safe, _ := workflow.NewDisconnectedContext(ctx)
	type started struct {
		req fault.Request
		fut workflow.Future
		id  int
	}
	start := func(t experiment.Target) started {
		req := fault.Request{Run: r.info, Fault: f, Target: t, Injection: n}
		id := r.timeline.begin(workflow.Now(safe))
		actx := summarize(injectCtx(safe, r.targetRoute(f, t), fp), "inject %s into %s", injectionName(f, fp, n), t.ID)
		return started{req: req, fut: workflow.ExecuteActivity(actx, a.Inject, req), id: id}
	}
	var entries []*revertEntry
	ok := true
	finish := func(s started) {
		req := s.req
		var res activities.InjectResult
		err := s.fut.Get(safe, &res)
		r.timeline.end(s.id)
		if err != nil && changedNothing(err) {
			partial, changed := partialInject(err)
			if !changed || r.version < versionNormalized {
				ok = false
				r.engineError(fmt.Sprintf("inject of %s into %s failed: %s", f.Name, req.Target.ID, reason(err)))
				return
			}
			// It failed after changing something: revert what it changed.
			ok = false
			r.engineError(fmt.Sprintf("inject of %s into %s failed after changing something, reverting it: %s", f.Name, req.Target.ID, reason(err)))
			res, err = partial, nil
		}
		e := &revertEntry{fault: fi, req: req, state: res.State, uncertain: err != nil, hold: fp.Hold, interval: -1}
		if err == nil && !res.At.IsZero() {
			e.at = res.At
			e.interval = r.timeline.injected(f.Name, n, req.Target.ID, res.At)
		}
		r.stack.push(e)
		entries = append(entries, e)
		r.faults[fi].Injections++
		r.faults[fi].Targets = appendUnique(r.faults[fi].Targets, req.Target.ID)
		if err != nil {
			ok = false
			r.engineError(fmt.Sprintf("inject of %s into %s did not complete, reverting it to be safe: %s", f.Name, req.Target.ID, reason(err)))
		}
	}
	if f.Sequence == experiment.SequenceSerial {
		for _, t := range targets {
			if ctx.Err() != nil {
				return entries, false
			}
			finish(start(t))
		}
		return entries, ok && ctx.Err() == nil
	}
	all := make([]started, len(targets))
	for i, t := range targets {
		all[i] = start(t)
	}
	for _, s := range all {
		finish(s)
	}
	return entries, ok && ctx.Err() == nil
}

// changedNothing reports whether an inject error is one the implementation
// returns before changing anything (a non-retryable classified error).
func changedNothing(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// partialInject reads the details of a failed inject that changed
// something before it failed (activities.InjectResult.Changed).
func partialInject(err error) (activities.InjectResult, bool) {
	var appErr *temporal.ApplicationError
	var res activities.InjectResult
	if !errors.As(err, &appErr) || !appErr.HasDetails() || appErr.Details(&res) != nil {
		return activities.InjectResult{}, false
	}
	return res, res.Changed
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
