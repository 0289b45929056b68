package load

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// pacer is a vegeta.Pacer following a schedule from an offset, so a resumed
// attempt continues the ramp where the previous one stopped. Request k
// (counted over the whole schedule from 0) is due when the schedule's
// cumulative hits reach k.
type pacer struct {
	plan   schedule
	offset time.Duration
	// first is the schedule index of this attempt's first request.
	first float64
}

var _ vegeta.Pacer = pacer{}

func newPacer(plan schedule, offset time.Duration) pacer {
	return pacer{plan: plan, offset: offset, first: math.Ceil(plan.HitsAt(offset) - 1e-9)}
}

// Pace implements vegeta.Pacer.
func (p pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	now := p.offset + elapsed
	due, ok := p.plan.TimeOf(p.first + float64(hits))
	if !ok || due >= p.plan.Length() {
		return 0, true
	}
	if due <= now {
		return 0, false
	}
	return due - now, false
}

// Rate implements vegeta.Pacer.
func (p pacer) Rate(elapsed time.Duration) float64 { return p.plan.RateAt(p.offset + elapsed) }
