package workflows

import (
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// FaultWorkflowName is the registered type of the child workflow that plays
// a repeating fault's timeline.
const FaultWorkflowName = "FaultWorkflow"

// continueAfterEvents is when a FaultWorkflow continues as new: every
// injection adds about 20 events, so without it an experiment's history
// would grow with its duration.
const continueAfterEvents = 2000

// faultWorkflowTaskTimeout is the FaultWorkflow's workflow-task timeout.
const faultWorkflowTaskTimeout = 4 * time.Second

// childClosePolicy is what closing an experiment does to its running fault
// workflows: cancel them, so they revert. (The SDK's test environment also
// cancels children that have completed, and crashes; the unit tests
// abandon instead.)
var childClosePolicy = enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL

// FaultWorkflowID is the workflow ID of the FaultWorkflow playing fault
// (its index in the spec) for the experiment run runID. It is built from
// what a replay reproduces: a replayer does not know the original workflow
// ID, only the run ID.
func FaultWorkflowID(experimentName, runID string, fault int) string {
	return fmt.Sprintf("%s-%s-fault-%d", experimentName, runID, fault)
}

// FaultInput is where a repeating fault's timeline starts, or resumes after
// continue-as-new.
type FaultInput struct {
	// Run is the experiment's run: injects and reverts are keyed by it.
	Run      fault.Run           `json:"run"`
	Fault    experiment.Fault    `json:"fault"`
	Rollback experiment.Rollback `json:"rollback"`
	Safety   experiment.Safety   `json:"safety"`
	// T0 is the chaos window's start; injection k is due at
	// T0 + startAfter + k*interval.
	T0    time.Time           `json:"t0"`
	First []experiment.Target `json:"first"`
	// Plan is the fault's timeline as the experiment planned it (absent
	// in runs older than versionNormalized: computed by the current code).
	Plan *FaultPlan `json:"plan,omitempty"`
	// Next is the next injection, counted from 0.
	Next int `json:"next"`
	// SoFar is what the previous runs of this workflow did.
	SoFar FaultOutput `json:"soFar"`
}

// FaultOutput is what a fault's timeline did.
type FaultOutput struct {
	Fault        experiment.FaultResult `json:"fault"`
	Errors       []string               `json:"errors,omitempty"`
	LeftBehind   []string               `json:"leftBehind,omitempty"`
	RevertFailed bool                   `json:"revertFailed,omitempty"`
	// Stopped is why the timeline ended early on its own (an engine
	// error); empty when it ran out or the experiment cancelled it.
	Stopped string `json:"stopped,omitempty"`
	// First is when the fault's first injection took effect, Last its
	// latest injection: a run that continues as new starts its timeline
	// from them.
	First time.Time            `json:"first,omitzero"`
	Last  *experiment.Interval `json:"last,omitempty"`
}

// FaultWorkflow plays one repeating fault's timeline as a child of the
// experiment: inject, hold, revert, every interval. It continues as new
// between two injections once its history is long, so neither its history
// nor the experiment's grows with the fault's duration. Cancelled (the
// experiment stopped, aborted, or was closed), it reverts what is in place
// under a disconnected context and returns what it did.
func FaultWorkflow(ctx workflow.Context, in FaultInput) (FaultOutput, error) {
	exp := experiment.Experiment{
		Kind:     experiment.KindExperiment,
		Metadata: experiment.Metadata{Name: in.Run.Experiment},
		Spec:     experiment.Spec{Faults: []experiment.Fault{in.Fault}, Rollback: in.Rollback, Safety: in.Safety},
	}
	version := runVersion(ctx)
	r := newRun(ctx, exp)
	r.version = version
	fp := faultPlanOf(in.Fault)
	if in.Plan != nil {
		fp = *in.Plan
	}
	r.plan = Plan{Faults: []FaultPlan{fp}}
	r.info = in.Run
	r.faults[0] = in.SoFar.Fault
	r.faults[0].Name = in.Fault.Name
	r.errors = in.SoFar.Errors
	r.leftBehind = in.SoFar.LeftBehind
	r.revertFailed = in.SoFar.RevertFailed
	r.timeline.first = in.SoFar.First
	if in.SoFar.Last != nil {
		r.timeline.intervals = append(r.timeline.intervals, *in.SoFar.Last)
	}
	if err := r.registerTimelineQuery(ctx); err != nil {
		return FaultOutput{}, err
	}

	r.setPhase(ctx, experiment.PhaseChaos)
	limit := continueAfterEvents
	if half := in.Safety.MaxHistoryEvents / 2; half > 0 {
		limit = min(limit, half)
	}
	long := func() bool { return workflow.GetInfo(ctx).GetCurrentHistoryLength() >= limit }
	next := r.runFault(ctx, 0, in.Fault, fp, in.T0, in.First, in.Next, long)
	r.rollback(ctx) // what a cancellation left in place
	out := FaultOutput{Fault: r.faults[0], Errors: r.errors, LeftBehind: r.leftBehind, RevertFailed: r.revertFailed, Stopped: r.stopReason, First: r.timeline.first}
	if n := len(r.timeline.intervals); n > 0 {
		last := r.timeline.intervals[n-1]
		out.Last = &last
	}
	if next >= fp.Injections || ctx.Err() != nil || r.stopReason != "" {
		r.timeline.done = true
	}
	if next < fp.Injections && ctx.Err() == nil && r.stopReason == "" {
		in.Next, in.SoFar = next, out
		return FaultOutput{}, workflow.NewContinueAsNewError(ctx, FaultWorkflowName, in)
	}
	workflow.SetCurrentDetails(ctx, faultDone(in.Run.Experiment, out))
	return out, nil
}

// runRepeatingFault plays fault fi in a FaultWorkflow child and merges what
// it did. Cancelling ctx cancels the child, and this waits until the child
// has reverted what it had in place.
func (r *run) runRepeatingFault(ctx workflow.Context, fi int, f experiment.Fault, t0 time.Time, first []experiment.Target) {
	// The child is cancelled only while it runs, when ctx is.
	// (Cancelling a finished child's context trips the SDK's test
	// environment, and is pointless.)
	safe, _ := workflow.NewDisconnectedContext(ctx) // this coroutine's own
	cctx, cancelChild := workflow.WithCancel(safe)
	opts := workflow.ChildWorkflowOptions{
		WorkflowID: FaultWorkflowID(r.exp.Metadata.Name, r.info.RunID, fi),
		// Closing the experiment any way (even terminating it) cancels
		// the child, which then reverts.
		ParentClosePolicy:   childClosePolicy,
		WaitForCancellation: true,
	}
	if r.version >= versionNormalized {
		// A worker that dies holding the child's workflow task stalls it
		// this long, not Temporal's default 10 s (as starter does).
		opts.WorkflowTaskTimeout = faultWorkflowTaskTimeout
	}
	// What the Temporal UI shows: what the child plays, and the
	// experiment's name, so a TempestExperiment filter finds it too.
	opts.StaticSummary = faultSummary(f, r.plan.Faults[fi])
	opts.TypedSearchAttributes = temporal.NewSearchAttributes(AttrExperiment.ValueSet(r.exp.Metadata.Name))
	cctx = workflow.WithChildOptions(cctx, opts)
	in := FaultInput{Run: r.info, Fault: f, Rollback: r.exp.Spec.Rollback, Safety: r.exp.Spec.Safety, T0: t0, First: first}
	if r.version >= versionNormalized {
		fp := r.plan.Faults[fi]
		in.Plan = &fp
	}
	r.repeating = append(r.repeating, f.Name)
	defer func() {
		if i := slices.Index(r.repeating, f.Name); i >= 0 {
			r.repeating = slices.Delete(r.repeating, i, i+1)
		}
	}()
	child := workflow.ExecuteChildWorkflow(cctx, FaultWorkflowName, in)
	sel := workflow.NewSelector(safe)
	sel.AddFuture(child, func(workflow.Future) {})
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { cancelChild() })
	sel.Select(safe)
	var out FaultOutput
	if err := child.Get(safe, &out); err != nil {
		r.revertFailed = true
		r.leftBehind = append(r.leftBehind, f.Name+": its current injection, if any")
		r.engineError(fmt.Sprintf("fault %q: its workflow failed, its current injection may be left behind: %s", f.Name, reason(err)))
		return
	}
	out.Fault.Name = f.Name
	r.faults[fi] = out.Fault
	r.errors = append(r.errors, out.Errors...)
	r.leftBehind = append(r.leftBehind, out.LeftBehind...)
	r.revertFailed = r.revertFailed || out.RevertFailed
	if out.Stopped != "" {
		r.stop(out.Stopped)
	}
}
