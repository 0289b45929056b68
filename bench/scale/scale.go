package scale

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// Config is one measurement.
type Config struct {
	Backend Backend
	// N experiments, started at once.
	N int
	// Hold is each experiment's chaos window (the pod delete's duration):
	// long enough that the N runs overlap.
	Hold time.Duration
	// Workers is how many `tempest worker` processes run them (2).
	Workers int
	// StartConcurrency bounds the Start calls in flight (64).
	StartConcurrency int
	// Root is the repository (for deploy/), Tempest the tempest binary,
	// Dir where logs and the embedded server's files go.
	Root, Tempest, Dir string
	// Kubeconfig and Rest are the local cluster's admin credentials.
	Kubeconfig string
	Rest       *rest.Config
	// SkipBaseline skips the bare client-go deletes.
	SkipBaseline bool
	Logf         func(format string, args ...any)
}

// Result is what one measurement found. Durations are milliseconds and
// sizes bytes, so the JSON reads without units.
type Result struct {
	Backend Backend `json:"backend"`
	N       int     `json:"n"`
	HoldMS  float64 `json:"holdMs"`
	// Verdicts counts the runs by verdict; Errors the runs that could not
	// be started or gave no result (FirstError says why).
	Verdicts   map[experiment.Verdict]int `json:"verdicts"`
	Errors     int                        `json:"errors"`
	FirstError string                     `json:"firstError,omitempty"`
	// StartSpanMS: from the first Start call to the last one returning.
	StartSpanMS float64 `json:"startSpanMs"`
	// StartToInject: each run's start event to its Inject activity starting.
	StartToInjectP50MS float64 `json:"startToInjectP50Ms"`
	StartToInjectP99MS float64 `json:"startToInjectP99Ms"`
	// WallMS: first Start call to the last result; PerMinute is N over it.
	WallMS    float64 `json:"wallMs"`
	PerMinute float64 `json:"experimentsPerMinute"`
	// PeakRunning is the most runs started and not ended at one sample;
	// the worker figures are the workers' sums at that sample.
	PeakRunning            int     `json:"peakRunning"`
	WorkerIdleRSS          float64 `json:"workerIdleRssBytes"`
	WorkerPeakRSS          float64 `json:"workerPeakRssBytes"`
	WorkerIdleGoroutines   float64 `json:"workerIdleGoroutines"`
	WorkerPeakGoroutines   float64 `json:"workerPeakGoroutines"`
	WorkerRSSPer100        float64 `json:"workerRssBytesPer100Running"`
	WorkerGoroutinesPer100 float64 `json:"workerGoroutinesPer100Running"`
	// CPU seconds used during the run (first Start to last result).
	ServerCPU float64 `json:"serverCpuSeconds"`
	DBCPU     float64 `json:"postgresCpuSeconds"`
	WorkerCPU float64 `json:"workerCpuSeconds"`
	KubeCPU   float64 `json:"kubeCpuSeconds"`
	// History: events and bytes (the events' protobuf size) per run;
	// persistence: the backend's growth (PostgreSQL's databases, or the
	// SQLite files) per run.
	HistoryEvents float64 `json:"historyEventsPerExperiment"`
	// Actions estimates Temporal Cloud's billable actions per run from its
	// history: the start, activities scheduled, timers, markers, search
	// attribute upserts, signals and children (heartbeats and queries,
	// which the history does not show, not included).
	Actions          float64 `json:"actionsPerExperiment"`
	HistoryBytes     float64 `json:"historyBytesPerExperiment"`
	PersistenceBytes float64 `json:"persistenceBytesPerExperiment"`
	Bare             *Bare   `json:"bare,omitempty"`
}

// Bare is the physical limit: N force deletes with client-go, all at once
// through one client with the two workers' request budget, until every
// Deployment is Ready again.
type Bare struct {
	DeleteP50MS float64 `json:"deleteP50Ms"`
	DeleteP99MS float64 `json:"deleteP99Ms"`
	WallMS      float64 `json:"wallMs"`
	PerMinute   float64 `json:"deletesPerMinute"`
}

// Passed is how many runs Passed.
func (r *Result) Passed() int { return r.Verdicts[experiment.VerdictPassed] }

// workerQPS and workerBurst are a worker's Kubernetes client budget
// (fault/kube.NewClient).
const workerQPS, workerBurst = 50, 100

