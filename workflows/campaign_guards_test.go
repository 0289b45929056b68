package workflows

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
)

// TestCampaignGuardsRunOnTheLongQueue: a campaign of the current version
// schedules its guard's WatchProbe on LongTaskQueue of its own queue.
func TestCampaignGuardsRunOnTheLongQueue(t *testing.T) {
	env, _ := newCampaignEnv(t)
	c := campaignOf(experiment.CampaignStep{Inline: inlineExp("one", "hold", "10m")})
	c.Spec.Guards = []experiment.Probe{httpProbe("site-up", "")}
	var mu sync.Mutex
	var queues []string
	env.OnActivity(a.WatchProbe, mockAny, mockAny).Return(func(ctx context.Context, in activities.WatchInput) (activities.WatchResult, error) {
		mu.Lock()
		queues = append(queues, activity.GetInfo(ctx).TaskQueue)
		mu.Unlock()
		return activities.WatchResult{Result: passed(in.Probe.Name)}, nil
	})
	env.ExecuteWorkflow(CampaignWorkflowName, CampaignInput{Campaign: c})
	if st := campaignOutcome(t, env); st.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s (%s)", st.Verdict, st.Reason)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queues) != 1 || !strings.HasSuffix(queues[0], longSuffix) {
		t.Fatalf("guard ran on task queues %q, want one <queue>%s", queues, longSuffix)
	}
}

// scheduledGuard is a guard's WatchProbe as a campaign history scheduled it.
type scheduledGuard struct {
	probe experiment.Probe
	queue string
}

// guardQueues reads a campaign history: the task queue the campaign ran
// on, the campaign version it recorded (DefaultVersion when none), and
// each WatchProbe it scheduled (its guards) with its task queue.
func guardQueues(t *testing.T, path string) (queue string, version workflow.Version, guards []scheduledGuard) {
	t.Helper()
	h := readHistoryFile(t, path)
	version = workflow.DefaultVersion
	for _, ev := range h.GetEvents() {
		if s := ev.GetWorkflowExecutionStartedEventAttributes(); s != nil {
			queue = s.GetTaskQueue().GetName()
		}
		if v, ok := recordedVersion(t, ev, campaignChangeID); ok {
			version = v
		}
		if s := ev.GetActivityTaskScheduledEventAttributes(); s != nil && s.GetActivityType().GetName() == "WatchProbe" {
			var in activities.WatchInput
			if err := converter.GetDefaultDataConverter().FromPayloads(s.GetInput(), &in); err != nil {
				t.Fatalf("%s: the input of WatchProbe: %v", path, err)
			}
			guards = append(guards, scheduledGuard{probe: in.Probe, queue: s.GetTaskQueue().GetName()})
		}
	}
	return queue, version, guards
}

// recordedVersion is the version ev records for changeID, if it is a
// GetVersion marker of it.
func recordedVersion(t *testing.T, ev *historypb.HistoryEvent, changeID string) (workflow.Version, bool) {
	t.Helper()
	m := ev.GetMarkerRecordedEventAttributes()
	if m == nil || m.GetMarkerName() != "Version" {
		return 0, false
	}
	var id string
	if err := converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["change-id"], &id); err != nil || id != changeID {
		return 0, false
	}
	var v workflow.Version
	if err := converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["version"], &v); err != nil {
		t.Fatalf("version marker of %s: %v", changeID, err)
	}
	return v, true
}

// TestCampaignCorpusGuardQueues proves from the recorded histories that
// a campaign recording campaignVersionLongGuards scheduled its guards on
// LongTaskQueue of its queue, and that one recorded before the gate
// (c1-3fc9c2f-guard-breach) had them on the queue itself. It also checks
// that the current code routes each guard of each history's version where
// that history did: the replayer does not compare an activity's task
// queue, so TestReplayCampaignCorpus alone would not notice a change of
// the routing.
func TestCampaignCorpusGuardQueues(t *testing.T) {
	old, long := 0, 0
	for _, f := range campaignCorpus(t) {
		queue, version, guards := guardQueues(t, f)
		if len(guards) == 0 {
			continue
		}
		want := queue
		if version >= campaignVersionLongGuards {
			want = LongTaskQueue(queue)
			long++
		} else {
			old++
		}
		c := &campaignRun{version: version}
		for _, g := range guards {
			if g.queue != want {
				t.Errorf("%s (campaign version %d, on %q): guard %q on task queue %q, want %q", filepath.Base(f), version, queue, g.probe.Name, g.queue, want)
			}
			rt := c.guardRoute(g.probe)
			now := rt.queue(queue)
			if rt.long {
				now = LongTaskQueue(now)
			}
			if now != g.queue {
				t.Errorf("%s (campaign version %d): the current code routes guard %q to %q, the history has %q", filepath.Base(f), version, g.probe.Name, now, g.queue)
			}
		}
	}
	if old == 0 || long == 0 {
		t.Errorf("%d histories with guards before the gate, %d after: want both in the corpus", old, long)
	}
}
