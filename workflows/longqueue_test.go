package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// TestLongActivitiesRunOnTheLongQueue: a run of the current version
// schedules its probe watcher on LongTaskQueue of the experiment's queue,
// and its inject, revert and checks on the queue itself.
func TestLongActivitiesRunOnTheLongQueue(t *testing.T) {
	s := newSuite(t)
	s.targetsFor("kill", "pid/1")
	var mu sync.Mutex
	queues := map[string]string{}
	seen := func(ctx context.Context, name string) {
		mu.Lock()
		defer mu.Unlock()
		queues[name] = activity.GetInfo(ctx).TaskQueue
	}
	s.env.OnActivity(a.Inject, mock.Anything, mock.Anything).Return(func(ctx context.Context, req fault.Request) (activities.InjectResult, error) {
		seen(ctx, "Inject")
		return s.rec.inject(ctx, req)
	})
	s.env.OnActivity(a.Revert, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.RevertInput) (time.Time, error) {
		seen(ctx, "Revert")
		return s.rec.revert(ctx, in)
	})
	s.env.OnActivity(a.WatchProbe, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.WatchInput) (activities.WatchResult, error) {
		seen(ctx, "WatchProbe")
		return activities.WatchResult{Result: passed("serving")}, nil
	})
	res := s.run(t, spec([]experiment.Fault{killFault("kill", time.Minute)}, httpProbe("serving", experiment.ModeContinuous)))
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, want Passed; reasons %v", res.Verdict, res.Reasons)
	}
	base := queues["Inject"]
	if base == "" || queues["Revert"] != base {
		t.Fatalf("inject on %q, revert on %q: want both on the experiment's queue", base, queues["Revert"])
	}
	if got, want := queues["WatchProbe"], LongTaskQueue(base); got != want {
		t.Errorf("watcher on task queue %q, want %q", got, want)
	}
}
