package load

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Metrics a threshold may name, with the statistics each supports.
const (
	MetricDuration = "http_req_duration" // p(N), avg, med, min, max; in ms unless a unit is given
	MetricFailed   = "http_req_failed"   // rate: share of failed requests, 0..1
	MetricRequests = "http_reqs"         // count, rate (requests per second)
)

// statsOf lists the statistics a metric supports; ok is false for an
// unknown metric.
func statsOf(metric string) (stats []string, ok bool) {
	switch metric {
	case MetricDuration:
		return []string{"p", "avg", "med", "min", "max"}, true
	case MetricFailed:
		return []string{"rate"}, true
	case MetricRequests:
		return []string{"count", "rate"}, true
	}
	return nil, false
}

// Threshold is one parsed k6-style threshold expression.
type Threshold struct {
	// Metric and Expression as written.
	Metric     string
	Expression string
	// Name is the metric without its tag; Phase the tagged phase ("" = all).
	Name  string
	Phase string
	// Stat is p, avg, med, min, max, rate or count; Percentile is N of p(N).
	Stat       string
	Percentile float64
	// Op is <, <=, >, >=, == or !=.
	Op string
	// Bound is the right-hand side, in milliseconds for durations.
	Bound float64
}

var (
	metricPattern = regexp.MustCompile(`^([a-z_]+)(?:\{\s*([a-z_]+)\s*:\s*([A-Za-z0-9_-]+)\s*\})?$`)
	exprPattern   = regexp.MustCompile(`^(p\(\s*([0-9]+(?:\.[0-9]+)?)\s*\)|avg|med|min|max|rate|count)\s*(<=|>=|===|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([a-zµ]*)$`)
)

// ParseThreshold parses one k6 threshold: metric is "http_req_duration",
// "http_req_failed" or "http_reqs", optionally tagged with a phase
// ("http_req_duration{phase:chaos}"); expr is e.g. "p(95)<500ms",
// "avg<=0.2s", "med<100", "rate<0.01", "rate>95", "count>=1000".
// Durations without a unit are milliseconds, as in k6.
func ParseThreshold(metric, expr string) (Threshold, error) {
	t := Threshold{Metric: metric, Expression: expr}
	m := metricPattern.FindStringSubmatch(strings.TrimSpace(metric))
	if m == nil {
		return t, fmt.Errorf("metric %q: want name or name{phase:NAME}", metric)
	}
	t.Name = m[1]
	stats, known := statsOf(t.Name)
	if !known {
		return t, fmt.Errorf("metric %q: unknown; known are %s, %s and %s", metric, MetricDuration, MetricFailed, MetricRequests)
	}
	if m[2] != "" {
		if m[2] != "phase" {
			return t, fmt.Errorf("metric %q: only the phase tag is supported", metric)
		}
		if !slices.Contains([]string{PhaseBaseline, PhaseChaos, PhaseRecovery}, m[3]) {
			return t, fmt.Errorf("metric %q: phase must be baseline, chaos or recovery", metric)
		}
		t.Phase = m[3]
	}
	e := exprPattern.FindStringSubmatch(strings.TrimSpace(expr))
	if e == nil {
		return t, fmt.Errorf("expression %q: want STAT OP VALUE such as \"p(95)<500ms\" or \"rate<0.01\"", expr)
	}
	t.Stat = e[1]
	if e[2] != "" {
		t.Stat = "p"
		t.Percentile, _ = strconv.ParseFloat(e[2], 64)
		if t.Percentile < 0 || t.Percentile > 100 {
			return t, fmt.Errorf("expression %q: percentile must be within 0..100", expr)
		}
	}
	if !slices.Contains(stats, t.Stat) {
		return t, fmt.Errorf("expression %q: %s does not support %s (supports %s)", expr, t.Name, t.Stat, strings.Join(stats, ", "))
	}
	t.Op = strings.Replace(e[3], "===", "==", 1)
	t.Bound, _ = strconv.ParseFloat(e[4], 64)
	unit := e[5]
	if t.Name == MetricDuration {
		scale, ok := map[string]float64{"": 1, "ms": 1, "s": 1000, "us": 0.001, "µs": 0.001, "m": 60000}[unit]
		if !ok {
			return t, fmt.Errorf("expression %q: unknown unit %q (use ms, s, us or m)", expr, unit)
		}
		t.Bound *= scale
	} else if unit != "" {
		return t, fmt.Errorf("expression %q: %s takes no unit", expr, t.Name)
	}
	return t, nil
}

// ParseThresholds parses a spec's thresholds in a stable order (by metric,
// then as written); an error names its field path.
func ParseThresholds(spec map[string][]string) ([]Threshold, error) {
	metrics := make([]string, 0, len(spec))
	for m := range spec {
		metrics = append(metrics, m)
	}
	slices.Sort(metrics)
	var out []Threshold
	for _, m := range metrics {
		for i, expr := range spec[m] {
			t, err := ParseThreshold(m, expr)
			if err != nil {
				return nil, fmt.Errorf("spec.load.thresholds[%q][%d]: %w", m, i, err)
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// Judge measures the threshold's statistic in s and compares it. The
// value is formatted for people ("p(95)=612.0ms"). A duration threshold
// over no requests fails: nothing was measured.
func (t Threshold) Judge(s *Stats) (passed bool, value string) {
	var v float64
	switch {
	case t.Name == MetricDuration:
		if s.Latency.Count() == 0 {
			return false, t.Stat + "=no requests"
		}
		v = durationStat(&s.Latency, t)
		value = fmt.Sprintf("%s=%.1fms", t.statLabel(), v)
	case t.Name == MetricFailed:
		v = s.FailedRate()
		value = fmt.Sprintf("rate=%.2f%% (%d of %d)", 100*v, s.Requests-s.Successes, s.Requests)
	case t.Stat == "count":
		v = float64(s.Requests)
		value = fmt.Sprintf("count=%d", s.Requests)
	default:
		v = s.Rate()
		value = fmt.Sprintf("rate=%.1f/s", v)
	}
	return compare(v, t.Op, t.Bound), value
}

func (t Threshold) statLabel() string {
	if t.Stat == "p" {
		return "p(" + strconv.FormatFloat(t.Percentile, 'f', -1, 64) + ")"
	}
	return t.Stat
}

// durationStat is a latency statistic in milliseconds.
func durationStat(h *Histogram, t Threshold) float64 {
	ms := func(d interface{ Seconds() float64 }) float64 { return d.Seconds() * 1000 }
	switch t.Stat {
	case "p":
		return ms(h.Quantile(t.Percentile / 100))
	case "avg":
		return ms(h.Mean())
	case "med":
		return ms(h.Quantile(0.5))
	case "min":
		return ms(h.Min())
	default:
		return ms(h.Max())
	}
}

func compare(v float64, op string, bound float64) bool {
	switch op {
	case "<":
		return v < bound
	case "<=":
		return v <= bound
	case ">":
		return v > bound
	case ">=":
		return v >= bound
	case "==":
		return v == bound
	default:
		return v != bound
	}
}
