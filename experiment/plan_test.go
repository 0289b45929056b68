package experiment

import (
	"math"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	s := time.Second
	exp := Experiment{Spec: Spec{
		Faults: []Fault{
			// injections at 5s, 10s, 15s; the last is held 3s: ends at 18s.
			{StartAfter: Duration(5 * s), Duration: Duration(12 * s), Interval: Duration(5 * s), Hold: Duration(3 * s)},
			// one injection held for its duration: ends at 10s.
			{Duration: Duration(10 * s)},
		},
		Probes: []Probe{
			// 2s delay + 3 attempts of 4s + 2 pauses of 1s = 16s
			{Mode: ModeSOT, InitialDelay: Duration(2 * s), Timeout: Duration(4 * s), Interval: Duration(s), Retries: 2},
			// defaults: one attempt of 10s
			{Mode: ModeEdge},
			// 5 attempts of 2s + 4 pauses of 3s = 22s
			{Mode: ModeEOT, Timeout: Duration(2 * s), Interval: Duration(3 * s), Retries: 4},
			{Mode: ModeContinuous, Timeout: Duration(time.Hour)},
		},
		Load: &Load{StartAfter: Duration(2 * s), Stages: []LoadStage{{Duration: Duration(10 * s)}, {Duration: Duration(7 * s)}}},
	}}
	checks := []struct {
		name      string
		got, want Duration
	}{
		{"chaos window (fault end 18s > load end 19s?)", exp.ChaosWindow(), Duration(19 * s)},
		{"start budget", exp.StartBudget(), Duration(16 * s)},
		{"end budget", exp.EndBudget(), Duration(22 * s)},
		{"planned", exp.PlannedDuration(), Duration(57 * s)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	exp.Spec.Load = nil
	if w := exp.ChaosWindow(); w != Duration(18*s) {
		t.Errorf("chaos window without load = %s, want 18s", w)
	}
}

func TestPlanSaturates(t *testing.T) {
	exp := Experiment{Spec: Spec{Probes: []Probe{{Mode: ModeEOT, Timeout: math.MaxInt64 / 2, Retries: 1000}}}}
	if got := exp.PlannedDuration(); got != math.MaxInt64 {
		t.Errorf("planned = %d, want saturation at MaxInt64", int64(got))
	}
}
