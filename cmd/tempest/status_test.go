package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
	"github.com/tempest-chaos/tempest/starter"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// t0 is the fake clock's start.
var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func ms(n int) experiment.Duration { return experiment.Duration(time.Duration(n) * time.Millisecond) }

// sampleExperiment: a kill repeated every second with no restart command,
// an EOT and a Continuous probe, a load.
func sampleExperiment() *experiment.Experiment {
	return &experiment.Experiment{
		Kind:     "Experiment",
		Metadata: experiment.Metadata{Name: "kill-loop"},
		Spec: experiment.Spec{
			Faults: []experiment.Fault{{
				Name: "kill-workers", Duration: ms(8000), Interval: ms(1000), Hold: ms(500),
				Process: &experiment.ProcessFault{Selector: experiment.ProcessSelector{Name: "worker"}},
			}},
			Probes: []experiment.Probe{
				{Name: "serving", Mode: experiment.ModeContinuous, Interval: ms(500), HTTP: &experiment.HTTPProbe{URL: "http://127.0.0.1:8080/healthz"}},
				{Name: "healthy-after", Mode: experiment.ModeEOT, InitialDelay: ms(1000), Retries: 5, Interval: ms(1000), Timeout: ms(2000), HTTP: &experiment.HTTPProbe{URL: "http://127.0.0.1:8080/healthz"}},
			},
		},
	}
}

func sampleLoad() *load.Progress {
	var s load.Stats
	s.Requests, s.Successes = 400, 391
	for i := range 400 {
		s.Latency.Record(time.Duration(5+i%100) * time.Millisecond)
	}
	p := &load.Progress{Phases: []load.PhaseStats{{Phase: load.PhaseChaos, Stats: s}}}
	p.Series.Start, p.Series.Step = t0, experiment.Duration(time.Second)
	for _, n := range []int64{50, 49, 51, 50, 50, 12} {
		p.Series.Points = append(p.Series.Points, experiment.LoadPoint{Requests: n})
	}
	return p
}

func runningInput() statusInput {
	return statusInput{
		desc: starter.Description{WorkflowID: "tempest-kill-loop-1a2b", RunID: "run-1", Status: "Running", Running: true, StartTime: t0,
			Probes: []experiment.ProbeResult{{Name: "serving", Mode: experiment.ModeContinuous, Observations: 13, Failures: 2}},
			Load:   sampleLoad()},
		exp: sampleExperiment(),
		status: &experiment.Status{Experiment: "kill-loop", Phase: experiment.PhaseChaos, StartedAt: t0, Elapsed: 2 * time.Second,
			PlannedTotal: 3*time.Second + 7500*time.Millisecond + 18*time.Second, ActiveFaults: []string{"kill-workers"}},
		timeline: &experiment.Timeline{Intervals: []experiment.Interval{
			{Fault: "kill-workers", Injection: 3, Target: "pid/101", From: t0, To: t0.Add(time.Second)},
			{Fault: "kill-workers", Injection: 4, Target: "pid/102", From: t0.Add(2 * time.Second)},
			{Fault: "kill-workers", Injection: 4, Target: "pid/103", From: t0.Add(2 * time.Second)},
		}},
		link: "http://temporal-ui.example/namespaces/default/workflows/tempest-kill-loop-1a2b/run-1/history",
	}
}

func finishedInput() statusInput {
	res := sampleResult()
	return statusInput{
		desc: starter.Description{WorkflowID: "tempest-kill-loop-1a2b", RunID: "run-1", Status: "Failed", StartTime: t0, CloseTime: t0.Add(6800 * time.Millisecond)},
		exp:  sampleExperiment(), result: &res, events: 87,
	}
}

func TestStatusGolden(t *testing.T) {
	noWorker := runningInput()
	noWorker.status, noWorker.timeline, noWorker.desc.Probes, noWorker.desc.Load = nil, nil, nil, nil
	noWorker.queryErr = errors.New("no poller seen for task queue recently")
	terminated := finishedInput()
	terminated.desc.Status, terminated.result = "Terminated", nil
	terminated.resultErr = errors.New("workflow execution error: terminated")
	for _, tc := range []struct {
		name string
		in   statusInput
	}{
		{"running", runningInput()},
		{"finished", finishedInput()},
		{"no-worker", noWorker},
		{"terminated", terminated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newStatusView(tc.in, t0.Add(12*time.Second))
			var text, js bytes.Buffer
			v.writeText(&text)
			if err := v.writeJSON(&js); err != nil {
				t.Fatal(err)
			}
			golden(t, "status-"+tc.name+".txt.golden", text.Bytes())
			golden(t, "status-"+tc.name+".json.golden", js.Bytes())
		})
	}
}

// TestElapsedMovesBetweenWorkflowTasks: the query's elapsed is as of the
// workflow's last task; the view counts on from the start by the clock.
func TestElapsedMovesBetweenWorkflowTasks(t *testing.T) {
	in := runningInput()
	for _, after := range []time.Duration{3 * time.Second, 9 * time.Second} {
		if v := newStatusView(in, t0.Add(after)); v.ElapsedSeconds != after.Seconds() {
			t.Fatalf("after %v: elapsed %vs", after, v.ElapsedSeconds)
		}
	}
}

func TestEstimate(t *testing.T) {
	spec := sampleExperiment()
	p := newPlan(*spec)
	if spec.Spec.Faults[0].Process.Action != "" {
		t.Fatal("newPlan wrote the defaults into the caller's experiment")
	}
	// Before chaos: the time so far, the 7.5 s window (the last kill at 7 s,
	// held 0.5 s), the EOT probe's 1 s delay; at most its 6 checks of 2 s
	// and 5 pauses of 1 s after its delay.
	exp, most := p.estimate(&experiment.Status{Phase: experiment.PhaseSOT}, 2*time.Second)
	if exp != 10500*time.Millisecond || most != 2*time.Second+7500*time.Millisecond+18*time.Second {
		t.Fatalf("before chaos: ~%v, at most %v", exp, most)
	}
	// Chaos began 3 s in: PlannedTotal = 3 + 7.5 + 18.
	exp, most = p.estimate(&experiment.Status{Phase: experiment.PhaseChaos, PlannedTotal: 28500 * time.Millisecond}, 5*time.Second)
	if exp != 11500*time.Millisecond || most != 28500*time.Millisecond {
		t.Fatalf("in chaos: ~%v, at most %v", exp, most)
	}
}
