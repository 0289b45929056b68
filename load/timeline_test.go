package load

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tempest-chaos/tempest/experiment"
)

// The hot path's compiled clock gives the phase and finality of
// experiment's Timeline.PhaseAt for every moment.
func TestPhaseClockMatchesTimeline(t *testing.T) {
	base := time.Unix(5000, 0)
	s := func(sec float64) time.Time { return base.Add(time.Duration(sec * float64(time.Second))) }
	timelines := map[string]experiment.Timeline{
		"empty":          {},
		"settled, none":  {SettledUntil: s(2)},
		"in place":       {First: s(3), Intervals: []experiment.Interval{{Fault: "f", From: s(3)}}, SettledUntil: s(4)},
		"reverted, more": {First: s(3), Intervals: []experiment.Interval{{Fault: "f", From: s(3), To: s(5)}}, SettledUntil: s(5)},
		"complete":       {First: s(3), Intervals: []experiment.Interval{{Fault: "f", From: s(3), To: s(5)}}, SettledUntil: s(6), Done: true},
		"left behind":    {First: s(3), Intervals: []experiment.Interval{{Fault: "f", From: s(3)}}, SettledUntil: s(7), Done: true},
		"done, none":     {Done: true},
	}
	for name, tl := range timelines {
		c := newPhaseClock(tl)
		for ms := -500; ms <= 9000; ms += 250 {
			at := base.Add(time.Duration(ms) * time.Millisecond)
			wantPhase, wantFinal := tl.PhaseAt(at)
			phase, final := c.phase(at.UnixNano())
			if phase != wantPhase || final != wantFinal {
				t.Fatalf("%s at %+dms: clock %s/%v, timeline %s/%v", name, ms, phase, final, wantPhase, wantFinal)
			}
		}
	}
}

// lateFault is a fault planned at +1 s that took effect at +3 s and was
// reverted at +4 s; the planned windows say chaos from +1 s to +2 s.
type lateFault struct{ start time.Time }

func (f lateFault) at(sec float64) time.Time {
	return f.start.Add(time.Duration(sec * float64(time.Second)))
}

func (f lateFault) planned() []Window {
	return []Window{
		{Phase: PhaseBaseline, Start: f.at(0), End: f.at(1)},
		{Phase: PhaseChaos, Start: f.at(1), End: f.at(2)},
		{Phase: PhaseRecovery, Start: f.at(2), End: f.at(10)},
	}
}

// timeline is what the workflow would answer at now: the inject scheduled
// at +1 s (SettledUntil stops there) lands at +3 s; the revert scheduled at
// +3.9 s completes at +4 s.
func (f lateFault) timeline(now time.Time) experiment.Timeline {
	switch {
	case now.Before(f.at(3)):
		return experiment.Timeline{SettledUntil: f.at(1)}
	case now.Before(f.at(4)):
		return experiment.Timeline{First: f.at(3), Intervals: []experiment.Interval{{Fault: "f", From: f.at(3)}}, SettledUntil: f.at(3.9)}
	}
	return experiment.Timeline{First: f.at(3), Intervals: []experiment.Interval{{Fault: "f", From: f.at(3), To: f.at(4)}}, SettledUntil: now, Done: true}
}

func result(sent time.Time, code uint16) *vegeta.Result {
	r := &vegeta.Result{Timestamp: sent, Code: code, Latency: time.Millisecond}
	if code >= 400 {
		r.Error = "503 Service Unavailable"
	}
	return r
}

// With a late fault, results wait until the timeline settles their send
// time and land in the phase of what happened: those sent in the planned
// chaos window before the inject are baseline.
func TestSettlerAttributesByWhatHappened(t *testing.T) {
	f := lateFault{start: time.Unix(10000, 0)}
	st := newSettler(nil, f.planned())
	eng := &engine{settler: st, shards: []*shard{{}, {}}}
	var p Progress
	fold := func(now time.Time) {
		st.clock.Store(newPhaseClock(f.timeline(now)))
		st.lastRead.Store(now.UnixNano())
		eng.drain(&p)
		st.fold(&p, now, false)
	}
	send := func(from, to float64, code uint16) {
		for ms := int(from * 1000); ms < int(to*1000); ms += 10 {
			eng.record(eng.shards[ms%2], result(f.at(float64(ms)/1000), code), false)
		}
	}
	fold(f.at(0))
	send(0, 2.5, 200) // 250 requests, the last 150 past SettledUntil (+1 s)
	fold(f.at(2.5))
	if got := p.stats(PhaseBaseline).Requests; got != 100 {
		t.Fatalf("at +2.5 s: %d baseline requests settled, want the 100 before +1 s", got)
	}
	if len(st.waiting) != 150 {
		t.Fatalf("at +2.5 s: %d waiting, want 150", len(st.waiting))
	}
	send(2.5, 3, 200)
	send(3, 4, 503)
	fold(f.at(3.5))
	send(4, 5, 200)
	fold(f.at(5))
	if len(st.waiting) != 0 || p.ByPlan != 0 || p.Provisional != 0 {
		t.Fatalf("after the fault: %d waiting, %d by plan, %d provisional; want all settled", len(st.waiting), p.ByPlan, p.Provisional)
	}
	want := map[string]int64{PhaseBaseline: 300, PhaseChaos: 100, PhaseRecovery: 100}
	for phase, n := range want {
		s := p.stats(phase)
		if s.Requests != n {
			t.Errorf("%s: %d requests, want %d", phase, s.Requests, n)
		}
	}
	b, c := p.stats(PhaseBaseline), p.stats(PhaseChaos)
	if b.Successes != b.Requests || !b.Last.Before(f.at(3)) || b.Last.Before(f.at(2.9)) {
		t.Errorf("baseline: %d of %d ok, last sent %s after start; want all ok up to just before +3 s", b.Successes, b.Requests, b.Last.Sub(f.start))
	}
	if c.Successes != 0 || c.Errors["status 5xx"] != 100 || c.First.Before(f.at(3)) {
		t.Errorf("chaos: %d ok, errors %v, first sent %s after start; want the 100 failures from +3 s", c.Successes, c.Errors, c.First.Sub(f.start))
	}
}

