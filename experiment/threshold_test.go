package experiment

import (
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	good := []struct {
		metric, expr string
		want         Threshold
	}{
		{"http_req_duration", "p(95)<500ms", Threshold{Metric: MetricReqDuration, Aggregate: "p", Percentile: 95, Op: OpLt, Value: 500}},
		{"http_req_duration", "p(99.9) <= 1500", Threshold{Metric: MetricReqDuration, Aggregate: "p", Percentile: 99.9, Op: OpLe, Value: 1500}},
		{"http_req_duration{phase:chaos}", "max<2s", Threshold{Metric: MetricReqDuration, Phase: "chaos", Aggregate: "max", Op: OpLt, Value: 2000}},
		{"http_req_duration", "avg<200", Threshold{Metric: MetricReqDuration, Aggregate: "avg", Op: OpLt, Value: 200}},
		{"http_req_duration { phase : baseline }", "med < 1.5s", Threshold{Metric: MetricReqDuration, Phase: "baseline", Aggregate: "med", Op: OpLt, Value: 1500}},
		{"http_req_failed", "rate<0.01", Threshold{Metric: MetricReqFailed, Aggregate: "rate", Op: OpLt, Value: 0.01}},
		{"http_req_failed{phase:recovery}", "rate===0", Threshold{Metric: MetricReqFailed, Phase: "recovery", Aggregate: "rate", Op: OpEq, Value: 0}},
		{"http_reqs", "rate>95", Threshold{Metric: MetricReqs, Aggregate: "rate", Op: OpGt, Value: 95}},
		{"http_reqs", "count>=100", Threshold{Metric: MetricReqs, Aggregate: "count", Op: OpGe, Value: 100}},
	}
	for _, c := range good {
		got, err := ParseThreshold(c.metric, c.expr)
		if err != nil {
			t.Errorf("ParseThreshold(%q, %q): %v", c.metric, c.expr, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseThreshold(%q, %q) = %+v, want %+v", c.metric, c.expr, got, c.want)
		}
	}
	bad := []struct{ metric, expr, want string }{
		{"http_req_duration", "p95<1s", "must be <aggregate> <op> <value>"},
		{"http_req_duration", "p(0)<1s", "percentile"},
		{"http_req_duration", "p(101)<1s", "percentile"},
		{"http_req_duration", "rate<0.1", `no aggregate "rate"`},
		{"http_req_failed", "p(95)<0.1", `no aggregate "p(95)"`},
		{"http_req_failed", "rate<1ms", "unit"},
		{"http_req_duration", "avg<5parsecs", "unknown unit"},
		{"http_req_duration", "avg=5", "must be <aggregate> <op> <value>"},
		{"vus", "value<5", "unknown metric"},
		{"http_req_duration{status:200}", "avg<5", "only phase"},
		{"http_req_duration{phase:during}", "avg<5", "unknown phase"},
		{"http_req_duration{phase", "avg<5", "tag"},
	}
	for _, c := range bad {
		_, err := ParseThreshold(c.metric, c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseThreshold(%q, %q) = %v, want an error containing %q", c.metric, c.expr, err, c.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	good := map[string]Rate{
		"100/s":    {100, time.Second},
		"6000/m":   {6000, time.Minute},
		"5/h":      {5, time.Hour},
		"10/500ms": {10, 500 * time.Millisecond},
		" 0 / s ":  {0, time.Second},
	}
	for in, want := range good {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if r := (Rate{6000, time.Minute}); r.PerSecond() != 100 || r.String() != "6000/m" {
		t.Errorf("rate %v: %v/s", r, r.PerSecond())
	}
	for _, in := range []string{"", "100", "100/", "-1/s", "1.5/s", "ten/s", "10/0s", "10/d"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) succeeded", in)
		}
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]int{"SIGKILL": 9, "KILL": 9, "sigterm": 15, "9": 9, "SIGSTOP": 19, "HUP": 1} {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "SIGBOOM", "0", "65", "-9"} {
		if _, err := ParseSignal(in); err == nil {
			t.Errorf("ParseSignal(%q) succeeded", in)
		}
	}
}
