package load

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
)

// k6Summary is the part of k6's --summary-export file Tempest reads. Trend
// metrics hold avg, min, med, max and p(N) in milliseconds; counters count
// and rate; rates value, passes (true samples) and fails. A threshold maps
// to true when it FAILED (k6's historical, inverted convention).
type k6Summary struct {
	Metrics map[string]map[string]json.RawMessage `json:"metrics"`
}

// ReadK6Summary turns a k6 --summary-export file into a load report: one
// phase named "all", k6's thresholds as written in the script, then the
// spec's thresholds (without phase tags) judged on the summary's figures.
func ReadK6Summary(r io.Reader, specThresholds map[string][]string) (experiment.LoadReport, error) {
	var s k6Summary
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return experiment.LoadReport{}, fmt.Errorf("k6 summary: %w", err)
	}
	if s.Metrics == nil {
		return experiment.LoadReport{}, fmt.Errorf("k6 summary: no metrics")
	}
	num := func(metric, stat string) (float64, bool) {
		raw, ok := s.Metrics[metric][stat]
		if !ok {
			return 0, false
		}
		var v float64
		return v, json.Unmarshal(raw, &v) == nil
	}
	reqs, _ := num(experiment.MetricReqs, "count")
	failed, haveFailed := num(experiment.MetricReqFailed, "passes")
	if !haveFailed {
		failed = 0
	}
	rate, _ := num(experiment.MetricReqs, "rate")
	ph := experiment.PhaseMetrics{Phase: PhaseK6, Requests: int64(reqs), Successes: int64(reqs - failed), Rate: rate}
	if reqs > 0 {
		ph.SuccessRatio = (reqs - failed) / reqs
	}
	ph.P50, _ = num(experiment.MetricReqDuration, "med")
	ph.P90, _ = num(experiment.MetricReqDuration, "p(90)")
	ph.P95, _ = num(experiment.MetricReqDuration, "p(95)")
	ph.P99, _ = num(experiment.MetricReqDuration, "p(99)")
	ph.Max, _ = num(experiment.MetricReqDuration, "max")
	rep := experiment.LoadReport{Requests: ph.Requests, Successes: ph.Successes, Phases: []experiment.PhaseMetrics{ph}}

	metrics := make([]string, 0, len(s.Metrics))
	for m := range s.Metrics {
		metrics = append(metrics, m)
	}
	slices.Sort(metrics)
	for _, m := range metrics {
		raw, ok := s.Metrics[m]["thresholds"]
		if !ok {
			continue
		}
		var failedByExpr map[string]bool
		if err := json.Unmarshal(raw, &failedByExpr); err != nil {
			return rep, fmt.Errorf("k6 summary: thresholds of %s: %w", m, err)
		}
		exprs := make([]string, 0, len(failedByExpr))
		for e := range failedByExpr {
			exprs = append(exprs, e)
		}
		slices.Sort(exprs)
		for _, e := range exprs {
			value := "see k6 summary"
			stat := k6Stat(e)
			if v, ok := num(m, k6SummaryKey(m, stat)); ok {
				value = fmt.Sprintf("%s=%g", stat, v)
			}
			rep.Thresholds = append(rep.Thresholds, experiment.ThresholdResult{Metric: m, Expression: e, Passed: !failedByExpr[e], Value: value})
		}
	}

	thresholds, err := ParseThresholds(specThresholds)
	if err != nil {
		return rep, err
	}
	for _, t := range thresholds {
		res := experiment.ThresholdResult{Metric: t.Key, Expression: t.Expression}
		v, ok := num(t.Metric, k6SummaryKey(t.Metric, t.label()))
		switch {
		case t.Phase != "":
			res.Value = "k6 runs are not split by phase"
		case !ok:
			res.Value = t.label() + " is not in the k6 summary (add it to summaryTrendStats)"
		default:
			res.Passed = compare(v, t.Op, t.Value)
			res.Value = fmt.Sprintf("%s=%g", t.label(), v)
		}
		rep.Thresholds = append(rep.Thresholds, res)
	}
	return rep, nil
}

// k6Stat is the statistic on the left of a k6 threshold expression.
func k6Stat(expr string) string {
	if i := strings.IndexAny(expr, "<>=!"); i > 0 {
		return strings.TrimSpace(expr[:i])
	}
	return strings.TrimSpace(expr)
}

// k6SummaryKey maps a threshold statistic to the summary's key: a rate
// metric's rate is its "value".
func k6SummaryKey(metric, stat string) string {
	if stat == "rate" && metric != experiment.MetricReqs {
		return "value"
	}
	return stat
}
