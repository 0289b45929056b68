package load

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/secret"
)

// SecretFunc resolves a header's SecretRef.
type SecretFunc func(context.Context, experiment.SecretRef) (string, error)

// Options tune one Run.
type Options struct {
	// Phases split the requests by send time; empty means all baseline.
	// With Timeline they are the fallback (see Progress.ByPlan).
	Phases []Window
	// Timeline, when set, reads what the faults actually did: requests are
	// attributed to phases by send time from it (experiment's
	// Timeline.PhaseAt), each once its send time is settled. It is read
	// about every 300 ms.
	Timeline TimelineFunc
	// StartAt delays the first request until then (zero: start now).
	StartAt time.Time
	// Resume is a previous attempt's last Progress: only the rest of the
	// schedule is sent and the metrics are merged into it.
	Resume *Progress
	// OnProgress receives a private copy of the cumulative progress every
	// ProgressEvery and once at the end.
	OnProgress func(Progress)
	// ProgressEvery defaults to one second.
	ProgressEvery time.Duration
	// Secrets resolves header values; nil resolves env: and file: refs.
	Secrets SecretFunc
}

// drainGrace bounds how long a cancelled run waits for aborted requests.
const drainGrace = 800 * time.Millisecond

// Run sends the spec's load and returns its report (see the package doc for
// the resume and cancellation contract). A cancelled run returns the
// partial report together with an error wrapping ctx.Err().
func Run(ctx context.Context, spec experiment.Load, opts Options) (experiment.LoadReport, error) {
	if spec.K6 != nil {
		return RunK6(ctx, spec, opts)
	}
	plan, err := newSchedule(spec)
	if err != nil {
		return experiment.LoadReport{}, errkind.Wrap(errkind.InvalidSpec, err)
	}
	if _, err := ParseThresholds(spec.Thresholds); err != nil {
		return experiment.LoadReport{}, errkind.Wrap(errkind.InvalidSpec, err)
	}
	resolve := opts.Secrets
	if resolve == nil {
		resolve = secret.Resolver{}.Resolve
	}
	templates, err := compileTargets(ctx, spec.Targets, resolve)
	if err != nil {
		return experiment.LoadReport{}, err
	}
	var progress Progress
	if opts.Resume != nil {
		progress = opts.Resume.Clone()
		progress.resumeUnsettled()
	}
	if err := sleepUntil(ctx, opts.StartAt); err != nil {
		return Report(progress, spec, opts.Phases), fmt.Errorf("load cancelled before it started: %w", err)
	}
	if progress.Elapsed.D() >= plan.Length() {
		return Report(progress, spec, opts.Phases), nil
	}
	if progress.Attempts > 0 {
		// The dead attempt may have sent up to a heartbeat interval past its
		// last heartbeat: skip two seconds' worth of {{seq}} so none repeats.
		progress.Sent += uint64(math.Ceil(plan.PeakRate() * 2))
	}
	progress.Attempts++
	if progress.Started.IsZero() {
		progress.Started = time.Now()
	}
	r := &runner{spec: spec, opts: opts, plan: plan, progress: progress}
	err = r.attack(ctx, templates)
	rep := Report(r.progress, spec, opts.Phases)
	if opts.OnProgress != nil {
		opts.OnProgress(r.progress.Clone())
	}
	return rep, err
}

// runner is one attempt of a run.
type runner struct {
	spec     experiment.Load
	opts     Options
	plan     schedule
	progress Progress
}

// attack sends the rest of the schedule and aggregates every result.
func (r *runner) attack(ctx context.Context, templates []requestTemplate) error {
	runCtx, abort := context.WithCancel(ctx)
	defer abort()
	maxInFlight := r.spec.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	send := newSender(runCtx, r.spec)
	defer send.close()
	offset := r.progress.Elapsed.D()
	sentBefore := r.progress.Sent
	var sent atomic.Uint64
	eng := &engine{
		pacer:      newPacer(r.plan, offset),
		duration:   r.plan.Length() - offset,
		targeter:   newTargeter(templates, sentBefore, &sent),
		sender:     send,
		maxWorkers: maxInFlight,
		phases:     r.opts.Phases,
	}
	var foldTick <-chan time.Time
	if r.opts.Timeline != nil {
		st := newSettler(r.opts.Timeline, r.opts.Phases)
		eng.settler = st
		polled := make(chan struct{})
		go func() {
			defer close(polled)
			st.poll(runCtx)
		}()
		defer func() { abort(); <-polled }()
		ft := time.NewTicker(timelineEvery)
		defer ft.Stop()
		foldTick = ft.C
	}
	eng.start(runCtx)
	finished := eng.done()

	every := r.opts.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	fold := func(force bool) {
		eng.drain(&r.progress)
		if eng.settler != nil {
			eng.settler.fold(&r.progress, time.Now(), force)
		}
	}
	errorsBefore := r.progress.TimelineErrors
	update := func(elapsed time.Duration) {
		fold(false)
		r.progress.Elapsed = experiment.Duration(min(offset+elapsed, r.plan.Length()))
		r.progress.Sent = sentBefore + sent.Load()
		if eng.settler != nil {
			r.progress.TimelineErrors = errorsBefore + eng.settler.failures.Load()
		}
	}
	for {
		select {
		case <-finished:
			update(r.plan.Length())
			if eng.settler != nil {
				eng.settler.settle(ctx, &r.progress, eng.drain)
				fold(true)
			}
			return nil
		case <-foldTick:
			fold(false)
		case <-tick.C:
			update(time.Since(eng.began))
			if r.opts.OnProgress != nil {
				r.opts.OnProgress(r.snapshot(eng.settler))
			}
		case <-ctx.Done():
			elapsed := time.Since(eng.began)
			abort()
			send.abort()
			// Requests aborted by us are not recorded (see recordInto);
			// wait a little for the workers to notice.
			grace := time.NewTimer(drainGrace)
			select {
			case <-finished:
			case <-grace.C:
			}
			grace.Stop()
			update(elapsed)
			fold(true)
			return fmt.Errorf("load stopped after %s of %s: %w", r.progress.Elapsed, r.plan.Length(), ctx.Err())
		}
	}
}

// snapshot is a private copy of the progress for a heartbeat, with the
// results still waiting for the timeline (see Progress.Unsettled).
func (r *runner) snapshot(st *settler) Progress {
	c := r.progress.Clone()
	if st != nil {
		c.Unsettled = st.unsettled()
	}
	return c
}

// recordInto adds one result to p; after cancellation, requests that failed
// without a response were aborted by us and are not counted against the
// target.
func recordInto(p *Progress, phases []Window, res *vegeta.Result, cancelled bool) {
	if cancelled && res.Code == 0 && res.Error != "" {
		return
	}
	p.stats(phaseOf(phases, res.Timestamp)).add(res)
	seriesAdd(&p.Series, res.Timestamp, res.Latency, res.Error != "")
}

// sleepUntil waits until t or ctx is done.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if t.IsZero() || d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
