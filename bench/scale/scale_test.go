package scale

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tempest-chaos/tempest/experiment"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

// TestScaleSmall is the scale benchmark's small N in CI: 20 experiments at
// once on each backend, through two worker processes, beside 20 bare
// deletes. Every run must Pass and every figure the README's table shows
// must have been measured; the figures themselves are not judged here.
func TestScaleSmall(t *testing.T) {
	restCfg, kubeconfig := kubeenv.Cluster(t)
	root := kubeenv.RepoRoot(t)
	dir := t.TempDir()
	tempest := filepath.Join(dir, "tempest")
	if out, err := exec.Command("go", "build", "-o", tempest, filepath.Join(root, "cmd", "tempest")).CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tempest: %v\n%s", err, out)
	}
	kc := kubeenv.Client(t)
	t.Cleanup(func() {
		if err := DeleteFixture(context.Background(), kc); err != nil {
			t.Errorf("delete the fixture: %v", err)
		}
	})
	const n = 20
	var results []*Result
	for _, b := range []Backend{PostgreSQL, Embedded} {
		t.Run(string(b), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			r, err := Run(ctx, Config{Backend: b, N: n, Hold: 3 * time.Second, Root: root, Tempest: tempest,
				Dir: t.TempDir(), Kubeconfig: kubeconfig, Rest: restCfg, Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, r)
			if r.Passed() != n || r.Errors != 0 {
				t.Fatalf("%d of %d Passed, %d errors (first: %s)", r.Passed(), n, r.Errors, r.FirstError)
			}
			// Every run's history has its inject: p50 > 0 with 20 runs
			// means at least 10 were found.
			if r.StartToInjectP50MS <= 0 || r.StartToInjectP99MS < r.StartToInjectP50MS {
				t.Errorf("start to inject p50 %.0f ms, p99 %.0f ms", r.StartToInjectP50MS, r.StartToInjectP99MS)
			}
			if r.HistoryEvents < 10 || r.HistoryBytes <= 0 {
				t.Errorf("history %.1f events, %.0f bytes per experiment", r.HistoryEvents, r.HistoryBytes)
			}
			// A start, target selection, inject, probe and revert at least.
			if r.Actions < 5 || r.Actions > r.HistoryEvents {
				t.Errorf("%.1f actions per experiment of %.1f events", r.Actions, r.HistoryEvents)
			}
			if r.PeakRunning == 0 || r.WorkerPeakRSS <= 0 || r.WorkerIdleGoroutines <= 0 {
				t.Errorf("worker figures not sampled: peak running %d, RSS %.0f, idle goroutines %.0f", r.PeakRunning, r.WorkerPeakRSS, r.WorkerIdleGoroutines)
			}
			if r.ServerCPU <= 0 || r.WorkerCPU <= 0 || r.PerMinute <= 0 {
				t.Errorf("server CPU %.2f s, workers %.2f s, %.1f experiments/min", r.ServerCPU, r.WorkerCPU, r.PerMinute)
			}
			if b == PostgreSQL && r.DBCPU <= 0 {
				t.Errorf("PostgreSQL CPU %.2f s", r.DBCPU)
			}
			if r.Bare == nil || r.Bare.WallMS <= 0 || r.Bare.DeleteP99MS < r.Bare.DeleteP50MS {
				t.Errorf("bare deletes: %+v", r.Bare)
			}
		})
	}
	var md strings.Builder
	WriteTable(&md, results)
	t.Logf("\n%s", md.String())
}

// TestStartToInject reads the inject's start from a history, matching the
// started event to its own scheduled event, not to another activity's.
func TestStartToInject(t *testing.T) {
	h := &historypb.History{}
	at := func(s int) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventTime: timestamp(time.Unix(1000+int64(s), 0))}
	}
	start := at(0)
	start.EventId = 1
	sel := scheduled(2, "SelectTargets", at(1))
	selStarted := started(3, 2, at(2))
	inj := scheduled(4, "Inject", at(3))
	injStarted := started(5, 4, at(7))
	h.Events = append(h.Events, start, sel, selStarted, inj, injStarted)
	d, ok := startToInject(h)
	if !ok || d != 7*time.Second {
		t.Fatalf("startToInject = %v, %v; want 7s", d, ok)
	}
	h.Events = h.Events[:4]
	if _, ok := startToInject(h); ok {
		t.Fatal("an inject that never started was found")
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func scheduled(id int64, name string, ev *historypb.HistoryEvent) *historypb.HistoryEvent {
	ev.EventId = id
	ev.EventType = enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
	ev.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
		ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityType: &commonpb.ActivityType{Name: name}}}
	return ev
}

func started(id, scheduledID int64, ev *historypb.HistoryEvent) *historypb.HistoryEvent {
	ev.EventId = id
	ev.EventType = enums.EVENT_TYPE_ACTIVITY_TASK_STARTED
	ev.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{
		ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{ScheduledEventId: scheduledID}}
	return ev
}

// TestGave finds the knee where runs stop passing or throughput stops
// growing, and nowhere else.
func TestGave(t *testing.T) {
	passed := func(n int, perMinute float64) *Result {
		return &Result{N: n, PerMinute: perMinute, WallMS: 60000, Verdicts: map[experiment.Verdict]int{experiment.VerdictPassed: n}}
	}
	if why := gave(nil, passed(1000, 177)); why != "" {
		t.Errorf("a clean first run gave: %s", why)
	}
	if why := gave(passed(1000, 177), passed(2000, 300)); why != "" {
		t.Errorf("throughput up 70%% gave: %s", why)
	}
	if why := gave(passed(1000, 177), passed(2000, 157)); !strings.Contains(why, "177 → 157") {
		t.Errorf("throughput down: %q", why)
	}
	failed := passed(2000, 400)
	failed.Verdicts[experiment.VerdictPassed], failed.Verdicts[experiment.VerdictFailed] = 1999, 1
	if why := gave(passed(1000, 177), failed); !strings.Contains(why, "1999 of 2000 Passed") {
		t.Errorf("a failed run: %q", why)
	}
}
