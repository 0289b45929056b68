package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// A fault whose inject lands late still holds for its full hold from the
// moment it took effect, and the result says when that was.
func TestHoldCountsFromTheInject(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("pause", "pid/1")
	const late, hold = 20 * time.Second, 30 * time.Second
	var revertedAt time.Time
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).After(late).Return(func(ctx context.Context, req fault.Request) (activities.InjectResult, error) {
		return activities.InjectResult{At: s.env.Now()}, nil
	})
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.RevertInput) (time.Time, error) {
		revertedAt = s.env.Now()
		return revertedAt, nil
	})
	start := s.env.Now()
	res := s.run(t, spec([]experiment.Fault{killFault("pause", hold)}))

	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	held := res.Faults[0].Held
	if len(held) != 1 {
		t.Fatalf("held %+v, want one record", held)
	}
	if held[0].At.Before(start.Add(late)) || held[0].Held < hold {
		t.Fatalf("record %+v: want the inject at +%s and a full %s hold after it", held[0], late, hold)
	}
	if revertedAt.Sub(start) < late+hold {
		t.Fatalf("reverted %s after start, want at least %s (the hold counts from the inject)", revertedAt.Sub(start), late+hold)
	}
}

// An injection reverted well before its hold passed, with nothing
// stopping the run, did not test what the spec says: Errored, not Passed.
func TestFaultNotHeldAsSpecifiedIsErrored(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("pause", "pid/1")
	var injectedAt time.Time
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).Return(func(ctx context.Context, req fault.Request) (activities.InjectResult, error) {
		injectedAt = s.env.Now()
		return activities.InjectResult{At: injectedAt}, nil
	})
	// The worker reports a revert that came 2 s after the inject (as a
	// worker whose clock jumped would).
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.RevertInput) (time.Time, error) {
		return injectedAt.Add(2 * time.Second), nil
	})
	res := s.run(t, spec([]experiment.Fault{killFault("pause", 10*time.Second)}))
	if res.Verdict != experiment.VerdictErrored || !strings.Contains(strings.Join(res.Reasons, "\n"), "fault not held as specified") {
		t.Fatalf("verdict %s, reasons %v; want Errored, fault not held as specified", res.Verdict, res.Reasons)
	}
}

// An inject that failed after changing something (a node cordoned, then
// its eviction refused) pushes its revert with what it changed.
func TestPartialInjectIsReverted(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("drain", "node/a")
	partial := activities.InjectResult{Changed: true, State: fault.State{"cordoned": "true"}}
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).
		Return(activities.InjectResult{}, temporal.NewNonRetryableApplicationError("eviction forbidden", errkind.Forbidden, nil, partial))
	var reverted []fault.State
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.RevertInput) (time.Time, error) {
		reverted = append(reverted, in.State)
		return s.env.Now(), nil
	})
	res := s.run(t, spec([]experiment.Fault{killFault("drain", time.Minute)}))
	if res.Verdict != experiment.VerdictErrored {
		t.Fatalf("verdict %s, want Errored", res.Verdict)
	}
	if len(reverted) != 1 || reverted[0]["cordoned"] != "true" {
		t.Fatalf("reverts with states %v, want one revert of the cordon", reverted)
	}
}

// A repeating fault whose revert failed never injects again.
func TestFailedRevertStopsTheTimeline(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).Return(s.rec.inject)
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).
		Return(time.Time{}, temporal.NewNonRetryableApplicationError("restart failed", errkind.Forbidden, nil))
	f := killFault("kill", 30*time.Second)
	f.Interval = experiment.Duration(5 * time.Second)
	res := s.run(t, spec([]experiment.Fault{f}))
	if res.Verdict != experiment.VerdictErrored {
		t.Fatalf("verdict %s, want Errored", res.Verdict)
	}
	if len(s.rec.injects) != 1 {
		t.Fatalf("injects %v, want 1: no injection over a fault that may still be in place", s.rec.injects)
	}
}

// An abort interrupts a slow SOT probe: nothing is injected and the run
// ends Aborted at once, not when the probe would have finished.
func TestAbortInterruptsSOT(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.env.OnActivity(a.CheckProbe, mock.Anything, mock.Anything).After(10*time.Minute).Return(passed("before"), nil)
	s.abortAfter(t, 5*time.Second, "big red button")
	start := s.env.Now()
	res := s.run(t, spec([]experiment.Fault{killFault("kill", time.Minute)}, httpProbe("before", experiment.ModeSOT)))
	if res.Verdict != experiment.VerdictAborted {
		t.Fatalf("verdict %s, want Aborted; reasons %v", res.Verdict, res.Reasons)
	}
	s.env.AssertNotCalled(t, "Inject", mock.Anything, mock.Anything)
	if took := res.EndedAt.Sub(start); took > 5*time.Minute {
		t.Fatalf("the run took %s, want it to end soon after the abort", took)
	}
}

// The timeline query answers what the faults actually did.
func TestTimelineQuery(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("pause", "pid/1")
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).After(3 * time.Second).Return(func(ctx context.Context, req fault.Request) (activities.InjectResult, error) {
		return activities.InjectResult{At: s.env.Now()}, nil
	})
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.RevertInput) (time.Time, error) {
		return s.env.Now(), nil
	})
	var during experiment.Timeline
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(QueryTimeline)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		if err := v.Get(&during); err != nil {
			t.Error(err)
		}
	}, 30*time.Second)
	res := s.run(t, spec([]experiment.Fault{killFault("pause", time.Minute)}))
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if len(during.Intervals) != 1 || during.Intervals[0].From.IsZero() || !during.Intervals[0].To.IsZero() || !during.Quiet || during.Done {
		t.Fatalf("timeline during the hold %+v, want one open interval, quiet, not done", during)
	}
	if !during.First.Equal(during.Intervals[0].From) {
		t.Fatalf("first %v, want the inject's %v", during.First, during.Intervals[0].From)
	}
}

// A Continuous probe that ran its window without a single observation
// (its worker lost until the window was over) makes the run Errored, not
// Failed: nothing was observed either way.
func TestWatchWithoutObservationIsErrored(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	s.recordFaults()
	s.env.OnActivity(a.WatchProbe, mock.Anything, mock.Anything).
		Return(activities.WatchResult{Result: experiment.ProbeResult{Name: "guard", Mode: experiment.ModeContinuous, Weight: 1}}, nil)
	res := s.run(t, spec([]experiment.Fault{killFault("kill", time.Minute)}, httpProbe("guard", experiment.ModeContinuous)))
	if res.Verdict != experiment.VerdictErrored || !strings.Contains(strings.Join(res.Reasons, "\n"), "made no observation") {
		t.Fatalf("verdict %s, reasons %v; want Errored, no observation", res.Verdict, res.Reasons)
	}
}
