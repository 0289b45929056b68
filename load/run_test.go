package load

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

func TestConstantRateSendsRateTimesDuration(t *testing.T) {
	tg := startTarget(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	rep, err := Run(ctx, constantLoad(tg.URL, "100/s", 5*time.Second), Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !within(rep.Requests, 500, 0.01) || !within(tg.hits.Load(), 500, 0.01) {
		t.Fatalf("100/s for 5s: report %d, server %d requests; want 500 within 1%%", rep.Requests, tg.hits.Load())
	}
	if rep.Successes != rep.Requests {
		t.Fatalf("successes %d of %d", rep.Successes, rep.Requests)
	}
	if len(rep.Phases) != 1 || rep.Phases[0].Phase != PhaseBaseline || rep.Phases[0].StatusCodes["200"] != rep.Requests {
		t.Fatalf("phases without windows: %+v", rep.Phases)
	}
	if r := rep.Phases[0].Rate; r < 99 || r > 101 {
		t.Fatalf("measured rate %.2f/s, want 100", r)
	}
	if rep.Series == nil || len(rep.Series.Points) < 5 || len(rep.Series.Points) > 6 || rep.Series.Step.D() != time.Second {
		t.Fatalf("series: %+v", rep.Series)
	}
}

func TestRampingStagesFollowTheRamp(t *testing.T) {
	tg := startTarget(t, nil)
	start := time.Now().Add(200 * time.Millisecond)
	spec := experiment.Load{
		Stages: []experiment.LoadStage{
			{Duration: experiment.Duration(2 * time.Second), Target: "100/s"}, // 0→100/s: 100 requests
			{Duration: experiment.Duration(2 * time.Second), Target: "100/s"}, // flat 100/s: 200 requests
		},
		Targets: []experiment.LoadTarget{{URL: tg.URL}},
	}
	windows := []Window{
		{Phase: "ramp", Start: start, End: start.Add(2 * time.Second)},
		{Phase: "flat", Start: start.Add(2 * time.Second), End: start.Add(4 * time.Second)},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	rep, err := Run(ctx, spec, Options{StartAt: start, Phases: windows})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	byPhase := map[string]int64{}
	for _, p := range rep.Phases {
		byPhase[p.Phase] = p.Requests
	}
	if !within(byPhase["ramp"], 100, 0.03) || !within(byPhase["flat"], 200, 0.03) || !within(rep.Requests, 300, 0.01) {
		t.Fatalf("per stage %v, total %d; want ramp 100, flat 200, total 300", byPhase, rep.Requests)
	}
}

func TestTemplatedBodiesAreUnique(t *testing.T) {
	tg := startTarget(t, func(tg *target) { tg.keepBody = true })
	spec := constantLoad(tg.URL+"/order?n={{seq}}", "200/s", time.Second)
	spec.Targets[0].Method = "POST"
	spec.Targets[0].Body = `{"order_id":"{{uuid}}","seq":{{seq}},"at":"{{now}}","kind":"{{choice "a" "b"}}"}`
	if _, err := Run(t.Context(), spec, Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	seenIDs, seenSeq := map[string]bool{}, map[int]bool{}
	kinds := map[string]int{}
	for _, b := range tg.bodies {
		var v struct {
			OrderID string `json:"order_id"`
			Seq     int    `json:"seq"`
			At      time.Time
			Kind    string
		}
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			t.Fatalf("body %q is not the rendered JSON: %v", b, err)
		}
		if len(v.OrderID) != 36 || seenIDs[v.OrderID] || seenSeq[v.Seq] || v.At.IsZero() {
			t.Fatalf("body %q: uuid/seq repeated or malformed", b)
		}
		seenIDs[v.OrderID], seenSeq[v.Seq] = true, true
		kinds[v.Kind]++
	}
	if len(tg.bodies) < 190 || kinds["a"] == 0 || kinds["b"] == 0 || kinds["a"]+kinds["b"] != len(tg.bodies) {
		t.Fatalf("%d bodies, kinds %v", len(tg.bodies), kinds)
	}
}

func TestWeightedTargetsSplitByWeight(t *testing.T) {
	heavy := startTarget(t, nil)
	light := startTarget(t, nil)
	spec := experiment.Load{Rate: "400/s", Duration: experiment.Duration(time.Second), Targets: []experiment.LoadTarget{
		{URL: heavy.URL, Weight: 3}, {URL: light.URL},
	}}
	if _, err := Run(t.Context(), spec, Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if h, l := heavy.hits.Load(), light.hits.Load(); h != 3*l {
		t.Fatalf("weights 3:1 gave %d:%d", h, l)
	}
}

func TestCancelStopsInFlightRequestsWithinASecond(t *testing.T) {
	tg := startTarget(t, func(tg *target) { tg.sleep = time.Minute })
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(time.Second, cancel)
	began := time.Now()
	rep, err := Run(ctx, constantLoad(tg.URL, "50/s", time.Minute), Options{})
	stopped := time.Since(began) - time.Second
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancellation error, got %v", err)
	}
	if stopped > time.Second {
		t.Fatalf("Run returned %s after cancel; want under 1s", stopped)
	}
	deadline := time.Now().Add(500 * time.Millisecond)
	for tg.inFlight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := tg.inFlight.Load(); n > 0 {
		t.Fatalf("%d requests still in flight at the server after Run returned", n)
	}
	if tg.hits.Load() < 40 || rep.Requests != 0 {
		t.Fatalf("server saw %d requests (want ~50); report counted %d aborted ones (want 0)", tg.hits.Load(), rep.Requests)
	}
}

func TestResumeSendsOnlyTheRemainingDuration(t *testing.T) {
	tg := startTarget(t, nil)
	spec := constantLoad(tg.URL+"/?seq={{seq}}", "100/s", 4*time.Second)
	var last Progress
	ctx, cancel := context.WithTimeout(t.Context(), 2200*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, spec, Options{ProgressEvery: time.Second, OnProgress: func(p Progress) {
		if ctx.Err() == nil { // a heartbeat, not the final report of the dying attempt
			last = p
		}
	}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first attempt: want a deadline error, got %v", err)
	}
	if last.Elapsed.D() < time.Second || last.Elapsed.D() > 3*time.Second {
		t.Fatalf("last heartbeat elapsed %s", last.Elapsed)
	}
	// Heartbeat details travel as JSON.
	raw, err := json.Marshal(last)
	if err != nil {
		t.Fatal(err)
	}
	var resumed Progress
	if err := json.Unmarshal(raw, &resumed); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	rep, err := Run(t.Context(), spec, Options{Resume: &resumed})
	if err != nil {
		t.Fatalf("resumed attempt: %v", err)
	}
	took := time.Since(began)
	if want := spec.Duration.D() - resumed.Elapsed.D(); took < want-200*time.Millisecond || took > want+500*time.Millisecond {
		t.Fatalf("resumed attempt ran %s; want the remaining %s", took, want)
	}
	if !within(rep.Requests, 400, 0.02) {
		t.Fatalf("total after resume %d, want 400 within 2%%", rep.Requests)
	}
	if rep.Successes != rep.Requests {
		t.Fatalf("successes %d of %d", rep.Successes, rep.Requests)
	}
}

func TestRunLeavesNoConnectionsOrGoroutinesBehind(t *testing.T) {
	tg := startTarget(t, nil)
	before := runtime.NumGoroutine()
	for range 3 {
		spec := constantLoad(tg.URL, "2000/s", 300*time.Millisecond)
		spec.MaxInFlight = 50
		if _, err := Run(t.Context(), spec, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// fasthttp's cleaners notice closed connections within idleConnTimeout.
	deadline := time.Now().Add(idleConnTimeout + 2*time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Fatalf("goroutines: %d before three runs, %d after (idle connections or workers left behind)", before, after)
	}
}
