package workflows

import (
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/experiment"
)

// CampaignWorkflow runs a campaign: its steps in order, each experiment a
// child ExperimentWorkflow, with approval gates, repeats, cooldowns, and
// guards watched for the whole campaign in heartbeating activities.
//
// Guards: each guard's WatchProbe runs for the whole segment, on the
// guard's host's or cluster's task queue, else the campaign's own; from
// campaignVersionLongGuards on, on that queue's LongTaskQueue
// ("<queue>@long"), so running guards never take the slots of the short
// activities. Segments that recorded no campaign version (started before
// the gate) keep their guards on the queue itself: see versions.go.
//
// Stopping: a guard's breach, an abort, maxDuration, or a failed step with
// stopOnFailure sends the abort Signal to the running children (each
// reverts its faults) and waits for them. Cancelling the campaign cancels
// the children (whose cancellation path reverts), and the parent close
// policy REQUEST_CANCEL does the same when the campaign is terminated.
//
// History stays bounded: at the start of a step or a repetition, when
// Temporal suggests it or a segment has run campaignSegmentRuns
// experiments, the campaign waits for its handlers to finish and
// continues as new, carrying the status (every step's runs so far).
//
// A campaign that passes completes with its final experiment.CampaignStatus;
// otherwise it fails with a CampaignVerdictErrorType error carrying it.
func CampaignWorkflow(ctx workflow.Context, in CampaignInput) (experiment.CampaignStatus, error) {
	c, err := newCampaignRun(ctx, in)
	if err != nil {
		return experiment.CampaignStatus{}, err
	}
	if err := c.registerHandlers(ctx); err != nil {
		return experiment.CampaignStatus{}, err
	}
	return c.run(ctx)
}

// campaignSegmentRuns is the step-count fallback of continue-as-new: a
// history segment runs at most this many experiments (about ten events
// each), well under 2,000 events.
const campaignSegmentRuns = 100

// campaignSegmentEvents continues as new past this many events too (a
// long approval wait with many notes, many guards).
const campaignSegmentEvents = 1500

// campaignRun is the state of one segment of a campaign.
type campaignRun struct {
	// version is the campaign version this segment follows (versions.go).
	version workflow.Version
	spec    experiment.CampaignSpec
	name    string
	carry   CampaignCarry
	st      *experiment.CampaignStatus
	// safe is never cancelled: children are aborted and waited for with it.
	safe workflow.Context
	// runs counts the experiments this segment started.
	runs int
	// answer is the answer to the pending approval: "approve" or "skip".
	answer string
	// running are the children of the step in progress.
	running []workflow.ChildWorkflowFuture
}

func newCampaignRun(ctx workflow.Context, in CampaignInput) (*campaignRun, error) {
	camp := in.Campaign
	// Recorded before the segment's first command, whatever follows.
	version := campaignVersion(ctx)
	safe, _ := workflow.NewDisconnectedContext(ctx)
	c := &campaignRun{version: version, name: camp.Metadata.Name, safe: safe}
	if in.Carry != nil {
		c.spec, c.carry = camp.Spec, *in.Carry
		c.carry.Status.Segment++
		c.st = &c.carry.Status
		return c, nil
	}
	// First segment: defaults, validation and step names once, recorded.
	var n normalizedCampaign
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return normalizeCampaign(camp) }).Get(&n); err != nil {
		return nil, fmt.Errorf("read the normalized campaign: %w", err)
	}
	if n.Invalid != "" {
		return nil, temporal.NewNonRetryableApplicationError("invalid campaign: "+n.Invalid, "InvalidSpec", nil)
	}
	c.spec = n.Campaign.Spec
	now := workflow.Now(ctx)
	c.carry = CampaignCarry{
		Deadline: now.Add(c.spec.MaxDuration.D()),
		Status:   experiment.CampaignStatus{Campaign: c.name, State: experiment.CampaignRunning, StartedAt: now},
	}
	for _, name := range n.Names {
		c.carry.Status.Steps = append(c.carry.Status.Steps, experiment.CampaignStepStatus{Name: name, State: experiment.StepPending})
	}
	c.st = &c.carry.Status
	return c, nil
}

// normalizedCampaign is the campaign as the workflow runs it.
type normalizedCampaign struct {
	Campaign experiment.Campaign `json:"campaign"`
	Names    []string            `json:"names"`
	Invalid  string              `json:"invalid,omitempty"`
}

