package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/bench/scale"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
)

// BenchmarkWorkerCapacity measures what one worker carries: N experiments
// at once, each with a Continuous probe watching for its whole chaos
// window, then 20 more experiments whose inject and revert must find a
// worker slot while the N watchers run.
//
//   - separate/N=…: a `tempest worker` process with its default limits
//     (watchers on <queue>@long). Reports the worker's RSS and
//     goroutines, idle and with the N watchers running (from its
//     --metrics-addr), and, from the 20 runs' histories, p50/p99 of the
//     time from the run's start to its inject starting (target selection
//     included: it is a short activity too) and of the revert's wait from
//     scheduled to started.
//   - old-routing/N=50: the baseline, the behaviour before the long queue
//     (and of version-2 runs): watchers on the experiments' queue, sharing
//     its N activity slots with inject and revert (an in-process worker
//     whose interceptor schedules the long activities there), so the
//     injects wait for watchers to end (the N runs hold 90 s).
//
// Run with -benchtime 1x; each sub-benchmark takes one to a few minutes.
func BenchmarkWorkerCapacity(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		b.Run(fmt.Sprintf("separate/N=%d", n), func(b *testing.B) { benchCapacity(b, n, false) })
	}
	b.Run("old-routing/N=50", func(b *testing.B) { benchCapacity(b, 50, true) })
}

const capacityProbes = 20

func benchCapacity(b *testing.B, n int, shared bool) {
	for b.Loop() {
		e := newEnv(b)
		queue := fmt.Sprintf("bench-capacity-%d", n)
		var metricsURL string
		if shared {
			startOldRoutingWorker(b, e.c, queue, n)
		} else {
			metricsURL = startWorkerProcess(b, e.srv.FrontendAddress(), queue)
		}
		idleRSS, idleG := workerFigures(b, metricsURL)
		addr := tcpListener(b)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		hold := 10 * time.Minute
		if shared {
			hold = 90 * time.Second
		}
		bg := make([]*starter.Run, n)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 10)
		for i := range n {
			exp := capacitySpec(b, fmt.Sprintf("capacity-bg-%d", i), sleeperPIDFile(b), hold, addr)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				run, err := starter.Start(ctx, e.c, exp, starter.Options{TaskQueue: queue})
				if err != nil {
					b.Error(err)
					return
				}
				bg[i] = run
			}()
		}
		wg.Wait()
		if b.Failed() {
			cancel()
			return
		}
		// Every watcher holds its slot (old routing: all n of the
		// queue's slots, so an inject waits for a watcher to end).
		want := n
		deadline := time.Now().Add(10 * time.Minute)
		for {
			started, scheduled, _ := watchers(ctx, b, e.c, bg)
			if started >= want && started+scheduled == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d watchers started after 10 minutes", started, n)
			}
			time.Sleep(2 * time.Second)
		}
		loadedRSS, loadedG := workerFigures(b, metricsURL)

		var injects, reverts []time.Duration
		var mu sync.Mutex
		for i := range capacityProbes {
			exp := capacitySpec(b, fmt.Sprintf("capacity-probe-%d", i), sleeperPIDFile(b), time.Second, "")
			wg.Add(1)
			go func() {
				defer wg.Done()
				run, err := starter.Start(ctx, e.c, exp, starter.Options{TaskQueue: queue})
				if err == nil {
					_, err = run.Result(ctx)
				}
				if err != nil {
					b.Error(err)
					return
				}
				h := fetchHistory(b, e.c, run.ID, run.RunID)
				_, injectAt := activityWait(b, h, "Inject")
				iw := injectAt.Sub(h.GetEvents()[0].GetEventTime().AsTime())
				rw, _ := activityWait(b, h, "Revert")
				mu.Lock()
				injects, reverts = append(injects, iw), append(reverts, rw)
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, r := range bg {
			_ = e.c.CancelWorkflow(ctx, r.ID, r.RunID)
		}
		for _, r := range bg {
			_, _ = r.Result(ctx)
		}
		cancel()
		if b.Failed() {
			return
		}
		b.ReportMetric(scale.Quantile(injects, 0.5).Seconds()*1000, "start-to-inject-p50-ms")
		b.ReportMetric(scale.Quantile(injects, 0.99).Seconds()*1000, "start-to-inject-p99-ms")
		b.ReportMetric(scale.Quantile(reverts, 0.5).Seconds()*1000, "revert-wait-p50-ms")
		b.ReportMetric(scale.Quantile(reverts, 0.99).Seconds()*1000, "revert-wait-p99-ms")
		if !shared {
			b.ReportMetric(idleRSS/(1<<20), "idle-RSS-MiB")
			b.ReportMetric(loadedRSS/(1<<20), "RSS-MiB")
			b.ReportMetric(idleG, "idle-goroutines")
			b.ReportMetric(loadedG, "goroutines")
			b.ReportMetric((loadedRSS-idleRSS)/(1<<20)*100/float64(n), "RSS-MiB/100-watchers")
			b.ReportMetric((loadedG-idleG)*100/float64(n), "goroutines/100-watchers")
		}
	}
}

// startWorkerProcess runs `tempest worker` on queue with its default
// limits and --metrics-addr, until the benchmark ends; it returns the
// metrics URL once it serves.
func startWorkerProcess(b *testing.B, frontend, queue string) string {
	b.Helper()
	bin, _ := binaries(b)
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(b))
	cmd := exec.Command(bin, "worker", "--address", frontend, "--task-queue", queue,
		"--metrics-addr", metrics, "--worker-state-dir", b.TempDir())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	url := "http://" + metrics + "/metrics"
	for deadline := time.Now().Add(time.Minute); ; {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			b.Fatalf("tempest worker serves no metrics at %s", url)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// workerFigures reads the worker's resident memory and goroutines from
// its Prometheus endpoint (0, 0 without one).
func workerFigures(b *testing.B, url string) (rss, goroutines float64) {
	b.Helper()
	if url == "" {
		return 0, 0
	}
	rss, goroutines, err := scale.WorkerFigures(url)
	if err != nil {
		b.Fatal(err)
	}
	return rss, goroutines
}

// startOldRoutingWorker is the baseline: a worker on queue alone with
// slots activity slots, whose interceptor sends the long activities back
// to queue, where every activity ran before the long queue (what runs of
// workflow version 2 still do).
func startOldRoutingWorker(b *testing.B, c client.Client, queue string, slots int) {
	b.Helper()
	acts, closeActs := worker.NewActivities(worker.Config{StateDir: b.TempDir(), Temporal: c})
	b.Cleanup(closeActs)
	w := sdkworker.New(c, queue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize: slots,
		Interceptors:                       []interceptor.WorkerInterceptor{&oldRouting{}},
	})
	worker.Register(w, acts)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
}

// oldRouting schedules every activity bound for a long queue on the
// queue itself.
type oldRouting struct {
	interceptor.WorkerInterceptorBase
}

func (*oldRouting) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &oldRoutingInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type oldRoutingInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *oldRoutingInbound) Init(out interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&oldRoutingOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: out}})
}

type oldRoutingOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (o *oldRoutingOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if q := workflow.GetActivityOptions(ctx).TaskQueue; strings.HasSuffix(q, "@long") {
		ctx = workflow.WithTaskQueue(ctx, strings.TrimSuffix(q, "@long"))
	}
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}
