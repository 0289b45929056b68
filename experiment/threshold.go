package experiment

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Load metrics that thresholds may name (k6 names).
const (
	// MetricReqDuration is the request latency (a trend, in milliseconds).
	MetricReqDuration = "http_req_duration"
	// MetricReqFailed is the share of failed requests (a rate, 0..1).
	MetricReqFailed = "http_req_failed"
	// MetricReqs counts requests (a counter: count, or rate per second).
	MetricReqs = "http_reqs"
)

// Threshold is one parsed k6-style threshold: Aggregate of Metric (in
// Phase, or over the whole load) compared by Op with Value.
type Threshold struct {
	// Metric is the metric name without its tag ("http_req_duration").
	Metric string
	// Phase is "baseline", "chaos", "recovery", or "" for the whole load.
	Phase string
	// Aggregate is "avg", "min", "max", "med", "p", "rate" or "count".
	Aggregate string
	// Percentile is N of "p(N)", in (0, 100].
	Percentile float64
	// Op is <, <=, >, >=, == or !=.
	Op Operator
	// Value is in the metric's unit: milliseconds for http_req_duration
	// (a unit such as "2s" is converted), a ratio for the rate of
	// http_req_failed, requests per second for the rate of http_reqs.
	Value float64
}

// metricAggregates lists each metric's aggregates, as in k6.
func metricAggregates() map[string][]string {
	return map[string][]string{
		MetricReqDuration: {"avg", "min", "max", "med", "p(N)"},
		MetricReqFailed:   {"rate"},
		MetricReqs:        {"count", "rate"},
	}
}

// Phases a threshold may be tagged with.
func thresholdPhases() []string { return []string{"baseline", "chaos", "recovery"} }

var (
	thresholdMetric = regexp.MustCompile(`^\s*([a-z_]+)\s*(?:\{\s*([a-zA-Z_]+)\s*:\s*([^{}:\s]+)\s*\})?\s*$`)
	thresholdExpr   = regexp.MustCompile(`^\s*(avg|min|max|med|count|rate|p\(\s*([0-9]+(?:\.[0-9]+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*([-+0-9.eE]+)\s*([a-zµ]*)\s*$`)
)

// ParseThreshold parses a k6 threshold: metric as written as a key of
// load.thresholds ("http_req_duration{phase:chaos}") and one of its
// expressions ("p(95)<500ms", "avg<200", "rate<0.01", "count>100").
func ParseThreshold(metric, expr string) (Threshold, error) {
	var t Threshold
	m := thresholdMetric.FindStringSubmatch(metric)
	if m == nil {
		return t, fmt.Errorf("metric %q must be a name with an optional {phase:...} tag", metric)
	}
	t.Metric = m[1]
	aggregates, ok := metricAggregates()[t.Metric]
	if !ok {
		return t, fmt.Errorf("unknown metric %q: must be one of %s, %s, %s", t.Metric, MetricReqDuration, MetricReqFailed, MetricReqs)
	}
	if m[2] != "" {
		if m[2] != "phase" {
			return t, fmt.Errorf("unknown tag %q: only phase is supported", m[2])
		}
		if !containsString(thresholdPhases(), m[3]) {
			return t, fmt.Errorf("unknown phase %q: must be one of %s", m[3], strings.Join(thresholdPhases(), ", "))
		}
		t.Phase = m[3]
	}
	e := thresholdExpr.FindStringSubmatch(expr)
	if e == nil {
		return t, fmt.Errorf("expression %q must be <aggregate> <op> <value>, such as p(95)<500ms", expr)
	}
	t.Aggregate = e[1]
	if e[2] != "" {
		t.Aggregate = "p"
		p, err := strconv.ParseFloat(e[2], 64)
		if err != nil || p <= 0 || p > 100 {
			return t, fmt.Errorf("percentile in %q must be in (0, 100]", expr)
		}
		t.Percentile = p
	}
	if !containsString(aggregates, t.Aggregate) && !(t.Aggregate == "p" && containsString(aggregates, "p(N)")) {
		return t, fmt.Errorf("%s has no aggregate %q: use %s", t.Metric, e[1], strings.Join(aggregates, ", "))
	}
	t.Op = Operator(strings.Replace(e[3], "===", "==", 1))
	value, err := thresholdValue(t.Metric, e[4], e[5])
	if err != nil {
		return t, fmt.Errorf("expression %q: %w", expr, err)
	}
	t.Value = value
	return t, nil
}

// thresholdValue converts the written number and unit into the metric's unit.
func thresholdValue(metric, number, unit string) (float64, error) {
	v, err := strconv.ParseFloat(number, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", number)
	}
	if unit == "" {
		return v, nil
	}
	if metric != MetricReqDuration {
		return 0, fmt.Errorf("unit %q only applies to %s", unit, MetricReqDuration)
	}
	d, err := time.ParseDuration(number + unit)
	if err != nil {
		return 0, fmt.Errorf("unknown unit %q: use ms, s or m", unit)
	}
	return float64(d) / float64(time.Millisecond), nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