// normalizeCampaign applies defaults, validates (every experiment must be
// embedded) and names the steps. Pure; called inside a SideEffect.
func normalizeCampaign(c experiment.Campaign) normalizedCampaign {
	experiment.ApplyCampaignDefaults(&c)
	n := normalizedCampaign{Campaign: c}
	if err := c.Validate(); err != nil {
		n.Invalid = strings.ReplaceAll(err.Error(), "\n", "; ")
		return n
	}
	if !c.Resolved() {
		n.Invalid = "a step names an experiment file: resolve the campaign (experiment.LoadCampaign) before starting it"
		return n
	}
	for i := range c.Spec.Steps {
		n.Names = append(n.Names, c.Spec.StepName(i))
	}
	return n
}

// run plays the steps from the current one.
func (c *campaignRun) run(ctx workflow.Context) (experiment.CampaignStatus, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, AttrCampaign.ValueSet(c.name)); err != nil {
		return *c.st, fmt.Errorf("set search attributes: %w", err)
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — campaign, step %d of %d", c.name, c.st.Current+1, len(c.spec.Steps)))
	gctx, stopGuards := workflow.WithCancel(ctx)
	guards := c.startGuards(gctx)
	c.enforceDeadline(gctx)
	for c.st.Current < len(c.spec.Steps) && c.carry.Stop == "" && ctx.Err() == nil {
		if c.segmentFull(ctx) {
			stopGuards()
			c.collectGuards(ctx, guards)
			return c.continueAsNew(ctx)
		}
		c.step(ctx)
	}
	stopGuards()
	c.collectGuards(ctx, guards)
	if ctx.Err() != nil {
		c.stop(experiment.VerdictAborted, "campaign cancelled")
		c.finish(ctx)
		return *c.st, temporal.NewCanceledError(*c.st)
	}
	return c.end(ctx)
}

// step plays the current step once (one repetition), or skips it.
func (c *campaignRun) step(ctx workflow.Context) {
	i := c.st.Current
	s := &c.spec.Steps[i]
	ss := &c.st.Steps[i]
	if ss.State == experiment.StepSkipped {
		c.next()
		return
	}
	if c.st.PauseRequested {
		c.st.State = experiment.CampaignPaused
		_ = workflow.Await(ctx, func() bool { return !c.st.PauseRequested || c.carry.Stop != "" })
		c.st.State = experiment.CampaignRunning
		if c.carry.Stop != "" {
			return
		}
	}
	if s.Approval != nil && !c.carry.Approved {
		if !c.awaitApproval(ctx, i) {
			return
		}
	}
	if c.carry.Iteration == 0 {
		c.carry.StepStarted = workflow.Now(ctx)
	}
	ss.State = experiment.StepRunning
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — campaign, step %d of %d: %s", c.name, i+1, len(c.spec.Steps), ss.Name))
	passed := c.runOnce(ctx, i)
	c.carry.Iteration++
	c.judgeStep(i)
	if !passed && c.spec.StopsOnFailure(i) && c.carry.Stop == "" {
		c.stop(experiment.VerdictFailed, fmt.Sprintf("step %d (%s) did not pass and stops the campaign on failure: %s", i+1, ss.Name, ss.Reason))
	}
	more := c.repeatsAgain(ctx, i)
	last := !more && i == len(c.spec.Steps)-1
	if s.Cooldown > 0 && c.carry.Stop == "" && !last && ctx.Err() == nil {
		ss.State = experiment.StepCooldown
		_, _ = workflow.AwaitWithTimeout(ctx, s.Cooldown.D(), func() bool { return c.carry.Stop != "" })
	}
	if more {
		ss.State = experiment.StepPending
		return
	}
	ss.State = experiment.StepDone
	c.next()
}

// next moves to the following step.
func (c *campaignRun) next() {
	c.st.Current++
	c.carry.Iteration, c.carry.Approved, c.carry.StepStarted = 0, false, time.Time{}
}

// repeatsAgain says whether step i runs once more.
func (c *campaignRun) repeatsAgain(ctx workflow.Context, i int) bool {
	r := c.spec.Steps[i].Repeat
	if r == nil || c.carry.Stop != "" || ctx.Err() != nil || c.st.Steps[i].State == experiment.StepSkipped {
		return false
	}
	if r.Count > 0 {
		return c.carry.Iteration < r.Count
	}
	return workflow.Now(ctx).Before(c.carry.StepStarted.Add(r.Until.D()))
}

