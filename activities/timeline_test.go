package activities

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/tempest-chaos/tempest/experiment"
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
