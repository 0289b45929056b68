package load

import (
	"fmt"
	"math"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// segment ramps the arrival rate linearly from From to To (requests per
// second) over Length.
type segment struct {
	Length   time.Duration
	From, To float64
}

// schedule is a piecewise-linear arrival rate: a constant rate is one flat
// segment; stages ramp from the previous stage's target (0 for the first).
type schedule []segment

// newSchedule builds the schedule of a spec; errors carry the field path.
func newSchedule(spec experiment.Load) (schedule, error) {
	if len(spec.Stages) == 0 {
		if spec.Rate == "" {
			return nil, fmt.Errorf("spec.load.rate: set a rate (\"100/s\") or stages")
		}
		r, err := perSecond(spec.Rate)
		if err != nil {
			return nil, fmt.Errorf("spec.load.rate: %w", err)
		}
		if spec.Duration.D() <= 0 {
			return nil, fmt.Errorf("spec.load.duration: must be positive with a constant rate")
		}
		return schedule{{Length: spec.Duration.D(), From: r, To: r}}, nil
	}
	if spec.Rate != "" {
		return nil, fmt.Errorf("spec.load.rate: set either rate or stages, not both")
	}
	var s schedule
	prev := 0.0
	for i, st := range spec.Stages {
		r, err := perSecond(st.Target)
		if err != nil {
			return nil, fmt.Errorf("spec.load.stages[%d].target: %w", i, err)
		}
		if st.Duration.D() <= 0 {
			return nil, fmt.Errorf("spec.load.stages[%d].duration: must be positive", i)
		}
		s = append(s, segment{Length: st.Duration.D(), From: prev, To: r})
		prev = r
	}
	if d := s.Length(); spec.Duration.D() != 0 && spec.Duration.D() != d {
		return nil, fmt.Errorf("spec.load.duration: %s differs from the sum of the stages (%s); leave it out", spec.Duration, d)
	}
	return s, nil
}

// perSecond parses a rate ("100/s", "6000/m") with experiment.ParseRate.
func perSecond(rate string) (float64, error) {
	r, err := experiment.ParseRate(rate)
	if err != nil {
		return 0, err
	}
	return r.PerSecond(), nil
}

// Length is the schedule's total duration.
func (s schedule) Length() time.Duration {
	var d time.Duration
	for _, g := range s {
		d += g.Length
	}
	return d
}

// HitsAt is how many requests the schedule has sent by t (fractional).
func (s schedule) HitsAt(t time.Duration) float64 {
	hits := 0.0
	for _, g := range s {
		if t <= 0 {
			break
		}
		tau := min(t, g.Length).Seconds()
		slope := (g.To - g.From) / g.Length.Seconds()
		hits += g.From*tau + slope*tau*tau/2
		t -= g.Length
	}
	return hits
}

// TimeOf is when the schedule reaches h cumulative requests; ok is false if
// it never does.
func (s schedule) TimeOf(h float64) (time.Duration, bool) {
	var start time.Duration
	for _, g := range s {
		if h <= 0 {
			return start, true
		}
		d := g.Length.Seconds()
		inSeg := (g.From + g.To) / 2 * d
		if h <= inSeg {
			a := (g.To - g.From) / d / 2
			var tau float64
			switch {
			case math.Abs(a) < 1e-12:
				if g.From == 0 {
					return 0, false
				}
				tau = h / g.From
			default:
				disc := g.From*g.From + 4*a*h
				tau = (-g.From + math.Sqrt(max(disc, 0))) / (2 * a)
			}
			return start + time.Duration(tau*float64(time.Second)), true
		}
		h -= inSeg
		start += g.Length
	}
	return 0, false
}

// PeakRate is the highest rate of the schedule, in requests per second.
func (s schedule) PeakRate() float64 {
	peak := 0.0
	for _, g := range s {
		peak = max(peak, g.From, g.To)
	}
	return peak
}

// RateAt is the instantaneous rate at t in requests per second.
func (s schedule) RateAt(t time.Duration) float64 {
	for _, g := range s {
		if t < g.Length {
			return g.From + (g.To-g.From)*t.Seconds()/g.Length.Seconds()
		}
		t -= g.Length
	}
	return 0
}
