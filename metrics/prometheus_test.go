package metrics

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

func killRequest(run, target string, injection int) fault.Request {
	return fault.Request{
		Run:       fault.Run{WorkflowID: "wf-" + run, RunID: run, Experiment: "kill-api"},
		Fault:     experiment.Fault{Name: "kill", Duration: experiment.Duration(time.Minute), Process: &experiment.ProcessFault{}},
		Target:    experiment.Target{ID: target},
		Injection: injection,
	}
}

func TestPrometheusFaults(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := NewPrometheus("process", "podDelete")
	p.now = func() time.Time { return now }

	p.Injected(killRequest("r1", "a", 1), nil)
	p.Injected(killRequest("r1", "b", 1), nil)
	p.Injected(killRequest("r1", "c", 1), errors.New("no such process"))
	p.Reverted(killRequest("r1", "a", 1), errors.New("busy"))
	p.Reverted(killRequest("r1", "a", 1), nil)
	p.Reverted(killRequest("r1", "a", 1), nil) // a retry after a lost answer: still one active fewer, not two

	want := `
# HELP tempest_faults_active Injections this worker made and has not reverted, by fault kind (sum over workers).
# TYPE tempest_faults_active gauge
tempest_faults_active{kind="podDelete"} 0
tempest_faults_active{kind="process"} 1
# HELP tempest_fault_injections_total Injections that reached their fault implementation, by fault kind and outcome (success: the fault took effect).
# TYPE tempest_fault_injections_total counter
tempest_fault_injections_total{kind="podDelete",outcome="failure"} 0
tempest_fault_injections_total{kind="podDelete",outcome="success"} 0
tempest_fault_injections_total{kind="process",outcome="failure"} 1
tempest_fault_injections_total{kind="process",outcome="success"} 2
# HELP tempest_fault_reverts_total Revert attempts, by fault kind and outcome (failure: this attempt failed; it is retried).
# TYPE tempest_fault_reverts_total counter
tempest_fault_reverts_total{kind="podDelete",outcome="failure"} 0
tempest_fault_reverts_total{kind="podDelete",outcome="success"} 0
tempest_fault_reverts_total{kind="process",outcome="failure"} 1
tempest_fault_reverts_total{kind="process",outcome="success"} 2
`
	if err := testutil.CollectAndCompare(p, strings.NewReader(want), "tempest_faults_active", "tempest_fault_injections_total", "tempest_fault_reverts_total"); err != nil {
		t.Error(err)
	}

	overdue := func() float64 {
		t.Helper()
		return seriesValue(t, p, "tempest_fault_injections_overdue", "process")
	}
	now = now.Add(time.Minute + OverdueGrace) // the fault's duration plus the grace: not yet
	if got := overdue(); got != 0 {
		t.Errorf("overdue at the bound = %v, want 0", got)
	}
	now = now.Add(time.Second)
	if got := overdue(); got != 1 {
		t.Errorf("overdue past the bound = %v, want 1", got)
	}

	// The run closing forgets what it left here (reverted elsewhere, or the watchdog's).
	p.ExperimentClosed(ClosedRun{RunID: "r1", Experiment: "kill-api", Verdict: "Passed", Duration: 30 * time.Second, Score: 87.5, HasScore: true})
	if got := testutil.ToFloat64(p.score.WithLabelValues("kill-api")); got != 87.5 {
		t.Errorf("score = %v", got)
	}
	if got := testutil.ToFloat64(p.experiments.WithLabelValues("kill-api", "Passed")); got != 1 {
		t.Errorf("experiments = %v", got)
	}
	if got := overdue(); got != 0 {
		t.Errorf("overdue after the run closed = %v, want 0", got)
	}
}