// awaitApproval waits for the step's approval; false when the step is not
// to run now (skipped, timed out, or the campaign is stopping).
func (c *campaignRun) awaitApproval(ctx workflow.Context, i int) bool {
	a := c.spec.Steps[i].Approval
	ss := &c.st.Steps[i]
	if c.st.Pending == nil || c.st.Pending.Step != i {
		now := workflow.Now(ctx)
		c.st.Pending = &experiment.PendingApproval{Step: i, Name: ss.Name, Prompt: a.Prompt, Since: now, Deadline: now.Add(a.Timeout.D()), OnTimeout: a.OnTimeout}
	}
	ss.State, c.st.State = experiment.StepWaiting, experiment.CampaignWaiting
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — step %d (%s) waits for approval: %s", c.name, i+1, ss.Name, a.Prompt))
	wait := c.st.Pending.Deadline.Sub(workflow.Now(ctx))
	answered, _ := workflow.AwaitWithTimeout(ctx, wait, func() bool {
		return c.answer != "" || c.carry.Stop != "" || ss.State == experiment.StepSkipped
	})
	c.st.Pending, c.st.State = nil, experiment.CampaignRunning
	answer := c.answer
	c.answer = ""
	switch {
	case ctx.Err() != nil || c.carry.Stop != "":
		ss.State = experiment.StepPending
		return false
	case ss.State == experiment.StepSkipped:
		c.next()
		return false
	case answered && answer == "approve":
		c.carry.Approved = true
		return true
	case !answered && a.OnTimeout == experiment.ApprovalStop:
		ss.State = experiment.StepPending
		c.stop(experiment.VerdictAborted, fmt.Sprintf("nobody approved step %d (%s) within %s", i+1, ss.Name, a.Timeout))
		return false
	default:
		ss.State, ss.Reason = experiment.StepSkipped, fmt.Sprintf("nobody approved it within %s", a.Timeout)
		c.next()
		return false
	}
}

// runOnce runs the step's experiments as children, together, and records
// their results; true when all passed.
func (c *campaignRun) runOnce(ctx workflow.Context, i int) bool {
	s := &c.spec.Steps[i]
	ss := &c.st.Steps[i]
	parent := workflow.GetInfo(ctx).WorkflowExecution.ID
	exps := s.Experiments()
	c.running = c.running[:0]
	first := len(ss.Runs)
	for k, e := range exps {
		exp := *e.Inline
		id := fmt.Sprintf("%s.s%d.r%d", parent, i+1, c.carry.Iteration+1)
		if len(exps) > 1 {
			id += fmt.Sprintf(".e%d", k+1)
		}
		cctx := workflow.WithChildOptions(ctx, childOptions(id, c.name, exp))
		c.running = append(c.running, workflow.ExecuteChildWorkflow(cctx, ExperimentWorkflowName, exp))
		ss.Runs = append(ss.Runs, experiment.CampaignRun{WorkflowID: id, Experiment: exp.Metadata.Name, Iteration: c.carry.Iteration + 1, StartedAt: workflow.Now(ctx)})
		c.runs++
	}
	// A stop while they run aborts them: each reverts its faults.
	done := false
	workflow.Go(ctx, func(gctx workflow.Context) {
		_ = workflow.Await(gctx, func() bool { return done || c.carry.Stop != "" })
		if done {
			return
		}
		for _, f := range c.running {
			f.SignalChildWorkflow(c.safe, SignalAbort, "campaign "+c.name+": "+c.carry.Stop)
		}
	})
	passed := true
	for k, f := range c.running {
		run := &ss.Runs[first+k]
		run.Verdict, run.ResilienceScore, run.Reason = childOutcome(ctx, c.safe, f)
		run.EndedAt = workflow.Now(ctx)
		if run.Verdict != experiment.VerdictPassed && run.Verdict != experiment.VerdictDryRun {
			passed = false
		}
	}
	done = true
	c.running = c.running[:0]
	return passed
}

// childOptions start an experiment of campaign as child id.
func childOptions(id, campaign string, exp experiment.Experiment) workflow.ChildWorkflowOptions {
	return workflow.ChildWorkflowOptions{
		WorkflowID:               id,
		WorkflowExecutionTimeout: exp.Spec.Safety.MaxDuration.D() + time.Hour,
		WorkflowTaskTimeout:      4 * time.Second,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// Terminating the campaign cancels the child, which reverts; a
		// cancelled campaign waits for its children's rollback.
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrExperiment.ValueSet(exp.Metadata.Name), AttrCampaign.ValueSet(campaign)),
		StaticSummary: oneLine(fmt.Sprintf("Campaign %s: experiment %s", campaign, exp.Metadata.Name)),
	}
}

// childOutcome waits for a child and returns its verdict, score and the
// first reason. It waits on safe when ctx is cancelled, so a cancelled
// campaign still sees its child's rollback end.
func childOutcome(ctx, safe workflow.Context, f workflow.ChildWorkflowFuture) (experiment.Verdict, float64, string) {
	var res experiment.Result
	err := f.Get(ctx, &res)
	if err != nil && ctx.Err() != nil && !f.IsReady() {
		err = f.Get(safe, &res)
	}
	if err != nil {
		failed, ok := ResultOf(err)
		if !ok {
			return experiment.VerdictErrored, 0, oneLine(reason(err))
		}
		res = failed
	}
	first := ""
	if len(res.Reasons) > 0 {
		first = oneLine(res.Reasons[0])
	}
	return res.Verdict, res.ResilienceScore, first
}

