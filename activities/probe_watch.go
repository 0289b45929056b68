package activities

import (
	"context"
	"fmt"
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
// while a fault is in place (OnChaos, when Windows is not nil): as the
// run's timeline shows it when Timeline is set, else inside the planned
// Windows.
type WatchInput struct {
	Probe   experiment.Probe `json:"probe"`
	Until   time.Time        `json:"until"`
	Windows []Window         `json:"windows,omitempty"`
	// Timeline, for OnChaos, is where the run's timeline is read: the probe
	// observes only while an injection of its faults (all faults when it
	// names none) is actually in place. Nil (runs started by older code):
	// the planned Windows.
	Timeline *TimelineSource `json:"timeline,omitempty"`
}

// WatchResult aggregates a watched probe.
type WatchResult struct {
	Result experiment.ProbeResult `json:"result"`
	// Breached is set when a stopOnFailure probe failed; the watch ends at once.
	Breached bool `json:"breached,omitempty"`
	// Discarded counts OnChaos observations not tallied: they began after
	// the fault was reverted (the timeline, read again, said so).
	Discarded int `json:"discarded,omitempty"`
	// Fallback says why an OnChaos probe with a timeline observed inside
	// the planned windows instead, from some point on.
	Fallback string `json:"fallback,omitempty"`
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
	beats.Say(sayWatch(p))
	defer beats.Stop()
	if !resumed && !sleepCtx(ctx, p.InitialDelay.D()) {
		return canceled()
	}
	interval := p.Interval.D()
	if interval <= 0 {
		interval = time.Second
	}
	var gate *chaosGate
	if read := a.timelineFunc(in.Timeline); read != nil && in.Windows != nil {
		gate = &chaosGate{read: read, faults: p.Faults, lastRead: time.Now(), staleAfter: gateStaleAfter}
	}
	for {
		now := time.Now()
		if !now.Before(in.Until) {
			break
		}
		if gate != nil && out.Fallback == "" {
			switch gate.wait(ctx, in.Until) {
			case gateCanceled:
				return canceled()
			case gateOver:
				finishWatch(&out, p)
				return out, nil
			case gateStale:
				out.Fallback = gate.staleReason()
				beats.Update(out)
				continue
			}
			if now = time.Now(); !now.Before(in.Until) {
				break
			}
		} else if in.Windows != nil {
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
		if gate != nil && out.Fallback == "" && !gate.inPlaceAt(ctx, obs.At) {
			out.Discarded++
			beats.Update(out)
			continue
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

// chaosGate tells an OnChaos watch, from the run's timeline, when an
// injection of its faults is in place.
type chaosGate struct {
	read     func(context.Context) (experiment.Timeline, error)
	faults   []string
	lastRead time.Time
	// staleAfter is gateStaleAfter.
	staleAfter time.Duration
	failures   int
	lastErr    error
}

// gateEvery is how often the timeline is read while waiting for a fault.
const gateEvery = 250 * time.Millisecond

// gateStaleAfter: a timeline not read for this long is given up on, for
// the planned windows.
const gateStaleAfter = 30 * time.Second

type gateState int

const (
	gateInPlace gateState = iota
	// gateOver: no injection of the faults is in place and none will start.
	gateOver
	gateStale
	gateCanceled
)

// wait reads the timeline about every gateEvery until an injection of the
// gate's faults is in place, until (over), ctx is done, or the timeline
// could not be read for gateStaleAfter.
func (g *chaosGate) wait(ctx context.Context, until time.Time) gateState {
	for {
		tl, err := g.read(ctx)
		switch {
		case ctx.Err() != nil:
			return gateCanceled
		case err != nil:
			g.failures++
			g.lastErr = err
			if time.Since(g.lastRead) > g.staleAfter {
				return gateStale
			}
		default:
			g.lastRead = time.Now()
			if tl.Open(g.faults) {
				return gateInPlace
			}
			if tl.Done {
				return gateOver
			}
		}
		left := time.Until(until)
		if left <= 0 {
			return gateOver
		}
		if !sleepCtx(ctx, min(gateEvery, left)) {
			return gateCanceled
		}
	}
}

// inPlaceAt reads the timeline again after an observation that began at
// at: false when it shows that no injection of the faults was in place
// then (reverted in between). An unreadable timeline keeps the
// observation, which began after a read that showed the fault in place.
func (g *chaosGate) inPlaceAt(ctx context.Context, at time.Time) bool {
	tl, err := g.read(ctx)
	if err != nil {
		g.failures++
		g.lastErr = err
		return true
	}
	g.lastRead = time.Now()
	return tl.InPlace(at, g.faults)
}

func (g *chaosGate) staleReason() string {
	return fmt.Sprintf("the timeline could not be read for %s (%d failed reads, last: %v): observed inside the planned windows from then on", g.staleAfter, g.failures, g.lastErr)
}
