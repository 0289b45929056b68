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
	Phases []Window
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
	client := newClient(runCtx, r.spec)
	defer client.CloseIdleConnections()
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(uint64(min(maxInFlight, 100))),
		vegeta.MaxWorkers(uint64(maxInFlight)),
		vegeta.MaxBody(0),
	)
	offset := r.progress.Elapsed.D()
	sentBefore := r.progress.Sent
	var sent atomic.Uint64
	began := time.Now()
	results := atk.Attack(newTargeter(templates, sentBefore, &sent), newPacer(r.plan, offset), r.plan.Length()-offset, "tempest")

	every := r.opts.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	snapshot := func() {
		r.progress.Elapsed = experiment.Duration(min(offset+time.Since(began), r.plan.Length()))
		r.progress.Sent = sentBefore + sent.Load()
		if r.opts.OnProgress != nil {
			r.opts.OnProgress(r.progress.Clone())
		}
	}
	for {
		select {
		case res, ok := <-results:
			if !ok {
				r.progress.Elapsed = experiment.Duration(r.plan.Length())
				r.progress.Sent = sentBefore + sent.Load()
				return nil
			}
			// A result that lands after cancellation, before this loop
			// sees ctx.Done, was aborted by us like those drain sees.
			r.record(res, ctx.Err() != nil)
		case <-tick.C:
			snapshot()
		case <-ctx.Done():
			atk.Stop()
			abort()
			r.drain(results)
			r.progress.Elapsed = experiment.Duration(min(offset+time.Since(began), r.plan.Length()))
			r.progress.Sent = sentBefore + sent.Load()
			return fmt.Errorf("load stopped after %s of %s: %w", r.progress.Elapsed, r.plan.Length(), ctx.Err())
		}
	}
}

// drain records the aborted run's last results for at most drainGrace, then
// leaves a goroutine to discard the rest so the attacker can finish.
func (r *runner) drain(results <-chan *vegeta.Result) {
	grace := time.NewTimer(drainGrace)
	defer grace.Stop()
	for {
		select {
		case res, ok := <-results:
			if !ok {
				return
			}
			r.record(res, true)
		case <-grace.C:
			go func() {
				for range results {
				}
			}()
			return
		}
	}
}

// record adds one result; after cancellation, requests that failed without
// a response were aborted by us and are not counted against the target.
func (r *runner) record(res *vegeta.Result, cancelled bool) {
	if cancelled && res.Code == 0 && res.Error != "" {
		return
	}
	r.progress.stats(phaseOf(r.opts.Phases, res.Timestamp)).add(res)
	seriesAdd(&r.progress.Series, res.Timestamp, res.Latency, res.Error != "")
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
