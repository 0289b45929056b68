package report

import (
	"fmt"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

var t0 = time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// sampleRun is a Failed run of 40 s: 10 s of baseline, a fault killing
// one target twice (5 s holds, the second cut short by a breach), a probe
// that failed during chaos, a revert that failed, and 100 req/s of load.
func sampleRun() Run {
	obs := func(d time.Duration, ok bool, v, detail string) *experiment.Observation {
		return &experiment.Observation{Passed: ok, Value: v, Detail: detail, At: at(d), Took: 3 * time.Millisecond}
	}
	res := experiment.Result{
		Experiment:      "checkout-kill",
		Verdict:         experiment.VerdictFailed,
		Reasons:         []string{`probe "checkout-ok" failed: 4 of 20 observations (expected status 200, got 503)`, "threshold http_req_failed{phase:chaos} rate<0.05 not met: rate=0.21"},
		ResilienceScore: 66.7,
		StartedAt:       t0,
		EndedAt:         at(40 * time.Second),
		Probes: []experiment.ProbeResult{
			{Name: "serving-before", Mode: experiment.ModeSOT, Passed: true, SuccessPercent: 100, Observations: 1, Last: obs(time.Second, true, "200", ""), Weight: 1},
			{Name: "checkout-ok", Mode: experiment.ModeContinuous, Passed: false, SuccessPercent: 80, Observations: 20, Failures: 4,
				FirstFailure: obs(12500*time.Millisecond, false, "503", "expected status 200, got 503"), Last: obs(29*time.Second, true, "200", ""), Weight: 2},
		},
		Faults: []experiment.FaultResult{{
			Name: "kill-checkout", Injections: 2, Reverts: 2, Targets: []string{"pid/4242"},
			Held: []experiment.Injection{
				{N: 1, Target: "pid/4242", At: at(10 * time.Second), RevertedAt: at(15*time.Second + 40*time.Millisecond), Held: 5*time.Second + 40*time.Millisecond, Planned: 5 * time.Second},
				{N: 2, Target: "pid/4242", At: at(20 * time.Second), RevertedAt: at(23 * time.Second), Held: 3 * time.Second, Planned: 5 * time.Second, CutShort: "probe \"checkout-ok\" failed with stopOnFailure"},
			},
			Recovery: 1500 * time.Millisecond, RecoveryKnown: true,
		}, {
			Name: "pause-db", Injections: 1, Reverts: 0, Targets: []string{"pid/777"}, LeftBehind: []string{"pid/777"},
			Held: []experiment.Injection{{N: 1, Target: "pid/777", At: at(21 * time.Second), Planned: 2 * time.Second}},
		}},
		Targets: []experiment.FaultTargets{
			{Fault: "kill-checkout", Targets: []experiment.Target{{ID: "pid/4242", Description: "checkout pid 4242 on :8080"}}},
			{Fault: "pause-db", Targets: []experiment.Target{{ID: "pid/777", Description: "db pid 777 on :5432"}}},
		},
		Load: sampleLoad(40, time.Second, 100),
	}
	res.Load.Thresholds = []experiment.ThresholdResult{
		{Metric: "http_req_duration{phase:chaos}", Expression: "p(95)<500ms", Passed: true, Value: "p(95)=212ms"},
		{Metric: "http_req_failed{phase:chaos}", Expression: "rate<0.05", Passed: false, Value: "rate=0.21"},
		{Metric: "http_reqs", Expression: "rate>50", Passed: true, Value: "rate=100"},
		{Metric: "http_reqs", Expression: "count>1000", Passed: true, Value: "count=4000"},
	}
	tl := BuildTimeline(res, History{
		Injections: []Injection{
			{Fault: "kill-checkout", N: 1, Target: "pid/4242", Summary: "inject kill-checkout #1 into pid/4242", Scheduled: at(9900 * time.Millisecond),
				RevertSummary: "revert kill-checkout #1 on pid/4242", RevertStarted: at(15 * time.Second)},
			{Fault: "kill-checkout", N: 2, Target: "pid/4242", Summary: "inject kill-checkout #2 into pid/4242", Scheduled: at(19900 * time.Millisecond),
				RevertSummary: "revert kill-checkout #2 on pid/4242", RevertStarted: at(22900 * time.Millisecond)},
			{Fault: "pause-db", N: 1, Target: "pid/777", Summary: "inject pause-db into pid/777", Scheduled: at(20900 * time.Millisecond),
				RevertSummary: "revert pause-db on pid/777", RevertStarted: at(23 * time.Second), RevertError: "revert \"pause-db\" on pid/777: no such process"},
		},
		Probes: []ProbeRun{
			{Probe: "serving-before", Mode: experiment.ModeSOT, Summary: "probe serving-before (SOT)", Start: at(500 * time.Millisecond), End: at(time.Second), Passed: true, Observations: 1, Last: res.Probes[0].Last},
			{Probe: "checkout-ok", Mode: experiment.ModeContinuous, Summary: "probe checkout-ok (Continuous)", Start: at(10 * time.Second), End: at(30 * time.Second),
				Observations: 20, Failures: 4, FirstFailure: res.Probes[1].FirstFailure, Last: res.Probes[1].Last},
		},
	})
	return Run{
		WorkflowID: "tempest-checkout-kill-1a2b3c4d",
		RunID:      "0192f3a4-5b6c-7d8e-9f00-112233445566",
		Hypothesis: "checkout keeps serving while one instance is killed",
		UILink:     "http://127.0.0.1:8233/namespaces/default/workflows/tempest-checkout-kill-1a2b3c4d/0192f3a4-5b6c-7d8e-9f00-112233445566/history",
		Result:     res,
		Timeline:   tl,
	}
}

// sampleLoad is a load series of n points step apart at rate req/s from
// t0, failing a fifth of the requests between 10 s and 30 s.
func sampleLoad(n int, step time.Duration, rate int) *experiment.LoadReport {
	s := &experiment.LoadSeries{Start: t0, Step: experiment.Duration(step)}
	var total, ok int64
	per := int64(float64(rate) * step.Seconds())
	for i := range n {
		p := experiment.LoadPoint{Requests: per, MeanMs: 20 + float64(i%7), MaxMs: 80 + float64(i%13)}
		if d := time.Duration(i) * step; d >= 10*time.Second && d < 30*time.Second {
			p.Failures = per / 5
			p.MeanMs, p.MaxMs = 150, 900
		}
		s.Points = append(s.Points, p)
		total += p.Requests
		ok += p.Requests - p.Failures
	}
	return &experiment.LoadReport{
		Requests: total, Successes: ok, Series: s,
		Phases: []experiment.PhaseMetrics{
			{Phase: "baseline", Requests: 1000, Successes: 1000, SuccessRatio: 1, Rate: 100, P50: 20, P90: 24, P95: 25, P99: 26, Max: 92},
			{Phase: "chaos", Requests: 1300, Successes: 1027, SuccessRatio: 0.79, Rate: 100, P50: 150, P90: 190, P95: 212, P99: 700, Max: 900},
			{Phase: "recovery", Requests: 1700, Successes: 1700, SuccessRatio: 1, Rate: 100, P50: 21, P90: 24, P95: 25, P99: 27, Max: 92},
		},
	}
}

// hourRun is a synthetic one-hour run at 1,000 req/s: 3,600 one-second
// points, a fault injected every minute for 20 s (60 injections), and two
// watching probes.
func hourRun() Run {
	r := sampleRun()
	res := &r.Result
	res.EndedAt = at(time.Hour + 30*time.Second)
	res.Load = sampleLoad(3600, time.Second, 1000)
	res.Load.Thresholds = sampleRun().Result.Load.Thresholds
	var held []experiment.Injection
	var hist []Injection
	for i := range 60 {
		in := at(time.Duration(i)*time.Minute + 30*time.Second)
		held = append(held, experiment.Injection{N: i + 1, Target: "pid/4242", At: in, RevertedAt: in.Add(20 * time.Second), Held: 20 * time.Second, Planned: 20 * time.Second})
		hist = append(hist, Injection{Fault: "kill-checkout", N: i + 1, Target: "pid/4242", Summary: fmt.Sprintf("inject kill-checkout #%d into pid/4242", i+1),
			Scheduled: in.Add(-50 * time.Millisecond), RevertSummary: fmt.Sprintf("revert kill-checkout #%d on pid/4242", i+1), RevertStarted: in.Add(20 * time.Second)})
	}
	res.Faults = res.Faults[:1]
	res.Faults[0].Injections, res.Faults[0].Reverts, res.Faults[0].Held = 60, 60, held
	r.Timeline = BuildTimeline(*res, History{Injections: hist, Probes: sampleRun().Timeline.Probes})
	return r
}