func TestPrometheusProbesAndLoad(t *testing.T) {
	p := NewPrometheus()
	probe := experiment.Probe{Name: "api-up", HTTP: &experiment.HTTPProbe{}}
	p.Observed(probe, experiment.Observation{Passed: true})
	p.Observed(probe, experiment.Observation{Passed: true})
	p.Observed(probe, experiment.Observation{Passed: false})
	if got := testutil.ToFloat64(p.observations.WithLabelValues("api-up", "http", ResultPass)); got != 2 {
		t.Errorf("passes = %v", got)
	}
	if got := testutil.ToFloat64(p.observations.WithLabelValues("api-up", "http", ResultFail)); got != 1 {
		t.Errorf("failures = %v", got)
	}
	p.LoadRequests("chaos", 7, 3, []Latency{{D: 20 * time.Millisecond, N: 9}, {D: 3 * time.Second, N: 1}})
	if got := testutil.ToFloat64(p.loadRequests.WithLabelValues("chaos", OutcomeFailure)); got != 3 {
		t.Errorf("failed requests = %v", got)
	}
	want := `
# HELP tempest_load_request_duration_seconds Latency of completed load requests, failed ones included, by load phase.
# TYPE tempest_load_request_duration_seconds histogram
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.001"} 0
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.0025"} 0
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.005"} 0
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.01"} 0
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.025"} 9
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.05"} 9
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.1"} 9
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.25"} 9
tempest_load_request_duration_seconds_bucket{phase="chaos",le="0.5"} 9
tempest_load_request_duration_seconds_bucket{phase="chaos",le="1"} 9
tempest_load_request_duration_seconds_bucket{phase="chaos",le="2.5"} 9
tempest_load_request_duration_seconds_bucket{phase="chaos",le="5"} 10
tempest_load_request_duration_seconds_bucket{phase="chaos",le="10"} 10
tempest_load_request_duration_seconds_bucket{phase="chaos",le="+Inf"} 10
tempest_load_request_duration_seconds_sum{phase="chaos"} 3.18
tempest_load_request_duration_seconds_count{phase="chaos"} 10
`
	want += emptyLatency("baseline") + emptyLatency("recovery") // declared, never observed
	if err := testutil.CollectAndCompare(p, strings.NewReader(want), "tempest_load_request_duration_seconds"); err != nil {
		t.Error(err)
	}
}

// TestPrometheusLint checks every Tempest series against Prometheus's
// naming conventions (what `promtool check metrics` checks).
func TestPrometheusLint(t *testing.T) {
	p := NewPrometheus("process")
	p.Injected(killRequest("r1", "a", 1), nil)
	p.Observed(experiment.Probe{Name: "up", HTTP: &experiment.HTTPProbe{}}, experiment.Observation{Passed: true})
	p.LoadRequests("baseline", 1, 0, []Latency{{D: time.Millisecond, N: 1}})
	p.ExperimentClosed(ClosedRun{RunID: "r1", Experiment: "x", Verdict: "Failed", Duration: time.Second, HasScore: true})
	reg, err := Registry(p)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("%s: %s", pr.Metric, pr.Text)
	}
}

func TestNopAndOr(t *testing.T) {
	var r Recorder = Or(nil)
	r.Injected(killRequest("r", "t", 1), nil)
	r.ExperimentClosed(ClosedRun{})
	p := NewPrometheus()
	if Or(p) != Recorder(p) {
		t.Error("Or(p) is not p")
	}
}

// seriesValue is the value of name's series whose first label is value.
func seriesValue(t *testing.T, c prometheus.Collector, name, value string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == value {
				return m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series %s{...=%q}", name, value)
	return 0
}

// emptyLatency is the text form of a load phase's latency histogram
// without samples.
func emptyLatency(phase string) string {
	var b strings.Builder
	for _, le := range []string{"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"} {
		fmt.Fprintf(&b, "tempest_load_request_duration_seconds_bucket{phase=%q,le=%q} 0\n", phase, le)
	}
	fmt.Fprintf(&b, "tempest_load_request_duration_seconds_sum{phase=%q} 0\n", phase)
	fmt.Fprintf(&b, "tempest_load_request_duration_seconds_count{phase=%q} 0\n", phase)
	return b.String()
}