// Run measures cfg.N experiments on cfg.Backend.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	logf := cfg.Logf
	kc, err := kubernetes.NewForConfig(withBudget(cfg.Rest, 200, 400))
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	if err := ensureFixture(ctx, kc, cfg.N, logf); err != nil {
		return nil, err
	}
	srv, err := startBackend(ctx, cfg.Backend, cfg.Root, cfg.Tempest, cfg.Dir, logf)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	queue := fmt.Sprintf("tempest-scale-%d", time.Now().UnixNano())
	workers, err := startWorkers(ctx, cfg.Workers, cfg.Tempest, cfg.Dir, srv, queue, cfg.Kubeconfig)
	defer func() {
		for _, w := range workers {
			w.stop()
		}
	}()
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.address, Namespace: srv.namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", srv.address, err)
	}
	defer c.Close()

	res := &Result{Backend: cfg.Backend, N: cfg.N, HoldMS: ms(cfg.Hold), Verdicts: map[experiment.Verdict]int{}}
	if _, err := waitAllReady(ctx, kc, 10*time.Minute); err != nil {
		return nil, err
	}
	targets, err := pickTargets(ctx, kc, cfg.N)
	if err != nil {
		return nil, err
	}
	// The workers settle (pollers open, first GC) before the idle figures.
	time.Sleep(5 * time.Second)
	if res.WorkerIdleRSS, res.WorkerIdleGoroutines, err = figures(workers); err != nil {
		return nil, err
	}
	var workerPIDs []int
	for _, w := range workers {
		workerPIDs = append(workerPIDs, w.pid)
	}
	kubePIDs := kubePIDs(cfg.Root)
	cpu0 := [4]float64{cpuSeconds(srv.cpuPIDs), cpuSeconds(srv.dbPIDs), cpuSeconds(workerPIDs), cpuSeconds(kubePIDs)}
	size0, err := srv.size(ctx)
	if err != nil {
		return nil, err
	}

	logf("%s N=%d: starting %d experiments on %s through %d workers", cfg.Backend, cfg.N, cfg.N, srv.address, cfg.Workers)
	var running atomic.Int64
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(2 * time.Second):
			}
			n := int(running.Load())
			rss, g, err := figures(workers)
			if err != nil || n < res.PeakRunning {
				continue
			}
			res.PeakRunning, res.WorkerPeakRSS, res.WorkerPeakGoroutines = n, rss, g
		}
	}()
	runs := make([]*starter.Run, cfg.N)
	var (
		mu        sync.Mutex
		lastStart time.Time
		lastEnd   time.Time
		wg        sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
	}
	sem := make(chan struct{}, cfg.StartConcurrency)
	begin := time.Now()
	for i, t := range targets {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := starter.Start(ctx, c, spec(i, t, cfg.Hold), starter.Options{TaskQueue: queue})
			<-sem
			if err != nil {
				fail(fmt.Errorf("start %d: %w", i, err))
				return
			}
			running.Add(1)
			mu.Lock()
			runs[i], lastStart = run, time.Now()
			mu.Unlock()
			r, err := run.Result(ctx)
			running.Add(-1)
			mu.Lock()
			lastEnd = time.Now()
			mu.Unlock()
			if err != nil {
				fail(fmt.Errorf("%s: %w", run.ID, err))
				return
			}
			mu.Lock()
			res.Verdicts[r.Verdict]++
			if r.Verdict != experiment.VerdictPassed && res.FirstError == "" {
				res.FirstError = fmt.Sprintf("%s: %s %v", run.ID, r.Verdict, r.Reasons)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(stopSampling)
	<-sampled
	res.StartSpanMS, res.WallMS = ms(lastStart.Sub(begin)), ms(lastEnd.Sub(begin))
	if lastEnd.After(begin) {
		res.PerMinute = float64(cfg.N-res.Errors) / lastEnd.Sub(begin).Minutes()
	}
	cpu1 := [4]float64{cpuSeconds(srv.cpuPIDs), cpuSeconds(srv.dbPIDs), cpuSeconds(workerPIDs), cpuSeconds(kubePIDs)}
	res.ServerCPU, res.DBCPU, res.WorkerCPU, res.KubeCPU = cpu1[0]-cpu0[0], cpu1[1]-cpu0[1], cpu1[2]-cpu0[2], cpu1[3]-cpu0[3]
	if res.PeakRunning > 0 {
		res.WorkerRSSPer100 = (res.WorkerPeakRSS - res.WorkerIdleRSS) * 100 / float64(res.PeakRunning)
		res.WorkerGoroutinesPer100 = (res.WorkerPeakGoroutines - res.WorkerIdleGoroutines) * 100 / float64(res.PeakRunning)
	}
	logf("%s N=%d: %d Passed, %d errors in %.0fs; reading %d histories", cfg.Backend, cfg.N, res.Passed(), res.Errors, res.WallMS/1000, cfg.N)
	if err := histories(ctx, c, runs, res); err != nil {
		return res, err
	}
	size1, err := srv.size(ctx)
	if err != nil {
		return res, err
	}
	res.PersistenceBytes = float64(size1-size0) / float64(cfg.N)

	if !cfg.SkipBaseline {
		if res.Bare, err = bare(ctx, cfg, kc); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (cfg *Config) defaults() {
	if cfg.Hold == 0 {
		cfg.Hold = 10 * time.Second
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	if cfg.StartConcurrency == 0 {
		cfg.StartConcurrency = 64
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
}

// spec is experiment i: force-delete t's pod, hold, then see its
// Deployment's pods all Ready again (the replacement among them).
func spec(i int, t Target, hold time.Duration) experiment.Experiment {
	return experiment.Experiment{
		Kind:     experiment.KindExperiment,
		Metadata: experiment.Metadata{Name: fmt.Sprintf("scale-%d", i)},
		Spec: experiment.Spec{
			Faults: []experiment.Fault{{
				Name: "delete-pod", Duration: experiment.Duration(hold),
				PodDelete: &experiment.PodDeleteFault{Force: true,
					Selector: experiment.KubeSelector{Namespace: t.Namespace, Names: []string{t.Pod}}},
			}},
			Probes: []experiment.Probe{{
				Name: "replacement-ready", Mode: experiment.ModeEOT,
				Timeout:  experiment.Duration(10 * time.Second),
				Interval: experiment.Duration(2 * time.Second), Retries: 150,
				K8s: &experiment.K8sProbe{Resource: "Pod", Condition: experiment.K8sReady, MinReady: replicasPerDeployment,
					Selector: experiment.KubeSelector{Namespace: t.Namespace, OwnerKind: "Deployment", OwnerName: t.Deployment}},
			}},
		},
	}
}

// histories reads every run's history: events and bytes per run, and the
// start to inject quantiles.
func histories(ctx context.Context, c client.Client, runs []*starter.Run, res *Result) error {
	var (
		mu             sync.Mutex
		events, nbytes int
		actions        int
		injects        []time.Duration
		firstErr       error
		wg             sync.WaitGroup
	)
	sem := make(chan struct{}, 16)
	for _, run := range runs {
		if run == nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			h, err := history(ctx, c, run.ID, run.RunID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			events += len(h.GetEvents())
			actions += countActions(h)
			nbytes += h.Size()
			if d, ok := startToInject(h); ok {
				injects = append(injects, d)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	n := 0
	for _, r := range runs {
		if r != nil {
			n++
		}
	}
	if n > 0 {
		res.HistoryEvents, res.HistoryBytes = float64(events)/float64(n), float64(nbytes)/float64(n)
		res.Actions = float64(actions) / float64(n)
	}
	res.StartToInjectP50MS, res.StartToInjectP99MS = ms(Quantile(injects, 0.5)), ms(Quantile(injects, 0.99))
	return nil
}

func history(ctx context.Context, c client.Client, id, runID string) (*historypb.History, error) {
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", id, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

// countActions counts the history's events that Temporal Cloud bills as
// actions.
func countActions(h *historypb.History) int {
	n := 0
	for _, ev := range h.GetEvents() {
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
			enums.EVENT_TYPE_TIMER_STARTED, enums.EVENT_TYPE_MARKER_RECORDED,
			enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
			enums.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, enums.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
			enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, enums.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
			n++
		}
	}
	return n
}

// startToInject is from the run's start event to its first Inject
// activity starting.
func startToInject(h *historypb.History) (time.Duration, bool) {
	evs := h.GetEvents()
	if len(evs) == 0 {
		return 0, false
	}
	injects := map[int64]bool{}
	for _, ev := range evs {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "Inject" {
			injects[ev.GetEventId()] = true
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && injects[a.GetScheduledEventId()] {
			return ev.GetEventTime().AsTime().Sub(evs[0].GetEventTime().AsTime()), true
		}
	}
	return 0, false
}

// bare is the physical limit, on the same fixture once it is Ready again.
func bare(ctx context.Context, cfg Config, admin kubernetes.Interface) (*Bare, error) {
	if _, err := waitAllReady(ctx, admin, 10*time.Minute); err != nil {
		return nil, err
	}
	targets, err := pickTargets(ctx, admin, cfg.N)
	if err != nil {
		return nil, err
	}
	kc, err := kubernetes.NewForConfig(withBudget(cfg.Rest, workerQPS*float32(cfg.Workers), workerBurst*cfg.Workers))
	if err != nil {
		return nil, err
	}
	cfg.Logf("bare N=%d: %d client-go force deletes at once", cfg.N, cfg.N)
	zero := int64(0)
	lat := make([]time.Duration, len(targets))
	errs := make(chan error, len(targets))
	var wg sync.WaitGroup
	begin := time.Now()
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := kc.CoreV1().Pods(t.Namespace).Delete(ctx, t.Pod, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			lat[i] = time.Since(begin)
			if err != nil {
				errs <- fmt.Errorf("delete %s/%s: %w", t.Namespace, t.Pod, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	at, err := waitReplaced(ctx, admin, targets, 15*time.Minute)
	if err != nil {
		return nil, err
	}
	wall := at.Sub(begin)
	return &Bare{DeleteP50MS: ms(Quantile(lat, 0.5)), DeleteP99MS: ms(Quantile(lat, 0.99)),
		WallMS: ms(wall), PerMinute: float64(len(targets)) / wall.Minutes()}, nil
}

func withBudget(cfg *rest.Config, qps float32, burst int) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = qps, burst
	return c
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sortedVerdicts lists r's verdict counts, Passed first, then the others
// by name.
func (r *Result) sortedVerdicts() []string {
	vs := make([]experiment.Verdict, 0, len(r.Verdicts))
	for v := range r.Verdicts {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool {
		if (vs[i] == experiment.VerdictPassed) != (vs[j] == experiment.VerdictPassed) {
			return vs[i] == experiment.VerdictPassed
		}
		return vs[i] < vs[j]
	})
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%d %s", r.Verdicts[v], v)
	}
	return out
}
