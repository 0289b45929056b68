package load

import (
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// Report turns progress into the experiment's load report: totals, one
// PhaseMetrics per phase (the windows' phases in order, even when empty,
// then any other phase seen), the judged thresholds and the time series.
func Report(p Progress, spec experiment.Load, phases []Window) experiment.LoadReport {
	total := p.Total()
	rep := experiment.LoadReport{Requests: total.Requests, Successes: total.Successes}
	for _, name := range phaseOrder(p, phases) {
		rep.Phases = append(rep.Phases, phaseMetrics(name, p.stats(name)))
	}
	rep.Thresholds = judgeThresholds(&p, &total, spec.Thresholds)
	if len(p.Series.Points) > 0 {
		s := seriesClone(p.Series)
		rep.Series = &s
	}
	return rep
}

// phaseOrder lists the windows' phases, then phases only the progress has.
func phaseOrder(p Progress, phases []Window) []string {
	var names []string
	seen := map[string]bool{}
	for _, w := range phases {
		if !seen[w.Phase] {
			seen[w.Phase] = true
			names = append(names, w.Phase)
		}
	}
	for _, ph := range p.Phases {
		if !seen[ph.Phase] {
			seen[ph.Phase] = true
			names = append(names, ph.Phase)
		}
	}
	return names
}

func phaseMetrics(name string, s *Stats) experiment.PhaseMetrics {
	m := experiment.PhaseMetrics{
		Phase:       name,
		Requests:    s.Requests,
		Successes:   s.Successes,
		Rate:        s.Rate(),
		StatusCodes: s.StatusCodes,
		Errors:      s.Errors,
		P50:         millis(s.Latency.Quantile(0.50)),
		P90:         millis(s.Latency.Quantile(0.90)),
		P95:         millis(s.Latency.Quantile(0.95)),
		P99:         millis(s.Latency.Quantile(0.99)),
		Max:         millis(s.Latency.Max()),
	}
	if s.Requests > 0 {
		m.SuccessRatio = float64(s.Successes) / float64(s.Requests)
	}
	return m
}

// judgeThresholds judges every threshold on the whole run or its phase.
// Thresholds were validated before the run; one that no longer parses is
// reported as failed with the reason.
func judgeThresholds(p *Progress, total *Stats, spec map[string][]string) []experiment.ThresholdResult {
	var out []experiment.ThresholdResult
	thresholds, err := ParseThresholds(spec)
	if err != nil {
		return []experiment.ThresholdResult{{Metric: "thresholds", Expression: "", Passed: false, Value: err.Error()}}
	}
	for _, t := range thresholds {
		s := total
		if t.Phase != "" {
			s = p.stats(t.Phase)
		}
		passed, value := t.Judge(s)
		out = append(out, experiment.ThresholdResult{Metric: t.Key, Expression: t.Expression, Passed: passed, Value: value})
	}
	return out
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
