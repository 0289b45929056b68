package load

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseThresholdForms(t *testing.T) {
	cases := []struct {
		metric, expr string
		stat, op     string
		pct, bound   float64
		phase        string
	}{
		{"http_req_duration", "p(95)<500ms", "p", "<", 95, 500, ""},
		{"http_req_duration", "p(99.9) <= 1s", "p", "<=", 99.9, 1000, ""},
		{"http_req_duration", "avg<200", "avg", "<", 0, 200, ""},
		{"http_req_duration", "med<250us", "med", "<", 0, 0.25, ""},
		{"http_req_duration", "min>=1ms", "min", ">=", 0, 1, ""},
		{"http_req_duration{phase:chaos}", "max<2s", "max", "<", 0, 2000, "chaos"},
		{"http_req_failed", "rate<0.01", "rate", "<", 0, 0.01, ""},
		{"http_req_failed{ phase : recovery }", "rate===0", "rate", "==", 0, 0, "recovery"},
		{"http_reqs", "rate>95", "rate", ">", 0, 95, ""},
		{"http_reqs{phase:baseline}", "count != 0", "count", "!=", 0, 0, "baseline"},
	}
	for _, c := range cases {
		t.Run(c.metric+" "+c.expr, func(t *testing.T) {
			ths, err := ParseThresholds(map[string][]string{c.metric: {c.expr}})
			if err != nil {
				t.Fatalf("ParseThresholds: %v", err)
			}
			th := ths[0]
			if th.Key != c.metric || th.Expression != c.expr || th.Aggregate != c.stat || string(th.Op) != c.op ||
				th.Percentile != c.pct || math.Abs(th.Value-c.bound) > 1e-9 || th.Phase != c.phase {
				t.Fatalf("got %+v", th)
			}
		})
	}
}

func TestParseThresholdsRejectsBadFormsWithFieldPath(t *testing.T) {
	cases := []struct {
		metric, expr, want string
	}{
		{"http_req_duration", "p95<500", `spec.load.thresholds["http_req_duration"][0]: expression "p95<500"`},
		{"http_req_duration", "p(95)<500 parsecs", `unknown unit "parsecs"`},
		{"http_req_duration", "p(101)<5", "must be in (0, 100]"},
		{"http_req_duration", "count>5", `http_req_duration has no aggregate "count"`},
		{"http_req_failed", "rate<1%", `spec.load.thresholds["http_req_failed"][0]`},
		{"http_req_failed", "p(95)<1", `http_req_failed has no aggregate "p(95)"`},
		{"http_reqs", "rate>95ms", `unit "ms" only applies to http_req_duration`},
		{"http_req_waiting", "avg<1", `unknown metric "http_req_waiting"`},
		{"http_reqs{url:x}", "count>1", `unknown tag "url"`},
		{"http_reqs{phase:chaoss}", "count>1", `unknown phase "chaoss"`},
		{"http_reqs", "", "must be <aggregate> <op> <value>"},
	}
	for _, c := range cases {
		t.Run(c.metric+" "+c.expr, func(t *testing.T) {
			_, err := ParseThresholds(map[string][]string{c.metric: {c.expr}})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "spec.load.thresholds[") {
				t.Fatalf("got %v, want an error with the field path containing %q", err, c.want)
			}
		})
	}
}

func TestThresholdsJudgedOnKnownLatency(t *testing.T) {
	// The server sleeps 200ms, so every latency is at least 200ms; the
	// passing bounds leave room for a busy CI machine.
	tg := startTarget(t, func(tg *target) { tg.sleep = 200 * time.Millisecond })
	spec := constantLoad(tg.URL, "50/s", 2*time.Second)
	spec.Thresholds = map[string][]string{
		"http_req_duration": {"p(95)<1s", "p(95)<150ms", "min>=200", "avg<2000", "max<190ms", "med>=0.2s"},
		"http_req_failed":   {"rate<0.01"},
		"http_reqs":         {"count>=99", "rate>45", "rate>60"},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rep, err := Run(ctx, spec, Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[string]bool{
		"p(95)<1s": true, "p(95)<150ms": false, "min>=200": true, "avg<2000": true, "max<190ms": false, "med>=0.2s": true,
		"rate<0.01": true, "count>=99": true, "rate>45": true, "rate>60": false,
	}
	if len(rep.Thresholds) != len(want) {
		t.Fatalf("thresholds: %+v", rep.Thresholds)
	}
	for _, th := range rep.Thresholds {
		t.Logf("%s %s: %v (%s)", th.Metric, th.Expression, th.Passed, th.Value)
		if th.Passed != want[th.Expression] || th.Value == "" {
			t.Errorf("%s %s: passed=%v value %q, want passed=%v", th.Metric, th.Expression, th.Passed, th.Value, want[th.Expression])
		}
	}
	if p := rep.Phases[0]; p.P50 < 200 || p.P50 > 500 || p.P99 < 200 || p.Max < 200 {
		t.Fatalf("latency percentiles of a 200ms server: %+v", p)
	}
}

func TestThresholdOnEmptyPhaseFails(t *testing.T) {
	ths, err := ParseThresholds(map[string][]string{"http_req_duration{phase:chaos}": {"p(95)<500"}})
	if err != nil {
		t.Fatal(err)
	}
	th := ths[0]
	if passed, value := th.Judge(&Stats{}); passed || !strings.Contains(value, "no requests") {
		t.Fatalf("empty phase: passed=%v %q", passed, value)
	}
}
