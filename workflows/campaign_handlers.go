package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
)

// registerHandlers wires the status query, the Updates and the abort Signal.
func (c *campaignRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryCampaignStatus, func() (experiment.CampaignStatus, error) {
		return *c.st, nil
	}); err != nil {
		return fmt.Errorf("register status query: %w", err)
	}
	updates := []struct {
		name     string
		validate func(CampaignAction) error
		apply    func(workflow.Context, CampaignAction) string
	}{
		{UpdateApprove, c.validateApprove, func(_ workflow.Context, a CampaignAction) string {
			c.answer = "approve"
			return fmt.Sprintf("step %d (%s) approved", c.st.Pending.Step+1, c.st.Pending.Name)
		}},
		{UpdateSkip, c.validateSkip, func(_ workflow.Context, a CampaignAction) string {
			i := c.target(a)
			ss := &c.st.Steps[i]
			ss.State, ss.Reason = experiment.StepSkipped, "skipped"+by(a)+suffix(a.Text)
			return fmt.Sprintf("step %d (%s) skipped", i+1, ss.Name)
		}},
		{UpdatePause, c.validatePause, func(_ workflow.Context, a CampaignAction) string {
			c.st.PauseRequested = true
			return fmt.Sprintf("the campaign pauses after step %d (%s)", c.st.Current+1, c.currentName())
		}},
		{UpdateResume, c.validateResume, func(_ workflow.Context, a CampaignAction) string {
			c.st.PauseRequested = false
			return "the campaign resumes"
		}},
		{UpdateNote, c.validateNote, func(ctx workflow.Context, a CampaignAction) string {
			c.st.Notes = append(c.st.Notes, experiment.CampaignNote{At: workflow.Now(ctx), By: a.By, Text: a.Text, Step: c.st.Current})
			return "noted"
		}},
	}
	for _, u := range updates {
		apply := u.apply
		err := workflow.SetUpdateHandlerWithOptions(ctx, u.name,
			func(ctx workflow.Context, a CampaignAction) (CampaignAnswer, error) {
				return CampaignAnswer{Message: apply(ctx, a)}, nil
			},
			workflow.UpdateHandlerOptions{Validator: u.validate})
		if err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	// abort takes a reason, like the experiment's, so `tempest abort`
	// and starter's abort work on both.
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCampaignAbort,
		func(ctx workflow.Context, reason string) (CampaignAnswer, error) {
			c.abort(reason)
			return CampaignAnswer{Message: fmt.Sprintf("aborting: %d running experiments revert their faults", len(c.running))}, nil
		},
		workflow.UpdateHandlerOptions{Validator: c.validateAbort})
	if err != nil {
		return fmt.Errorf("register update %s: %w", UpdateCampaignAbort, err)
	}
	signals := workflow.GetSignalChannel(ctx, SignalCampaignAbort)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var reason string
			if !signals.Receive(ctx, &reason) {
				return
			}
			c.abort(reason)
		}
	})
	return nil
}

// abort stops the campaign on a person's request.
func (c *campaignRun) abort(reason string) {
	if reason == "" {
		reason = "abort signal"
	}
	c.stop(experiment.VerdictAborted, "aborted: "+reason)
}

func by(a CampaignAction) string {
	if a.By == "" {
		return ""
	}
	return " by " + a.By
}

func suffix(text string) string {
	if text == "" {
		return ""
	}
	return ": " + text
}

// target is the step an action names (its Step, else the current one).
func (c *campaignRun) target(a CampaignAction) int {
	if a.Step > 0 {
		return a.Step - 1
	}
	return c.st.Current
}

func (c *campaignRun) currentName() string {
	if c.st.Current < len(c.st.Steps) {
		return c.st.Steps[c.st.Current].Name
	}
	return "the last"
}

// errFinished rejects an action on a campaign that is ending.
func (c *campaignRun) errFinished() error {
	if c.st.State == experiment.CampaignDone || c.st.Current >= len(c.st.Steps) {
		return errors.New("the campaign has finished")
	}
	if c.carry.Stop != "" {
		return fmt.Errorf("the campaign is stopping: %s", c.carry.Stop)
	}
	return nil
}

func (c *campaignRun) validateApprove(a CampaignAction) error {
	if err := c.errFinished(); err != nil {
		return err
	}
	p := c.st.Pending
	if p == nil || c.answer != "" {
		i := c.target(a)
		if i < 0 || i >= len(c.st.Steps) {
			return fmt.Errorf("no step %d: the campaign has %d", a.Step, len(c.st.Steps))
		}
		return fmt.Errorf("step %d (%s) is not waiting for approval: it is %s", i+1, c.st.Steps[i].Name, c.st.Steps[i].State)
	}
	if a.Step > 0 && a.Step-1 != p.Step {
		return fmt.Errorf("step %d is not waiting for approval; step %d (%s) is", a.Step, p.Step+1, p.Name)
	}
	return nil
}

