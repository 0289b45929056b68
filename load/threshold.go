package load

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/tempest-chaos/tempest/experiment"
)

// Threshold is one k6-style threshold as written in the spec, parsed by
// experiment.ParseThreshold (the same parser spec validation uses).
type Threshold struct {
	// Key is the metric as written, with its tag ("http_req_duration{phase:chaos}").
	Key string
	// Expression as written ("p(95)<500ms").
	Expression string
	experiment.Threshold
}

// ParseThresholds parses a spec's thresholds in a stable order (by metric,
// then as written); an error names its field path.
func ParseThresholds(spec map[string][]string) ([]Threshold, error) {
	keys := make([]string, 0, len(spec))
	for k := range spec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Threshold
	for _, k := range keys {
		for i, expr := range spec[k] {
			t, err := experiment.ParseThreshold(k, expr)
			if err != nil {
				return nil, fmt.Errorf("spec.load.thresholds[%q][%d]: %w", k, i, err)
			}
			out = append(out, Threshold{Key: k, Expression: expr, Threshold: t})
		}
	}
	return out, nil
}

// Judge measures the threshold's aggregate in s and compares it. The value
// is formatted for people ("p(95)=612.0ms"). A duration threshold over no
// requests fails: nothing was measured.
func (t Threshold) Judge(s *Stats) (passed bool, value string) {
	var v float64
	switch {
	case t.Metric == experiment.MetricReqDuration:
		if s.Latency.Count() == 0 {
			return false, t.label() + "=no requests"
		}
		v = durationStat(&s.Latency, t)
		value = fmt.Sprintf("%s=%.1fms", t.label(), v)
	case t.Metric == experiment.MetricReqFailed:
		v = s.FailedRate()
		value = fmt.Sprintf("rate=%.2f%% (%d of %d)", 100*v, s.Requests-s.Successes, s.Requests)
	case t.Aggregate == "count":
		v = float64(s.Requests)
		value = fmt.Sprintf("count=%d", s.Requests)
	default:
		v = s.Rate()
		value = fmt.Sprintf("rate=%.1f/s", v)
	}
	return compare(v, t.Op, t.Value), value
}

// label names the aggregate as k6 writes it ("p(95)", "avg").
func (t Threshold) label() string {
	if t.Aggregate == "p" {
		return "p(" + strconv.FormatFloat(t.Percentile, 'f', -1, 64) + ")"
	}
	return t.Aggregate
}

// durationStat is a latency aggregate in milliseconds.
func durationStat(h *Histogram, t Threshold) float64 {
	ms := func(d interface{ Seconds() float64 }) float64 { return d.Seconds() * 1000 }
	switch t.Aggregate {
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

func compare(v float64, op experiment.Operator, bound float64) bool {
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
