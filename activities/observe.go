package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// observe makes one observation of p bounded by its timeout. A timeout or an
// unclassified error is a failed observation; only a classified error (the
// probe cannot run at all) is returned as an error.
func (a *Activities) observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error) {
	kind := p.Kind()
	impl, ok := a.Probes.Lookup(kind)
	if !ok {
		return experiment.Observation{}, errkind.New(errkind.InvalidSpec, "probe %q: this worker has no probe kind %q (it has %v)", p.Name, kind, a.Probes.Kinds())
	}
	timeout := p.Timeout.D()
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	obs, err := impl.Observe(octx, p)
	if obs.At.IsZero() {
		obs.At = start
	}
	if obs.Took == 0 {
		obs.Took = time.Since(start)
	}
	if err != nil {
		if _, classified := errkind.TypeOf(err); classified {
			return obs, err
		}
		obs.Passed = false
		obs.Detail = err.Error()
	}
	if octx.Err() != nil && ctx.Err() == nil {
		// Timed out: never a pass, whatever the implementation said.
		obs.Passed = false
		if obs.Detail == "" || errors.Is(err, context.DeadlineExceeded) {
			obs.Detail = fmt.Sprintf("timed out after %s", timeout)
		}
	}
	a.metrics().Observed(p, obs)
	return obs, nil
}

// tally folds one observation into a probe result.
func tally(r *experiment.ProbeResult, obs experiment.Observation) {
	r.Observations++
	if !obs.Passed {
		r.Failures++
		if r.FirstFailure == nil {
			first := obs
			r.FirstFailure = &first
		}
	}
	last := obs
	r.Last = &last
	r.SuccessPercent = 100 * float64(r.Observations-r.Failures) / float64(r.Observations)
}

func newResult(p experiment.Probe) experiment.ProbeResult {
	return experiment.ProbeResult{Name: p.Name, Mode: p.Mode, Weight: p.Weight}
}

// sleepCtx waits d or until ctx is done; it reports whether the wait completed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
