package load

import (
	"context"
	"testing"
	"time"
)

func TestPhaseSplitShowsChaosErrorsOnlyInChaos(t *testing.T) {
	start := time.Now().Add(200 * time.Millisecond)
	chaosStart, chaosEnd := start.Add(time.Second), start.Add(2*time.Second)
	// The fault: the server answers 503 while it is "injected", a little
	// inside the chaos window so requests in flight at a boundary stay on
	// their side of it.
	tg := startTarget(t, func(tg *target) {
		tg.failing = func(now time.Time) bool {
			return now.After(chaosStart.Add(20*time.Millisecond)) && now.Before(chaosEnd.Add(-20*time.Millisecond))
		}
	})
	spec := constantLoad(tg.URL, "100/s", 3*time.Second)
	spec.Thresholds = map[string][]string{
		"http_req_failed{phase:baseline}": {"rate<0.01"},
		"http_req_failed{phase:chaos}":    {"rate<0.01"},
		"http_req_failed{phase:recovery}": {"rate<0.01"},
	}
	windows := []Window{
		{Phase: PhaseBaseline, Start: start, End: chaosStart},
		{Phase: PhaseChaos, Start: chaosStart, End: chaosEnd},
		{Phase: PhaseRecovery, Start: chaosEnd, End: start.Add(3 * time.Second)},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rep, err := Run(ctx, spec, Options{StartAt: start, Phases: windows})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.Phases) != 3 {
		t.Fatalf("phases: %+v", rep.Phases)
	}
	for _, p := range rep.Phases {
		t.Logf("%-9s %3d requests, %.1f%% ok, codes %v, errors %v", p.Phase, p.Requests, 100*p.SuccessRatio, p.StatusCodes, p.Errors)
		if !within(p.Requests, 100, 0.03) {
			t.Errorf("%s: %d requests, want ~100", p.Phase, p.Requests)
		}
		switch p.Phase {
		case PhaseChaos:
			if p.StatusCodes["503"] < 90 || p.Errors["status 5xx"] != p.StatusCodes["503"] {
				t.Errorf("chaos: want ~96 503s counted as errors, got codes %v errors %v", p.StatusCodes, p.Errors)
			}
		default:
			if p.Successes != p.Requests || len(p.Errors) != 0 {
				t.Errorf("%s: want no errors, got %v", p.Phase, p.Errors)
			}
		}
	}
	passed := map[string]bool{}
	for _, th := range rep.Thresholds {
		passed[th.Metric] = th.Passed
		t.Logf("threshold %s %s: %v (%s)", th.Metric, th.Expression, th.Passed, th.Value)
	}
	if !passed["http_req_failed{phase:baseline}"] || passed["http_req_failed{phase:chaos}"] || !passed["http_req_failed{phase:recovery}"] {
		t.Fatalf("thresholds: %+v", rep.Thresholds)
	}
}
