package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// run is the state of one experiment execution.
type run struct {
	exp experiment.Experiment
	// version is the behaviour this run records (see versions.go).
	version workflow.Version
	// plan is what the run derives from the spec (see normalize.go).
	plan Plan
	info fault.Run
	// safe is never cancelled: rollback, EOT probes and waits use it so they
	// run after an abort or a cancellation too.
	safe workflow.Context

	status   experiment.Status
	stack    revertStack
	timeline timeline
	// repeating names the faults whose FaultWorkflow is running.
	repeating []string
	faults    []experiment.FaultResult
	probes    []experiment.ProbeResult
	load      *experiment.LoadReport
	targets   []experiment.FaultTargets

	// stopped is set once (abort, breach, engine error, max duration); it
	// ends the chaos window early.
	stopped    workflow.Settable
	stopFuture workflow.Future
	stopReason string
	// abortFuture is ready once the run is aborted (or cancelled).
	abortSet    workflow.Settable
	abortFuture workflow.Future

	aborted      bool
	errors       []string
	failures     []string
	leftBehind   []string
	revertFailed bool
}

func newRun(ctx workflow.Context, exp experiment.Experiment) *run {
	info := workflow.GetInfo(ctx)
	safe, _ := workflow.NewDisconnectedContext(ctx)
	r := &run{
		exp:  exp,
		info: fault.Run{WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, Experiment: exp.Metadata.Name},
		safe: safe,
	}
	r.stopFuture, r.stopped = workflow.NewFuture(ctx)
	r.abortFuture, r.abortSet = workflow.NewFuture(ctx)
	r.status = experiment.Status{Experiment: exp.Metadata.Name, StartedAt: workflow.Now(ctx)}
	for _, f := range exp.Spec.Faults {
		r.faults = append(r.faults, experiment.FaultResult{Name: f.Name})
	}
	return r
}

// setPhase records the phase for the status query and the Temporal UI.
func (r *run) setPhase(ctx workflow.Context, p experiment.Phase) {
	r.status.Phase = p
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — phase: %s", r.exp.Metadata.Name, p))
}

// stop ends the chaos window early; the first reason wins.
func (r *run) stop(reason string) {
	if r.stopReason != "" {
		return
	}
	r.stopReason = reason
	r.stopped.Set(reason, nil)
}

// abort stops the experiment on a user's request.
func (r *run) abort(reason string) {
	if r.stopReason != "" {
		return
	}
	r.aborted = true
	r.status.Aborting = true
	r.status.AbortReason = reason
	r.stop("aborted: " + reason)
	r.abortSet.Set(reason, nil)
}

// interruptible returns a child of ctx that is cancelled once fut is
// ready, so an abort stops the activities of a phase (from
// versionNormalized on; older runs waited for them).
func (r *run) interruptible(ctx workflow.Context, fut workflow.Future) (workflow.Context, func()) {
	if r.version < versionNormalized {
		return ctx, func() {}
	}
	ictx, cancel := workflow.WithCancel(ctx)
	workflow.Go(ictx, func(gctx workflow.Context) {
		sel := workflow.NewSelector(gctx)
		sel.AddFuture(fut, func(workflow.Future) { cancel() })
		sel.AddReceive(gctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(gctx)
	})
	return ictx, cancel
}

// abortOnCancel turns a cancellation of the workflow, in any phase, into
// an abort (from versionNormalized on; older runs noticed it only during
// the chaos window).
func (r *run) abortOnCancel(ctx workflow.Context) {
	if r.version < versionNormalized {
		return
	}
	workflow.Go(r.safe, func(gctx workflow.Context) {
		sel := workflow.NewSelector(gctx)
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { r.abort("workflow cancelled") })
		sel.AddFuture(r.stopFuture, func(workflow.Future) {})
		sel.Select(gctx)
	})
}

func (r *run) engineError(msg string) {
	r.errors = append(r.errors, msg)
	r.stop(msg)
}

// snapshot is the status query's answer.
func (r *run) snapshot(ctx workflow.Context) experiment.Status {
	s := r.status
	s.Elapsed = workflow.Now(ctx).Sub(s.StartedAt)
	s.ActiveFaults = append(r.stack.activeFaults(), r.repeating...)
	s.Probes = append([]experiment.ProbeResult(nil), r.probes...)
	return s
}

// willRevert describes what an abort now reverts.
func (r *run) willRevert() []string {
	out := r.stack.pendingDescriptions()
	for _, name := range r.repeating {
		out = append(out, name+": its current injection, if any")
	}
	return out
}

// registerHandlers wires the status query and the abort update and signal.
func (r *run) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (experiment.Status, error) {
		return r.snapshot(ctx), nil
	}); err != nil {
		return fmt.Errorf("register status query: %w", err)
	}
	if err := r.registerTimelineQuery(ctx); err != nil {
		return err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAbort,
		func(ctx workflow.Context, reason string) (AbortAnswer, error) {
			r.abort(reason)
			return AbortAnswer{WillRevert: r.willRevert()}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(reason string) error {
			if reason == "" {
				return fmt.Errorf("abort needs a reason")
			}
			if r.status.Phase == experiment.PhaseDone {
				return fmt.Errorf("experiment already finished")
			}
			if r.stopReason != "" {
				return fmt.Errorf("experiment is already stopping: %s", r.stopReason)
			}
			return nil
		}})
	if err != nil {
		return fmt.Errorf("register abort update: %w", err)
	}
	signals := workflow.GetSignalChannel(ctx, SignalAbort)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var reason string
			if !signals.Receive(ctx, &reason) {
				return
			}
			if reason == "" {
				reason = "abort signal"
			}
			r.abort(reason)
		}
	})
	return nil
}