// judgeStep sets a step's verdict (the worst of its runs) and mean score.
func (c *campaignRun) judgeStep(i int) {
	ss := &c.st.Steps[i]
	ss.Verdict, ss.Reason = "", ""
	var sum float64
	for _, r := range ss.Runs {
		sum += r.ResilienceScore
		if ss.Verdict == "" || severity(r.Verdict) > severity(ss.Verdict) {
			ss.Verdict = r.Verdict
			if r.Reason != "" {
				ss.Reason = r.Experiment + ": " + r.Reason
			}
		}
	}
	if len(ss.Runs) > 0 {
		ss.ResilienceScore = sum / float64(len(ss.Runs))
	}
}

// severity orders verdicts for "the worst of".
func severity(v experiment.Verdict) int {
	switch v {
	case experiment.VerdictPassed, experiment.VerdictDryRun:
		return 0
	case experiment.VerdictFailed:
		return 1
	case experiment.VerdictErrored:
		return 2
	default:
		return 3
	}
}

// stop stops the campaign; the first reason wins.
func (c *campaignRun) stop(v experiment.Verdict, reason string) {
	if c.carry.Stop != "" {
		return
	}
	c.carry.Stop, c.carry.StopVerdict = reason, v
	c.st.Reason = reason
}

// enforceDeadline stops the campaign at maxDuration.
func (c *campaignRun) enforceDeadline(ctx workflow.Context) {
	wait := c.carry.Deadline.Sub(workflow.Now(ctx))
	workflow.Go(ctx, func(gctx workflow.Context) {
		if wait <= 0 || sleepFor(gctx, wait, "campaign maxDuration %s: then abort", c.spec.MaxDuration) {
			c.stop(experiment.VerdictAborted, fmt.Sprintf("spec.maxDuration %s reached", c.spec.MaxDuration))
		}
	})
}

// segmentFull says whether this history segment should end here.
func (c *campaignRun) segmentFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || c.runs >= campaignSegmentRuns || info.GetCurrentHistoryLength() >= campaignSegmentEvents
}

// continueAsNew drains the handlers and starts the next segment with the
// state so far.
func (c *campaignRun) continueAsNew(ctx workflow.Context) (experiment.CampaignStatus, error) {
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	// An abort Signal not yet read is carried as a stop.
	sig := workflow.GetSignalChannel(ctx, SignalCampaignAbort)
	var reason string
	for sig.ReceiveAsync(&reason) {
		c.abort(reason)
	}
	carry := c.carry
	return *c.st, workflow.NewContinueAsNewError(ctx, CampaignWorkflowName, CampaignInput{
		Campaign: experiment.Campaign{APIVersion: experiment.APIVersion, Kind: experiment.KindCampaign, Metadata: experiment.Metadata{Name: c.name}, Spec: c.spec},
		Carry:    &carry,
	})
}

// finish publishes the verdict.
func (c *campaignRun) finish(ctx workflow.Context) {
	st := c.st
	st.State, st.Pending, st.EndedAt = experiment.CampaignDone, nil, workflow.Now(ctx)
	switch {
	case c.carry.Stop != "":
		st.Verdict, st.Reason = c.carry.StopVerdict, c.carry.Stop
	default:
		st.Verdict = experiment.VerdictPassed
		for i, s := range st.Steps {
			if s.Verdict != "" && severity(s.Verdict) > severity(st.Verdict) {
				st.Verdict = s.Verdict
				st.Reason = fmt.Sprintf("step %d (%s): %s", i+1, s.Name, s.Reason)
			}
		}
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — campaign verdict: **%s**", c.name, st.Verdict))
	_ = workflow.UpsertTypedSearchAttributes(c.safe, AttrVerdict.ValueSet(string(st.Verdict)))
}

// end finishes the campaign: its status when it passed, else a failure
// carrying it.
func (c *campaignRun) end(ctx workflow.Context) (experiment.CampaignStatus, error) {
	c.finish(ctx)
	if c.st.Verdict == experiment.VerdictPassed {
		return *c.st, nil
	}
	msg := string(c.st.Verdict)
	if c.st.Reason != "" {
		msg += ": " + oneLine(c.st.Reason)
	}
	return experiment.CampaignStatus{}, temporal.NewNonRetryableApplicationError(msg, CampaignVerdictErrorType, nil, *c.st)
}