func (c *campaignRun) validateSkip(a CampaignAction) error {
	if err := c.errFinished(); err != nil {
		return err
	}
	i := c.target(a)
	if i < 0 || i >= len(c.st.Steps) {
		return fmt.Errorf("no step %d: the campaign has %d", a.Step, len(c.st.Steps))
	}
	ss := c.st.Steps[i]
	switch {
	case i < c.st.Current || ss.State == experiment.StepDone || ss.State == experiment.StepSkipped:
		return fmt.Errorf("step %d (%s) is over (%s)", i+1, ss.Name, ss.State)
	case ss.State == experiment.StepRunning || ss.State == experiment.StepCooldown:
		return fmt.Errorf("step %d (%s) is running: abort the campaign to stop it, or skip a later step", i+1, ss.Name)
	case i == c.st.Current && c.carry.Iteration > 0:
		return fmt.Errorf("step %d (%s) is repeating (%d runs done): abort the campaign to stop it", i+1, ss.Name, c.carry.Iteration)
	}
	return nil
}

func (c *campaignRun) validatePause(CampaignAction) error {
	if err := c.errFinished(); err != nil {
		return err
	}
	if c.st.PauseRequested {
		return errors.New("the campaign is already paused (or pausing after the running step)")
	}
	return nil
}

func (c *campaignRun) validateResume(CampaignAction) error {
	if err := c.errFinished(); err != nil {
		return err
	}
	if !c.st.PauseRequested {
		return errors.New("the campaign is not paused")
	}
	return nil
}

func (c *campaignRun) validateAbort(reason string) error {
	if reason == "" {
		return errors.New("abort needs a reason")
	}
	return c.errFinished()
}

func (c *campaignRun) validateNote(a CampaignAction) error {
	if a.Text == "" {
		return errors.New("a note needs text")
	}
	if c.st.State == experiment.CampaignDone {
		return errors.New("the campaign has finished")
	}
	return nil
}

// guard is one guard probe watched by a heartbeating activity.
type guard struct {
	probe  experiment.Probe
	future workflow.Future
}

// startGuards starts one WatchProbe activity per guard, until the
// campaign's deadline; a breach or an error stops the campaign Failed.
func (c *campaignRun) startGuards(ctx workflow.Context) []*guard {
	var a *activities.Activities
	var gs []*guard
	until := c.carry.Deadline
	span := until.Sub(workflow.Now(ctx))
	if span <= 0 {
		return nil
	}
	for _, p := range c.spec.Guards {
		actx := summarize(longCtx(ctx, span+p.Timeout.D(), c.guardRoute(p)), "guard %s every %s for the whole campaign", p.Name, p.Interval)
		g := &guard{probe: p, future: workflow.ExecuteActivity(actx, a.WatchProbe, activities.WatchInput{Probe: p, Until: until})}
		gs = append(gs, g)
		workflow.Go(ctx, func(gctx workflow.Context) {
			var w activities.WatchResult
			err := g.future.Get(gctx, &w)
			switch {
			case err == nil && w.Breached:
				c.stop(experiment.VerdictFailed, fmt.Sprintf("guard %q breached: %s", p.Name, firstFailureDetail(w.Result)))
			case err != nil && gctx.Err() == nil:
				var canceled *temporal.CanceledError
				if !errors.As(err, &canceled) {
					c.stop(experiment.VerdictFailed, fmt.Sprintf("guard %q could not run: %s", p.Name, reason(err)))
				}
			}
		})
	}
	return gs
}

// guardRoute is where guard p's WatchProbe runs: probeRoute(p), on its
// LongTaskQueue from campaignVersionLongGuards on.
func (c *campaignRun) guardRoute(p experiment.Probe) route {
	rt := probeRoute(p)
	rt.long = c.version >= campaignVersionLongGuards
	return rt
}

// collectGuards adds the guards' aggregates (after they were cancelled or
// ended) to the status.
func (c *campaignRun) collectGuards(ctx workflow.Context, gs []*guard) {
	for _, g := range gs {
		var w activities.WatchResult
		err := g.future.Get(c.safe, &w)
		var canceled *temporal.CanceledError
		if errors.As(err, &canceled) && canceled.HasDetails() {
			_ = canceled.Details(&w)
		}
		if w.Result.Name == "" {
			w.Result = experiment.ProbeResult{Name: g.probe.Name, Mode: g.probe.Mode, Weight: g.probe.Weight}
		}
		c.st.Guards = mergeGuard(c.st.Guards, w.Result)
	}
	_ = ctx
}

// mergeGuard adds a segment's aggregate of a guard to the earlier ones.
func mergeGuard(all []experiment.ProbeResult, r experiment.ProbeResult) []experiment.ProbeResult {
	for i := range all {
		if all[i].Name != r.Name {
			continue
		}
		m := &all[i]
		m.Observations += r.Observations
		m.Failures += r.Failures
		if m.FirstFailure == nil {
			m.FirstFailure = r.FirstFailure
		}
		if r.Last != nil {
			m.Last = r.Last
		}
		m.Passed = m.Failures == 0 && m.Observations > 0
		if m.Observations > 0 {
			m.SuccessPercent = 100 * float64(m.Observations-m.Failures) / float64(m.Observations)
		}
		return all
	}
	r.Passed = r.Failures == 0 && r.Observations > 0
	return append(all, r)
}