// A timeline that cannot be read for timelineStale gives way to the
// planned windows; one that is read but does not settle a result for
// maxWait, or too many waiting results, gives way to its provisional
// phase. Both are counted.
func TestSettlerFallsBack(t *testing.T) {
	f := lateFault{start: time.Unix(10000, 0)}
	t.Run("unreadable", func(t *testing.T) {
		st := newSettler(nil, f.planned())
		var p Progress
		for ms := 0; ms < 2500; ms += 10 {
			st.waiting = append(st.waiting, pendingOf(result(f.at(float64(ms)/1000), 200)))
		}
		st.fold(&p, f.at(20), false)
		if len(st.waiting) != 250 {
			t.Fatalf("20 s without a read: %d waiting, want all 250 still waiting", len(st.waiting))
		}
		st.fold(&p, time.Unix(0, st.lastRead.Load()).Add(timelineStale+time.Second), false)
		if len(st.waiting) != 0 || p.ByPlan != 250 {
			t.Fatalf("past timelineStale: %d waiting, %d by plan; want all 250 by plan", len(st.waiting), p.ByPlan)
		}
		if got := p.stats(PhaseChaos).Requests; got != 100 {
			t.Fatalf("%d chaos requests by plan, want the 100 of the planned window", got)
		}
	})
	t.Run("not settling", func(t *testing.T) {
		st := newSettler(nil, f.planned())
		// The fault is in place and stays so: nothing past +3.9 s settles.
		now := f.at(3.5)
		st.clock.Store(newPhaseClock(f.timeline(now)))
		for ms := 4000; ms < 5000; ms += 10 {
			st.waiting = append(st.waiting, pendingOf(result(f.at(float64(ms)/1000), 200)))
		}
		var p Progress
		st.lastRead.Store(f.at(4 + maxWait.Seconds()).UnixNano())
		st.fold(&p, f.at(4.5+maxWait.Seconds()), false)
		if p.Provisional != 50 || len(st.waiting) != 50 || p.stats(PhaseChaos).Requests != 50 {
			t.Fatalf("maxWait: %d provisional, %d waiting, %d chaos; want the 50 sent more than maxWait ago as chaos", p.Provisional, len(st.waiting), p.stats(PhaseChaos).Requests)
		}
		st.limit = 20
		st.fold(&p, f.at(4.5+maxWait.Seconds()), false)
		if len(st.waiting) != 20 || p.Provisional != 80 {
			t.Fatalf("over the cap: %d waiting, %d provisional; want 20 and 80", len(st.waiting), p.Provisional)
		}
		if oldest := time.Unix(0, st.waiting[0].sent); oldest.Before(f.at(4.8)) {
			t.Fatalf("the newest should wait, the oldest go: oldest waiting sent %s after start", oldest.Sub(f.start))
		}
	})
}

