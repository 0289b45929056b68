package load

import (
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// MaxSeriesPoints caps the time series: past it, neighbouring points are
// merged pairwise and the step doubles, so memory and heartbeat size stay
// flat however long the load runs.
const MaxSeriesPoints = 3600

// seriesStep is the initial width of a time-series point.
const seriesStep = time.Second

// seriesAdd records one request sent at t with latency d in s.
func seriesAdd(s *experiment.LoadSeries, t time.Time, d time.Duration, failed bool) {
	ms := float64(d) / float64(time.Millisecond)
	p := experiment.LoadPoint{Requests: 1, MeanMs: ms, MaxMs: ms}
	if failed {
		p.Failures = 1
	}
	seriesAddPoint(s, t, p)
}

// seriesMerge adds every point of src into dst.
func seriesMerge(dst *experiment.LoadSeries, src experiment.LoadSeries) {
	for i, p := range src.Points {
		if p.Requests > 0 {
			seriesAddPoint(dst, src.Start.Add(time.Duration(i)*src.Step.D()), p)
		}
	}
}

// seriesAddPoint merges p, whose requests were sent at t (or in the step
// starting at t), into s.
func seriesAddPoint(s *experiment.LoadSeries, t time.Time, p experiment.LoadPoint) {
	if s.Step == 0 {
		s.Step = experiment.Duration(seriesStep)
	}
	if s.Start.IsZero() || t.Before(s.Start) {
		if !s.Start.IsZero() {
			t = s.Start // sent before the series began: count it in the first point
		} else {
			s.Start = t.Truncate(time.Second)
		}
	}
	i := int(t.Sub(s.Start) / s.Step.D())
	for i >= MaxSeriesPoints {
		seriesWiden(s)
		i = int(t.Sub(s.Start) / s.Step.D())
	}
	if i >= len(s.Points) {
		s.Points = append(s.Points, make([]experiment.LoadPoint, i+1-len(s.Points))...)
	}
	mergePoint(&s.Points[i], p)
}

// seriesWiden merges neighbouring points and doubles the step.
func seriesWiden(s *experiment.LoadSeries) {
	merged := make([]experiment.LoadPoint, (len(s.Points)+1)/2)
	for i, p := range s.Points {
		mergePoint(&merged[i/2], p)
	}
	s.Points = merged
	s.Step *= 2
}

func mergePoint(dst *experiment.LoadPoint, p experiment.LoadPoint) {
	if n := dst.Requests + p.Requests; n > 0 {
		dst.MeanMs = (dst.MeanMs*float64(dst.Requests) + p.MeanMs*float64(p.Requests)) / float64(n)
	}
	dst.MaxMs = max(dst.MaxMs, p.MaxMs)
	dst.Requests += p.Requests
	dst.Failures += p.Failures
}

// seriesClone returns an independent copy.
func seriesClone(s experiment.LoadSeries) experiment.LoadSeries {
	s.Points = append([]experiment.LoadPoint(nil), s.Points...)
	return s
}
