package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
)

// Window is a span of wall-clock time.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// WatchInput loops a probe every interval until Until (Continuous), or only
// inside Windows (OnChaos, when Windows is not nil).
type WatchInput struct {
	Probe   experiment.Probe `json:"probe"`
	Until   time.Time        `json:"until"`
	Windows []Window         `json:"windows,omitempty"`
}

// WatchResult aggregates a watched probe.
type WatchResult struct {
	Result experiment.ProbeResult `json:"result"`
	// Breached is set when a stopOnFailure probe failed; the watch ends at once.
	Breached bool `json:"breached,omitempty"`
}

// WatchProbe observes a probe in a loop inside this one activity, so history
// does not grow with the number of observations. It heartbeats its
// aggregate and resumes from it after a worker crash. It ends at Until, at
// the first failure of a stopOnFailure probe (Breached), or on cancellation,
// when it returns its aggregate as the details of a CanceledError.
func (a *Activities) WatchProbe(ctx context.Context, in WatchInput) (WatchResult, error) {
	p := in.Probe
	out := WatchResult{Result: newResult(p)}
	resumed := resumeFrom(ctx, &out)
	canceled := func() (WatchResult, error) {
		finishWatch(&out, p)
		return out, temporal.NewCanceledError(out)
	}
	beats := startPulse(ctx, out)
	defer beats.Stop()
	if !resumed && !sleepCtx(ctx, p.InitialDelay.D()) {
		return canceled()
	}
	interval := p.Interval.D()
	if interval <= 0 {
		interval = time.Second
	}
	for {
		now := time.Now()
		if !now.Before(in.Until) {
			break
		}
		if in.Windows != nil {
			next, inside := nextWindow(in.Windows, now)
			if !inside {
				if next.IsZero() || !next.Before(in.Until) {
					break
				}
				if !sleepCtx(ctx, next.Sub(now)) {
					return canceled()
				}
				continue
			}
		}
		obs, err := a.observe(ctx, p)
		if err != nil {
			return out, classify(err)
		}
		if ctx.Err() != nil {
			return canceled()
		}
		tally(&out.Result, obs)
		beats.Update(out)
		if !obs.Passed && p.StopOnFailure {
			out.Breached = true
			break
		}
		if !sleepCtx(ctx, interval-time.Since(now)) {
			return canceled()
		}
	}
	finishWatch(&out, p)
	return out, nil
}

// finishWatch judges a watched probe: it passes when it made at least one
// observation and its success percentage reaches minSuccessPercent.
func finishWatch(out *WatchResult, p experiment.Probe) {
	need := p.MinSuccessPercent
	if need <= 0 {
		need = 100
	}
	r := &out.Result
	r.Passed = !out.Breached && r.Observations > 0 && r.SuccessPercent >= need
}

// nextWindow reports whether now is inside a window, or else the start of the
// next window after now (zero if none).
func nextWindow(ws []Window, now time.Time) (next time.Time, inside bool) {
	for _, w := range ws {
		if !now.Before(w.Start) && now.Before(w.End) {
			return time.Time{}, true
		}
		if w.Start.After(now) && (next.IsZero() || w.Start.Before(next)) {
			next = w.Start
		}
	}
	return next, false
}
