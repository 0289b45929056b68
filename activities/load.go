package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
	"github.com/tempest-chaos/tempest/metrics"
)

// LoadInput runs the experiment's load.
type LoadInput struct {
	Load    experiment.Load `json:"load"`
	StartAt time.Time       `json:"startAt"`
	// Phases are the workflow's planned baseline, chaos and recovery windows.
	Phases []load.Window `json:"phases"`
	// Timeline, when set, is where the run's timeline is read: requests are
	// then attributed to phases by what the faults actually did, Phases
	// being only the fallback (see load.Options.Timeline). Nil (runs
	// started by older code): by Phases.
	Timeline *TimelineSource `json:"timeline,omitempty"`
}

// GenerateLoad runs the experiment's load inside this one activity,
// heartbeating its cumulative progress every second. After a worker crash
// the retry resumes from the last heartbeat: only the rest of the schedule
// is sent and the metrics are merged. On cancellation it stops every
// in-flight request and returns the partial report as the details of a
// CanceledError.
func (a *Activities) GenerateLoad(ctx context.Context, in LoadInput) (experiment.LoadReport, error) {
	var resume *load.Progress
	var prev load.Progress
	if resumeFrom(ctx, &prev) && prev.Attempts > 0 {
		resume = &prev
	}
	var initial any // keep the previous attempt's progress until this one reports
	if resume != nil {
		initial = *resume
	}
	beats := startPulse(ctx, initial)
	beats.Say(sayLoad)
	defer beats.Stop()
	var last load.Progress
	meter := metrics.NewLoadMeter(a.metrics(), resume)
	rep, err := load.Run(ctx, in.Load, load.Options{
		Phases:   in.Phases,
		Timeline: a.timelineFunc(in.Timeline),
		StartAt:  in.StartAt,
		Resume:   resume,
		OnProgress: func(p load.Progress) {
			last = p
			meter.Update(&p)
			beats.Update(p)
		},
		Secrets: a.Secrets.Resolve,
	})
	logPhasing(ctx, in.Timeline, a.Timelines != nil, &last)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return rep, temporal.NewCanceledError(rep)
	}
	return rep, classify(err)
}

// logPhasing says when load phases did not come from the timeline alone.
func logPhasing(ctx context.Context, src *TimelineSource, reader bool, p *load.Progress) {
	if src == nil || !activity.IsActivity(ctx) {
		return
	}
	log := activity.GetLogger(ctx)
	switch {
	case !reader:
		log.Warn("load phases from the planned windows: this worker cannot read timelines")
	case p.ByPlan > 0 || p.Provisional > 0:
		log.Warn("load phases not all settled by the timeline", "byPlan", p.ByPlan, "provisional", p.Provisional, "timelineErrors", p.TimelineErrors)
	}
}
