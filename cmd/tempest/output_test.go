package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// sampleResult: a Failed run of sampleExperiment whose fault killed eight
// processes, one threshold failing, a score of 1/3.
func sampleResult() experiment.Result {
	res := experiment.Result{
		Experiment: "kill-loop", Verdict: experiment.VerdictFailed,
		Reasons:         []string{"probe serving: 2 of 13 observations failed", "threshold http_req_failed rate<0.01 failed"},
		ResilienceScore: 100.0 / 3,
		Probes: []experiment.ProbeResult{
			{Name: "serving", Mode: experiment.ModeContinuous, Passed: false, SuccessPercent: 100 * 11.0 / 13, Observations: 13, Failures: 2,
				FirstFailure: &experiment.Observation{Detail: "connection refused"}, Last: &experiment.Observation{Passed: true, Value: "200"}},
			{Name: "healthy-after", Mode: experiment.ModeEOT, Passed: true, SuccessPercent: 99.96, Observations: 2500},
		},
		Targets: []experiment.FaultTargets{{Fault: "kill-workers", Targets: []experiment.Target{{ID: "pid/101", Description: "worker pid 101"}}}},
		Load: &experiment.LoadReport{Requests: 250, Successes: 193, Phases: []experiment.PhaseMetrics{
			{Phase: "chaos", Requests: 250, Successes: 193, SuccessRatio: 193.0 / 250, Rate: 49.83, P50: 4.26, P95: 612.3, P99: 880.04, Max: 1203.5},
		}, Thresholds: []experiment.ThresholdResult{
			{Metric: "http_req_failed", Expression: "rate<0.30", Passed: true, Value: "rate=22.81% (57 of 250)"},
			{Metric: "http_req_failed{phase:chaos}", Expression: "rate<0.01", Passed: false, Value: "rate=22.81% (57 of 250)"},
			{Metric: "http_req_duration", Expression: "p(95)<500ms", Passed: false, Value: "p(95)=612.3ms"},
			{Metric: "http_req_duration", Expression: "avg<1.5s", Passed: true, Value: "avg=212.9ms"},
			{Metric: "http_reqs", Expression: "count>100", Passed: true, Value: "count=250"},
		}},
	}
	f := experiment.FaultResult{Name: "kill-workers", Injections: 8, Reverts: 8, Targets: []string{"pid/101"}}
	for i := range 8 {
		at := t0.Add(time.Duration(i) * time.Second)
		f.Held = append(f.Held, experiment.Injection{N: i + 1, Target: fmt.Sprintf("pid/%d", 101+i), At: at,
			RevertedAt: at.Add(500 * time.Millisecond), Held: 500*time.Millisecond + time.Duration(i)*time.Millisecond, Planned: 500 * time.Millisecond})
	}
	res.Faults = []experiment.FaultResult{f}
	return res
}

func TestSummaryGolden(t *testing.T) {
	dry := experiment.Result{Experiment: "kill-loop", Verdict: experiment.VerdictDryRun,
		Targets: []experiment.FaultTargets{{Fault: "kill-workers", Targets: []experiment.Target{{ID: "pid/101", Description: "worker pid 101"}}}},
		Faults:  []experiment.FaultResult{{Name: "kill-workers"}}}
	for _, tc := range []struct {
		name string
		res  experiment.Result
	}{
		{"failed", sampleResult()},
		{"dryrun", dry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reportOf("tempest-kill-loop-1a2b", "run-1", tc.res, sampleExperiment(), 87, 6800*time.Millisecond, "")
			var text, js bytes.Buffer
			r.writeText(&text)
			if err := r.writeJSON(&js); err != nil {
				t.Fatal(err)
			}
			golden(t, "summary-"+tc.name+".txt.golden", text.Bytes())
			golden(t, "summary-"+tc.name+".json.golden", js.Bytes())
		})
	}
}

func TestThresholdInWrittenUnits(t *testing.T) {
	for _, tc := range []struct {
		metric, expr, value string
		want                string
	}{
		{"http_req_failed", "rate<0.30", "rate=22.81% (57 of 250)", "rate=0.23 (rate<0.30) pass, 57 of 250 failed"},
		{"http_req_failed", "rate<0.001", "rate=0.04% (1 of 2500)", "rate=0.0004 (rate<0.001) pass, 1 of 2500 failed"},
		// Rounded, 0.3004 would read as the limit it exceeds.
		{"http_req_failed", "rate<0.30", "rate=30.04% (751 of 2500)", "rate=0.3004 (rate<0.30) FAIL, 751 of 2500 failed"},
		{"http_req_failed", "rate<0.1", "rate=0.2281", "rate=0.23 (rate<0.1) FAIL"}, // k6's summary: a ratio
		{"http_req_duration", "p(95)<500ms", "p(95)=612.3ms", "p(95)=612ms (p(95)<500ms) FAIL"},
		{"http_req_duration", "p(95)<2s", "p(95)=612.3ms", "p(95)=0.61s (p(95)<2s) pass"},
		{"http_req_duration", "med<200", "med=3.46ms", "med=3.5ms (med<200) pass"},
		{"http_req_duration{phase:chaos}", "p(99)<1.5s", "p(99)=1203.456", "p(99)=1.2s (p(99)<1.5s) pass"},
		{"http_req_duration", "p(95)<500ms", "p(95)=no requests", "p(95)=no requests (p(95)<500ms) pass"},
		{"http_reqs", "rate>10", "rate=49.8/s", "rate=49.8/s (rate>10) pass"},
	} {
		got := thresholdText(experiment.ThresholdResult{Metric: tc.metric, Expression: tc.expr, Value: tc.value, Passed: tc.want[len(tc.want)-4:] != "FAIL" && !bytes.Contains([]byte(tc.want), []byte("FAIL"))})
		if got != tc.want {
			t.Errorf("%s %s %q:\n got %q\nwant %q", tc.metric, tc.expr, tc.value, got, tc.want)
		}
	}
}

func TestPercentOneDecimalAtMost(t *testing.T) {
	for v, want := range map[float64]string{100.0 / 3: "33.3%", 100: "100%", 0: "0%", 99.96: "99.9%", 0.02: "0.1%", 84.61538: "84.6%", 50: "50%"} {
		if got := pct(v); got != want {
			t.Errorf("pct(%v) = %q, want %q", v, got, want)
		}
	}
}
