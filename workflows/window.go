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

// chaos runs the chaos window: every fault's timeline, the watched probes and
// the load, until all are done or the run is stopped (abort, cancellation,
// breach, engine error). It returns once no inject or revert is in flight;
// the caller then rolls back whatever is still in place.
func (r *run) chaos(ctx workflow.Context, first [][]experiment.Target) {
	r.setPhase(ctx, experiment.PhaseChaos)
	spec := r.exp.Spec
	t0 := workflow.Now(ctx)
	end := t0.Add(r.plan.ChaosWindow)
	r.status.PlannedTotal = end.Sub(r.status.StartedAt) + r.plan.EndBudget

	chaosCtx, cancelChaos := workflow.WithCancel(ctx)
	sideCtx, cancelSide := workflow.WithCancel(ctx)
	watchers := r.startWatchers(sideCtx, t0, end)
	var load workflow.Future
	if spec.Load != nil {
		load = r.startLoad(sideCtx, t0)
	}
	wg := workflow.NewWaitGroup(ctx)
	for i, f := range spec.Faults {
		wg.Add(1)
		workflow.Go(chaosCtx, func(ctx workflow.Context) {
			defer wg.Done()
			if r.plan.Faults[i].Injections > 1 {
				r.runRepeatingFault(ctx, i, f, t0, first[i])
				return
			}
			r.runFault(ctx, i, f, r.plan.Faults[i], t0, first[i], 0, nil)
		})
	}
	faultsDone, setFaultsDone := workflow.NewFuture(ctx)
	workflow.Go(r.safe, func(ctx workflow.Context) {
		wg.Wait(ctx)
		setFaultsDone.Set(nil, nil)
	})

	remaining := 1 + len(watchers)
	if load != nil {
		remaining++
	}
	stopped := false
	sel := workflow.NewSelector(r.safe)
	sel.AddFuture(faultsDone, func(workflow.Future) {
		r.timeline.done = true // no injection starts any more
		remaining--
	})
	for _, w := range watchers {
		sel.AddFuture(w.future, func(workflow.Future) {
			r.collect(r.safe, w)
			r.record(w.result.Result)
			remaining--
		})
	}
	if load != nil {
		sel.AddFuture(load, func(workflow.Future) {
			r.collectLoad(r.safe, load)
			remaining--
		})
	}
	sel.AddFuture(r.stopFuture, func(workflow.Future) { stopped = true })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { r.abort("workflow cancelled") })
	for remaining > 0 && !stopped {
		sel.Select(r.safe)
	}

	// Stop everything still running; injects and reverts in flight finish.
	r.timeline.done = true
	cancelChaos()
	cancelSide()
	_ = faultsDone.Get(r.safe, nil)
	r.rollback(ctx)
	for _, w := range watchers {
		if !w.done {
			r.collect(r.safe, w)
			r.record(w.result.Result)
		}
	}
	if load != nil && r.load == nil {
		r.collectLoad(r.safe, load)
	}
}

// startLoad starts the load activity; it waits for its start offset itself.
func (r *run) startLoad(ctx workflow.Context, t0 time.Time) workflow.Future {
	var a *activities.Activities
	l := r.exp.Spec.Load
	in := activities.LoadInput{Load: *l, StartAt: t0.Add(l.StartAfter.D()), Phases: loadPhases(r.exp.Spec, r.plan, t0), Timeline: r.timelineSource()}
	span := l.StartAfter.D() + r.plan.LoadSpan
	actx := summarize(longCtx(ctx, span, r.longRoute(route{})), "load %s for %s, from %s after the chaos window opens", loadRate(l), r.plan.LoadSpan, l.StartAfter)
	return workflow.ExecuteActivity(actx, a.GenerateLoad, in)
}

// collectLoad records the load report, partial when the load was stopped.
func (r *run) collectLoad(ctx workflow.Context, f workflow.Future) {
	var rep experiment.LoadReport
	err := f.Get(ctx, &rep)
	var canceled *temporal.CanceledError
	switch {
	case err == nil:
	case errors.As(err, &canceled) && canceled.HasDetails():
		if derr := canceled.Details(&rep); derr != nil {
			r.errors = append(r.errors, fmt.Sprintf("load: unreadable report: %v", derr))
		}
	case errors.As(err, &canceled):
	default:
		r.errors = append(r.errors, fmt.Sprintf("load could not run: %s", reason(err)))
	}
	r.load = &rep
}