// A heartbeat carries the results still waiting, by planned phase; a retry
// resuming from it counts them in their planned phase.
func TestUnsettledResultsSurviveAResume(t *testing.T) {
	f := lateFault{start: time.Unix(10000, 0)}
	st := newSettler(nil, f.planned())
	for ms := 500; ms < 2500; ms += 10 {
		st.waiting = append(st.waiting, pendingOf(result(f.at(float64(ms)/1000), 200)))
	}
	r := &runner{}
	r.progress.stats(PhaseBaseline).add(result(f.at(0.1), 200))
	beat := r.snapshot(st)
	counts := map[string]int64{}
	for _, u := range beat.Unsettled {
		counts[u.Phase] = u.Stats.Requests
	}
	if counts[PhaseBaseline] != 50 || counts[PhaseChaos] != 100 || counts[PhaseRecovery] != 50 {
		t.Fatalf("unsettled in the heartbeat: %v; want 50 baseline, 100 chaos, 50 recovery by plan", counts)
	}
	spec := constantLoad("http://127.0.0.1:1/", "10/s", time.Second)
	beat.Attempts, beat.Elapsed = 1, experiment.Duration(time.Second) // nothing left to send
	rep, err := Run(t.Context(), spec, Options{Resume: &beat, Phases: f.planned()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 201 || rep.Phases[0].Requests != 51 || rep.Phases[1].Requests != 100 {
		t.Fatalf("resumed report: %d requests, phases %+v; want 201 (51 baseline, 100 chaos)", rep.Requests, rep.Phases)
	}
}

// End to end on a real server: a fault planned at +1 s lands at +3 s and is
// reverted at +4 s (the server fails meanwhile). Requests are attributed by
// their send time as the timeline recorded it, not by the plan: those sent
// between +1 s and +3 s are baseline, and only the failing ones are chaos.
func TestLateFaultRequestsSentBeforeItAreBaseline(t *testing.T) {
	f := lateFault{start: time.Now().Add(300 * time.Millisecond)}
	// The server fails a little inside the actual fault, so that requests
	// in flight at a boundary stay on their side of it.
	tg := startTarget(t, func(tg *target) {
		tg.failing = func(now time.Time) bool {
			return now.After(f.at(3.05)) && now.Before(f.at(3.95))
		}
	})
	var reads sync.Map
	read := func(ctx context.Context) (experiment.Timeline, error) {
		reads.Store("n", true)
		return f.timeline(time.Now()), ctx.Err()
	}
	var last Progress
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, constantLoad(tg.URL, "50/s", 5*time.Second), Options{
		StartAt:    f.start,
		Phases:     f.planned(),
		Timeline:   read,
		OnProgress: func(p Progress) { mu.Lock(); last = p; mu.Unlock() },
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if last.ByPlan != 0 || last.Provisional != 0 || len(last.Unsettled) != 0 {
		t.Fatalf("%d by plan, %d provisional, %d unsettled; want every request settled by the timeline", last.ByPlan, last.Provisional, len(last.Unsettled))
	}
	for _, ph := range rep.Phases {
		t.Logf("%-9s %3d requests, %3d ok, errors %v", ph.Phase, ph.Requests, ph.Successes, ph.Errors)
	}
	b, c, r := last.stats(PhaseBaseline), last.stats(PhaseChaos), last.stats(PhaseRecovery)
	// Generous margins: the machine is loaded; what matters is where the
	// boundaries fall, which the send times recorded say exactly.
	if b.Requests == 0 || !b.Last.Before(f.at(3)) || b.Last.Before(f.at(2.5)) {
		t.Errorf("baseline: %d requests, last sent at +%s; want requests up to just before +3 s", b.Requests, b.Last.Sub(f.start))
	}
	if b.Successes != b.Requests {
		t.Errorf("baseline: %d of %d ok, errors %v; pre-fault requests must not fail", b.Successes, b.Requests, b.Errors)
	}
	if c.Requests == 0 || c.First.Before(f.at(3)) || !c.Last.Before(f.at(4)) || c.Errors["status 5xx"] == 0 {
		t.Errorf("chaos: %d requests from +%s to +%s, errors %v; want the failing requests of +3 s to +4 s", c.Requests, c.First.Sub(f.start), c.Last.Sub(f.start), c.Errors)
	}
	if r.Requests == 0 || r.First.Before(f.at(4)) || r.Successes != r.Requests {
		t.Errorf("recovery: %d requests (%d ok) from +%s; want successes from +4 s", r.Requests, r.Successes, r.First.Sub(f.start))
	}
	if _, ok := reads.Load("n"); !ok {
		t.Fatal("the timeline was never read")
	}
}

// A timeline that cannot be read never blocks the load: it ends, waiting
// at most settleWait, and falls back to the planned windows.
func TestUnreadableTimelineFallsBackToPlan(t *testing.T) {
	tg := startTarget(t, nil)
	start := time.Now()
	windows := []Window{
		{Phase: PhaseBaseline, Start: start, End: start.Add(500 * time.Millisecond)},
		{Phase: PhaseChaos, Start: start.Add(500 * time.Millisecond), End: start.Add(time.Second)},
	}
	var last Progress
	read := func(context.Context) (experiment.Timeline, error) {
		return experiment.Timeline{}, errors.New("no such query")
	}
	rep, err := Run(t.Context(), constantLoad(tg.URL, "40/s", time.Second), Options{
		Phases: windows, Timeline: read,
		OnProgress: func(p Progress) { last = p },
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took := time.Since(start); took > time.Second+settleWait+5*time.Second {
		t.Fatalf("took %s", took)
	}
	if last.TimelineErrors == 0 {
		t.Fatal("failed reads not counted")
	}
	if rep.Requests == 0 || last.ByPlan != rep.Requests || len(rep.Phases) != 2 || rep.Phases[0].Requests == 0 || rep.Phases[1].Requests == 0 {
		t.Fatalf("%d requests, %d by plan, phases %+v; want every request by the planned windows", rep.Requests, last.ByPlan, rep.Phases)
	}
}
