package experiment

import "time"

// LoadReport is the outcome of an experiment's load, split by phase.
// Package load fills it.
type LoadReport struct {
	// Requests sent in total, and how many succeeded.
	Requests  int64 `json:"requests"`
	Successes int64 `json:"successes"`
	// Phases holds baseline, chaos and recovery metrics, in that order.
	Phases []PhaseMetrics `json:"phases"`
	// Thresholds are the k6-style thresholds, each judged.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Series is the load over time for plots: one point per Step (1s, widened
	// so a long run keeps at most a few thousand points).
	Series *LoadSeries `json:"series,omitempty"`
}

// LoadSeries is the load over time, one point per Step from Start.
type LoadSeries struct {
	Start  time.Time   `json:"start"`
	Step   Duration    `json:"step"`
	Points []LoadPoint `json:"points"`
}

// LoadPoint is the load of one Step of a LoadSeries, by send time.
type LoadPoint struct {
	Requests int64 `json:"n"`
	Failures int64 `json:"failed"`
	// MeanMs and MaxMs are the latency mean and maximum in milliseconds.
	MeanMs float64 `json:"meanMs"`
	MaxMs  float64 `json:"maxMs"`
}

// PhaseMetrics are the load metrics of one phase.
type PhaseMetrics struct {
	Phase        string           `json:"phase"`
	Requests     int64            `json:"requests"`
	Successes    int64            `json:"successes"`
	SuccessRatio float64          `json:"successRatio"`
	Rate         float64          `json:"rate"`
	StatusCodes  map[string]int64 `json:"statusCodes,omitempty"`
	Errors       map[string]int64 `json:"errors,omitempty"`
	// Latencies in milliseconds.
	P50 float64 `json:"p50Ms"`
	P90 float64 `json:"p90Ms"`
	P95 float64 `json:"p95Ms"`
	P99 float64 `json:"p99Ms"`
	Max float64 `json:"maxMs"`
}

// ThresholdResult is one judged threshold expression.
type ThresholdResult struct {
	// Metric as written, with its tag ("http_req_duration{phase:chaos}").
	Metric string `json:"metric"`
	// Expression as written ("p(95)<500ms").
	Expression string `json:"expression"`
	Passed     bool   `json:"passed"`
	// Value measured, for people ("p(95)=612ms").
	Value string `json:"value"`
}
