package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
)

// fakeTimelines answers each workflow ID with what its function says at the
// time of the read; an ID without a function is not found.
type fakeTimelines struct {
	mu     sync.Mutex
	byID   map[string]func(now time.Time) (experiment.Timeline, error)
	reads  map[string]int
	runIDs map[string]string
}

func (f *fakeTimelines) Timeline(ctx context.Context, workflowID, runID string) (experiment.Timeline, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reads == nil {
		f.reads, f.runIDs = map[string]int{}, map[string]string{}
	}
	f.reads[workflowID]++
	f.runIDs[workflowID] = runID
	fn, ok := f.byID[workflowID]
	if !ok {
		return experiment.Timeline{}, serviceerror.NewNotFound("workflow not found")
	}
	if err := ctx.Err(); err != nil {
		return experiment.Timeline{}, err
	}
	return fn(time.Now())
}

func (f *fakeTimelines) readsOf(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads[id]
}

func TestReadTimelineMergesTheRunsSources(t *testing.T) {
	t0 := time.Unix(20000, 0)
	fake := &fakeTimelines{byID: map[string]func(time.Time) (experiment.Timeline, error){
		"exp": func(time.Time) (experiment.Timeline, error) {
			return experiment.Timeline{First: t0.Add(2 * time.Second), Intervals: []experiment.Interval{{Fault: "once", From: t0.Add(2 * time.Second), To: t0.Add(3 * time.Second)}}, SettledUntil: t0.Add(9 * time.Second)}, nil
		},
		"exp/fault/1": func(time.Time) (experiment.Timeline, error) {
			return experiment.Timeline{First: t0.Add(time.Second), Intervals: []experiment.Interval{{Fault: "rep", From: t0.Add(5 * time.Second)}}, SettledUntil: t0.Add(6 * time.Second)}, nil
		},
	}}
	a := &Activities{Timelines: fake}
	src := &TimelineSource{WorkflowID: "exp", RunID: "run-1", FaultWorkflowIDs: []string{"exp/fault/1", "exp/fault/2"}}
	tl, err := a.readTimeline(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if !tl.First.Equal(t0.Add(time.Second)) || !tl.SettledUntil.Equal(t0.Add(6*time.Second)) || len(tl.Intervals) != 2 {
		t.Fatalf("merged %+v; want First +1s, SettledUntil +6s, two intervals (the fault workflow not started yet adds nothing)", tl)
	}
	if fake.runIDs["exp"] != "run-1" || fake.runIDs["exp/fault/1"] != "" {
		t.Fatalf("run IDs queried %v; want the experiment's run, the fault workflows' latest (empty)", fake.runIDs)
	}

	fake.byID["exp"] = func(time.Time) (experiment.Timeline, error) { return experiment.Timeline{}, errors.New("query failed") }
	if _, err := a.readTimeline(t.Context(), src); err == nil {
		t.Fatal("an unreadable experiment timeline read fine")
	}
	if (&Activities{}).timelineFunc(src) != nil || a.timelineFunc(nil) != nil {
		t.Fatal("without a reader or a source the planned windows must be used")
	}
}

// lateFault is a fault planned at +1 s (the planned windows say +1 s to
// +2 s) that took effect at +3 s and was reverted at +4 s.
type lateFault struct{ start time.Time }

func (f lateFault) at(sec float64) time.Time {
	return f.start.Add(time.Duration(sec * float64(time.Second)))
}

// timeline is what the experiment workflow would answer at now.
func (f lateFault) timeline(now time.Time) (experiment.Timeline, error) {
	switch {
	case now.Before(f.at(3)):
		return experiment.Timeline{SettledUntil: f.at(1)}, nil
	case now.Before(f.at(4)):
		return experiment.Timeline{First: f.at(3), Intervals: []experiment.Interval{{Fault: "pause", From: f.at(3)}}, SettledUntil: f.at(3.9)}, nil
	}
	return experiment.Timeline{First: f.at(3), Intervals: []experiment.Interval{{Fault: "pause", From: f.at(3), To: f.at(4)}}, SettledUntil: now, Done: true}, nil
}

// quietTimeline answers as the workflow does, reading no wall clock:
// SettledUntil stops at its latest task, and Quiet says the reader may
// settle up to when it received the answer.
func (f lateFault) quietTimeline(now time.Time) (experiment.Timeline, error) {
	switch {
	case now.Before(f.at(1)): // waiting for the inject's timer
		return experiment.Timeline{SettledUntil: f.start, Quiet: true}, nil
	case now.Before(f.at(3)): // the inject scheduled at +1 s is in flight
		return experiment.Timeline{SettledUntil: f.at(1)}, nil
	case now.Before(f.at(3.9)): // holding
		return experiment.Timeline{First: f.at(3), Intervals: []experiment.Interval{{Fault: "pause", From: f.at(3)}}, SettledUntil: f.at(3), Quiet: true}, nil
	case now.Before(f.at(4)): // the revert scheduled at +3.9 s is in flight
		return experiment.Timeline{First: f.at(3), Intervals: []experiment.Interval{{Fault: "pause", From: f.at(3)}}, SettledUntil: f.at(3.9)}, nil
	}
	return experiment.Timeline{First: f.at(3), Intervals: []experiment.Interval{{Fault: "pause", From: f.at(3), To: f.at(4)}}, SettledUntil: f.at(4), Done: true, Quiet: true}, nil
}

// failingBetween is a server that answers 503 between from and to, 200
// otherwise.
func failingBetween(t *testing.T, from, to time.Time) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if now := time.Now(); now.After(from) && now.Before(to) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// An OnChaos probe of a fault planned at +1 s that landed at +3 s observes
// only while it was in place: none of its observations is from the
// planned window, when the service was still fine.
func TestOnChaosObservesOnlyWhileTheFaultIsInPlace(t *testing.T) {
	f := lateFault{start: time.Now()}
	// The service fails a little around the actual fault (a loaded
	// machine's latency), and is fine in the planned window.
	url := failingBetween(t, f.at(2.7), f.at(4.3))
	fake := &fakeTimelines{byID: map[string]func(time.Time) (experiment.Timeline, error){"exp": f.timeline}}
	a := acts()
	a.Timelines = fake
	p := httpProbe(url, experiment.ModeOnChaos)
	p.Faults = []string{"pause"}
	out, err := a.WatchProbe(t.Context(), WatchInput{
		Probe: p, Until: f.at(6),
		Windows:  []Window{{Start: f.at(1), End: f.at(2)}},
		Timeline: &TimelineSource{WorkflowID: "exp", RunID: "r"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Result
	t.Logf("%d observations, %d failed, %d discarded", r.Observations, r.Failures, out.Discarded)
	if r.Observations == 0 || r.Failures != r.Observations || r.Passed {
		t.Fatalf("%d observations, %d failed; want every observation inside the actual fault, failing", r.Observations, r.Failures)
	}
	if first := r.FirstFailure.At; first.Before(f.at(3)) {
		t.Fatalf("first observation at +%s, before the fault took effect at +3s", first.Sub(f.start))
	}
	if last := r.Last.At; !last.Before(f.at(4)) {
		t.Fatalf("last observation at +%s, after the revert at +4s", last.Sub(f.start))
	}
	if out.Fallback != "" {
		t.Fatalf("fell back: %s", out.Fallback)
	}
}

// An observation that began after the revert (the timeline, read again,
// says so) is not tallied.
func TestOnChaosDiscardsAnObservationAfterTheRevert(t *testing.T) {
	s := newServer(t)
	s.healthy.Store(true)
	var firstRead time.Time
	reads := 0
	fake := &fakeTimelines{byID: map[string]func(time.Time) (experiment.Timeline, error){"exp": func(now time.Time) (experiment.Timeline, error) {
		reads++
		if reads == 1 {
			firstRead = now
			return experiment.Timeline{First: now.Add(-time.Second), Intervals: []experiment.Interval{{Fault: "pause", From: now.Add(-time.Second)}}}, nil
		}
		// Reverted at the first read, before the observation began.
		return experiment.Timeline{First: firstRead.Add(-time.Second), Intervals: []experiment.Interval{{Fault: "pause", From: firstRead.Add(-time.Second), To: firstRead}}, Done: true}, nil
	}}}
	a := acts()
	a.Timelines = fake
	out, err := a.WatchProbe(t.Context(), WatchInput{
		Probe: httpProbe(s.URL, experiment.ModeOnChaos), Until: time.Now().Add(10 * time.Second),
		Windows: []Window{}, Timeline: &TimelineSource{WorkflowID: "exp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Result.Observations != 0 || out.Discarded != 1 || out.Result.Passed {
		t.Fatalf("%d observations, %d discarded, passed %v; want the one observation discarded and no pass", out.Result.Observations, out.Discarded, out.Result.Passed)
	}
}

// A timeline that cannot be read gives way to the planned windows.
func TestChaosGateGivesUpOnAnUnreadableTimeline(t *testing.T) {
	g := &chaosGate{
		read: func(context.Context) (experiment.Timeline, error) {
			return experiment.Timeline{}, errors.New("unavailable")
		},
		lastRead:   time.Now(),
		staleAfter: 300 * time.Millisecond,
	}
	if got := g.wait(t.Context(), time.Now().Add(time.Minute)); got != gateStale {
		t.Fatalf("wait = %v, want gateStale", got)
	}
	if g.failures < 2 || !strings.Contains(g.staleReason(), "unavailable") {
		t.Fatalf("%d failures, reason %q", g.failures, g.staleReason())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	g.lastRead = time.Now()
	if got := g.wait(ctx, time.Now().Add(time.Minute)); got != gateCanceled {
		t.Fatalf("wait on a cancelled context = %v, want gateCanceled", got)
	}
}

// The load activity reads the run's timeline: requests sent in the planned
// chaos window before the late fault are baseline, and all succeed.
func TestGenerateLoadAttributesByTheTimeline(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		t.Run(map[bool]string{false: "settled by the workflow", true: "quiet answers"}[quiet], func(t *testing.T) {
			testGenerateLoadAttributesByTheTimeline(t, quiet)
		})
	}
}

func testGenerateLoadAttributesByTheTimeline(t *testing.T, quiet bool) {
	f := lateFault{start: time.Now().Add(300 * time.Millisecond)}
	url := failingBetween(t, f.at(3.05), f.at(3.95))
	answer := f.timeline
	if quiet {
		answer = f.quietTimeline
	}
	fake := &fakeTimelines{byID: map[string]func(time.Time) (experiment.Timeline, error){"exp": answer}}
	a := &Activities{Timelines: fake}
	rep, err := a.GenerateLoad(t.Context(), LoadInput{
		Load:    experiment.Load{Rate: "50/s", Duration: experiment.Duration(5 * time.Second), Targets: []experiment.LoadTarget{{URL: url}}},
		StartAt: f.start,
		Phases: []load.Window{
			{Phase: load.PhaseBaseline, Start: f.at(0), End: f.at(1)},
			{Phase: load.PhaseChaos, Start: f.at(1), End: f.at(2)},
			{Phase: load.PhaseRecovery, Start: f.at(2), End: f.at(5)},
		},
		Timeline: &TimelineSource{WorkflowID: "exp", RunID: "r"},
	})
	if err != nil {
		t.Fatal(err)
	}
	phases := map[string]experiment.PhaseMetrics{}
	for _, ph := range rep.Phases {
		t.Logf("%-9s %3d requests, %3d ok, errors %v", ph.Phase, ph.Requests, ph.Successes, ph.Errors)
		phases[ph.Phase] = ph
	}
	b, c := phases[load.PhaseBaseline], phases[load.PhaseChaos]
	// Generous margins: 3 s of baseline at 50/s is 150 requests, the
	// planned 1 s would be 50.
	if b.Requests < 100 || b.Successes != b.Requests {
		t.Fatalf("baseline: %d requests, %d ok; want about 150, all ok", b.Requests, b.Successes)
	}
	if c.Requests == 0 || c.Requests > 80 || c.Errors["status 5xx"] == 0 {
		t.Fatalf("chaos: %d requests, errors %v; want about 50, failing", c.Requests, c.Errors)
	}
	if fake.readsOf("exp") == 0 {
		t.Fatal("the timeline was never read")
	}
}
