package activities

import (
	"context"

	"github.com/tempest-chaos/tempest/experiment"
)

// CheckInput runs a probe once, with retries (SOT, EOT and Edge modes).
type CheckInput struct {
	Probe experiment.Probe `json:"probe"`
}

// CheckProbe makes up to 1+retries attempts, interval apart, each bounded by
// the probe's timeout, and passes on the first passing attempt. After a
// worker crash the retry resumes with the attempts that are left.
func (a *Activities) CheckProbe(ctx context.Context, in CheckInput) (experiment.ProbeResult, error) {
	p := in.Probe
	res := newResult(p)
	resumed := resumeFrom(ctx, &res)
	beats := startPulse(ctx, nil)
	beats.Say(sayCheck(p))
	defer beats.Stop()
	if !resumed && !sleepCtx(ctx, p.InitialDelay.D()) {
		return res, ctx.Err()
	}
	for res.Observations <= p.Retries {
		if res.Observations > 0 && !sleepCtx(ctx, p.Interval.D()) {
			return res, ctx.Err()
		}
		obs, err := a.observe(ctx, p)
		if err != nil {
			return res, classify(err)
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		tally(&res, obs)
		beats.Update(res)
		if obs.Passed {
			res.Passed = true
			res.SuccessPercent = 100
			return res, nil
		}
	}
	res.Passed = false
	res.SuccessPercent = 0
	return res, nil
}
