package chaosengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
)

// Config is one run of the harness.
type Config struct {
	// Bins are the programs to run (see Build).
	Bins Binaries
	// Dir holds the server's SQLite file, the workers' state dir, the
	// targets' ledgers and every process's log.
	Dir string
	// Seed drives every random choice (logged with each action).
	Seed uint64
	// Targets is how many demo targets run experiments at once; Workers
	// how many worker processes poll the task queue.
	Targets, Workers int
	// How many times each chaos action happens, at random moments.
	WorkerKills, ServerRestarts, NetworkCuts, Freezes, Aborts, Terminates, Upgrades int
	// CutMin and CutMax bound a network cut; FreezeMin and FreezeMax a
	// worker's SIGSTOP; GapMin and GapMax the pause between two actions.
	CutMin, CutMax, FreezeMin, FreezeMax, GapMin, GapMax time.Duration
	// Settle is how long a target may take to be whole again after its
	// experiment ended (the watchdog's period is 5 s).
	Settle time.Duration
	// Log receives the harness's log (every chaos action with its time).
	Log io.Writer
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.CutMin, 10*time.Second)
	def(&c.CutMax, 30*time.Second)
	def(&c.FreezeMin, 3*time.Second)
	def(&c.FreezeMax, 12*time.Second)
	def(&c.GapMin, 2*time.Second)
	def(&c.GapMax, 8*time.Second)
	def(&c.Settle, 30*time.Second)
	if c.Targets == 0 {
		c.Targets = 4
	}
	if c.Workers < 2 {
		c.Workers = 2
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// taskQueue is the queue every worker of the harness polls.
const taskQueue = "tempest-chaos"

// harness is one run's state.
type harness struct {
	cfg    Config
	start  time.Time
	rng    *rand.Rand
	rngMu  sync.Mutex
	server *serverProc
	proxy  *Proxy
	c      client.Client

	mu           sync.Mutex
	workers      []*workerProc
	nextID       int
	build        string // "v1" or "v2": the build new workers run
	running      map[string]*active
	records      []*Record
	actions      []Action
	counts       map[string]int
	kill2prog    []time.Duration
	killMeasures []Measure
	abort2rev    []time.Duration
	abortMeas    []AbortMeasure
	outages      []Outage
	kills        []time.Duration // when workers were killed, since start
	downtime     []time.Duration
	unmeasured   map[string]int
	killedDuring map[string]int // activity type in flight on a killed worker -> count
	global       []string       // violations not tied to one experiment

	loadavg []float64 // the 1-minute load average, every 10 s

	measures  sync.WaitGroup
	chaosDone chan struct{}
	targets   []*Target
}

// active is an experiment that runs now.
type active struct {
	rec *Record
	tg  *Target
}

// Action is one chaos action, as logged.
type Action struct {
	At     time.Duration `json:"at"` // since the run began
	Kind   string        `json:"kind"`
	Detail string        `json:"detail"`
}

// Record is one experiment of the run and what was checked.
type Record struct {
	ID         string             `json:"id"`
	RunID      string             `json:"runId"`
	Kind       Kind               `json:"kind"`
	Target     int                `json:"target"`
	Started    time.Time          `json:"started"`
	Closed     time.Time          `json:"closed"`
	Status     string             `json:"status"`
	Verdict    experiment.Verdict `json:"verdict,omitempty"`
	Reasons    []string           `json:"reasons,omitempty"`
	Injections int                `json:"injections"`
	Reverts    int                `json:"reverts"`
	// Abort is "" (none), "accepted", "unknown" (the call failed; it may
	// have landed) or "refused" (the run had ended).
	Abort      string   `json:"abort,omitempty"`
	Terminated bool     `json:"terminated,omitempty"`
	Ledger     Tally    `json:"ledger"`
	Events     []Event  `json:"events,omitempty"`
	Violations []string `json:"violations,omitempty"`
	// Blind: the run ended Errored because the engine could not observe
	// (a watching probe made no observation) while the harness's own
	// chaos (a worker kill, cut, freeze or server restart) overlapped it.
	// The engine said so instead of guessing a verdict: right, counted
	// apart.
	Blind bool `json:"blind,omitempty"`
	mu    sync.Mutex
}

func (r *Record) violate(format string, args ...any) {
	r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
}

// Run runs the harness: the server, workers, proxy and targets, the
// experiments and the chaos, then the checks. It returns an error only if
// something it needs could not start; violations are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	h := &harness{
		cfg: cfg, start: time.Now(), rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		build: "v1", running: map[string]*active{}, counts: map[string]int{}, unmeasured: map[string]int{}, killedDuring: map[string]int{},
		chaosDone: make(chan struct{}),
	}
	defer h.teardown()
	if err := h.setUp(ctx); err != nil {
		return nil, err
	}
	go h.sampleLoad()
	var loops sync.WaitGroup
	for _, tg := range h.targets {
		loops.Add(1)
		go func() { defer loops.Done(); h.targetLoop(ctx, tg) }()
	}
	h.chaos(ctx)
	close(h.chaosDone)
	h.logf("chaos done; waiting for the experiments in flight")
	loops.Wait()
	h.measures.Wait()
	h.finalChecks(ctx)
	return h.report(), nil
}

// sampleLoad records the machine's 1-minute load average every 10 s until
// the chaos ends.
func (h *harness) sampleLoad() {
	for {
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			var l float64
			if _, err := fmt.Sscan(string(b), &l); err == nil {
				h.mu.Lock()
				h.loadavg = append(h.loadavg, l)
				h.mu.Unlock()
			}
		}
		select {
		case <-h.chaosDone:
			return
		case <-time.After(10 * time.Second):
		}
	}
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.cfg.Log, "%8.1fs  %s\n", time.Since(h.start).Seconds(), fmt.Sprintf(format, args...))
}

func (h *harness) action(kind, format string, args ...any) {
	d := fmt.Sprintf(format, args...)
	h.mu.Lock()
	h.actions = append(h.actions, Action{At: time.Since(h.start).Round(time.Millisecond), Kind: kind, Detail: d})
	h.counts[kind]++
	h.mu.Unlock()
	h.logf("CHAOS %s: %s", kind, d)
}

func (h *harness) intn(n int) int {
	h.rngMu.Lock()
	defer h.rngMu.Unlock()
	return h.rng.IntN(n)
}

func (h *harness) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	h.rngMu.Lock()
	defer h.rngMu.Unlock()
	return lo + time.Duration(h.rng.Int64N(int64(hi-lo)))
}

func (h *harness) stateDir() string { return filepath.Join(h.cfg.Dir, "worker-state") }

func (h *harness) setUp(ctx context.Context) error {
	if err := os.MkdirAll(h.stateDir(), 0o755); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	h.server = &serverProc{bin: h.cfg.Bins.Server, db: filepath.Join(h.cfg.Dir, "temporal.db"),
		addr: fmt.Sprintf("127.0.0.1:%d", port), logPath: filepath.Join(h.cfg.Dir, "server.log")}
	if err := h.server.start(ctx); err != nil {
		return fmt.Errorf("temporal server: %w", err)
	}
	h.logf("server pid %d on %s (%s)", h.server.current().pid(), h.server.addr, h.server.db)
	if h.proxy, err = NewProxy("127.0.0.1:0", h.server.addr); err != nil {
		return err
	}
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if h.c, err = client.DialContext(dctx, client.Options{HostPort: h.server.addr, Logger: quiet}); err != nil {
		return fmt.Errorf("dial temporal: %w", err)
	}
	if err := worker.EnsureSearchAttributes(ctx, h.c, "default"); err != nil {
		return err
	}
	for range h.cfg.Workers {
		if _, err := h.startWorker(); err != nil {
			return err
		}
	}
	for i := range h.cfg.Targets {
		port, err := freePort()
		if err != nil {
			return err
		}
		tg := newTarget(i, h.cfg.Bins.Target, h.cfg.Dir, port)
		tg.sample(20 * time.Millisecond)
		h.targets = append(h.targets, tg)
		if err := h.startTarget(ctx, tg); err != nil {
			return err
		}
	}
	return nil
}

// startTarget launches the target (as the harness, not as a revert) and
// waits until it serves.
func (h *harness) startTarget(ctx context.Context, tg *Target) error {
	p, err := startProc(fmt.Sprintf("target-%d", tg.Index), filepath.Join(h.cfg.Dir, fmt.Sprintf("target-%d.log", tg.Index)), tg.Argv...)
	if err != nil {
		return err
	}
	_ = p
	deadline := time.Now().Add(20 * time.Second)
	for !tg.Serving() {
		if time.Now().After(deadline) {
			return fmt.Errorf("target %d does not serve on %s", tg.Index, tg.Addr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// startWorker starts a worker of the current build through the proxy.
func (h *harness) startWorker() (*workerProc, error) {
	h.mu.Lock()
	h.nextID++
	id, build := h.nextID, h.build
	h.mu.Unlock()
	bin := h.cfg.Bins.Tempest
	if build == "v2" {
		bin = h.cfg.Bins.TempestNext
	}
	p, err := startProc(fmt.Sprintf("worker-%d", id), filepath.Join(h.cfg.Dir, fmt.Sprintf("worker-%d.log", id)),
		bin, "worker", "--address", h.proxy.Addr(), "--task-queue", taskQueue, "--worker-state-dir", h.stateDir())
	if err != nil {
		return nil, err
	}
	w := &workerProc{proc: p, id: id, build: build}
	h.mu.Lock()
	h.workers = append(h.workers, w)
	h.mu.Unlock()
	h.logf("worker-%d (%s) pid %d", id, build, w.pid())
	return w, nil
}

func (h *harness) teardown() {
	if h.proxy != nil {
		h.proxy.SetMode(ProxyPass)
	}
	h.mu.Lock()
	ws := h.workers
	h.workers = nil
	h.mu.Unlock()
	for _, w := range ws {
		w.stop(10 * time.Second)
	}
	for _, tg := range h.targets {
		tg.stopSampler()
		for _, pid := range tg.Live() {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if h.c != nil {
		h.c.Close()
	}
	if h.proxy != nil {
		_ = h.proxy.Close()
	}
	if h.server != nil {
		if p := h.server.current(); p != nil {
			p.stop(15 * time.Second)
		}
	}
}

// targetLoop runs experiments on tg, one at a time, until the chaos ends.
func (h *harness) targetLoop(ctx context.Context, tg *Target) {
	for n := 0; ; n++ {
		select {
		case <-h.chaosDone:
			return
		case <-ctx.Done():
			return
		default:
		}
		kind := Kinds[(tg.Index+n)%len(Kinds)]
		h.runOne(ctx, tg, kind, n)
	}
}

// runOne runs one experiment on tg and checks it.
func (h *harness) runOne(ctx context.Context, tg *Target, kind Kind, n int) {
	rec := &Record{Kind: kind, Target: tg.Index, ID: fmt.Sprintf("chaos-t%d-%03d-%s", tg.Index, n, kind)}
	h.mu.Lock()
	h.records = append(h.records, rec)
	h.mu.Unlock()
	exp, err := decodeSpec(kind.spec(fmt.Sprintf("chaos-%s", kind), tg))
	if err != nil {
		rec.violate("%v", err)
		return
	}
	rec.Started = time.Now()
	run, err := h.startExperiment(ctx, exp, rec.ID)
	if err != nil {
		rec.Status = "not started"
		rec.violate("start: %v", err)
		time.Sleep(time.Second)
		return
	}
	rec.RunID = run.RunID
	h.mu.Lock()
	h.running[rec.ID] = &active{rec: rec, tg: tg}
	h.mu.Unlock()
	status := h.waitClosed(ctx, rec, kind.planned()+4*time.Minute)
	h.mu.Lock()
	delete(h.running, rec.ID)
	h.mu.Unlock()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.Closed = time.Now()
	rec.Status = status
	// A run whose verdict did not pass ends as a Failed workflow that
	// carries its result.
	if status == "Completed" || status == "Failed" {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		res, err := run.Result(rctx)
		cancel()
		if err != nil {
			rec.violate("result: %v", err)
		} else {
			rec.Verdict, rec.Reasons = res.Verdict, res.Reasons
			for _, f := range res.Faults {
				rec.Injections += f.Injections
				rec.Reverts += f.Reverts
			}
		}
	}
	h.settleAndCheck(ctx, rec, tg)
}

// startExperiment starts exp, retrying while the server is away; a start
// that landed before an error is found by its ID.
func (h *harness) startExperiment(ctx context.Context, exp experiment.Experiment, id string) (*starter.Run, error) {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		run, err := starter.Start(sctx, h.c, exp, starter.Options{TaskQueue: taskQueue, WorkflowID: id})
		cancel()
		if err == nil {
			return run, nil
		}
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return starter.Attach(h.c, id, started.RunId), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		time.Sleep(time.Second)
	}
}

// waitClosed polls the run until it closes; a run still open after within
// is stuck: it is recorded and terminated.
func (h *harness) waitClosed(ctx context.Context, rec *Record, within time.Duration) string {
	deadline := time.Now().Add(within)
	for {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		d, err := h.c.DescribeWorkflowExecution(dctx, rec.ID, rec.RunID)
		cancel()
		if err == nil {
			st := d.GetWorkflowExecutionInfo().GetStatus()
			if st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return statusName(st)
			}
		}
		if time.Now().After(deadline) {
			rec.mu.Lock()
			rec.violate("stuck Running %s after its start", within)
			rec.mu.Unlock()
			_ = h.c.TerminateWorkflow(ctx, rec.ID, rec.RunID, "chaosengine: stuck")
			return "Stuck"
		}
		select {
		case <-ctx.Done():
			return "Canceled by harness"
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func statusName(st enumspb.WorkflowExecutionStatus) string {
	s := st.String()
	s = strings.TrimPrefix(s, "WORKFLOW_EXECUTION_STATUS_")
	if s == "" {
		return "Unknown"
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// settleAndCheck waits (bounded) for tg to be whole, then checks rec
// against the target's ledger.
func (h *harness) settleAndCheck(ctx context.Context, rec *Record, tg *Target) {
	whole := func() bool {
		if len(tg.Stopped()) > 0 {
			return false
		}
		if rec.Kind.restarts() || !rec.Kind.kills() {
			return tg.Serving()
		}
		return true
	}
	deadline := time.Now().Add(h.cfg.Settle)
	for !whole() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	// A little longer, for a late effect (a stale inject, a second restart).
	time.Sleep(1500 * time.Millisecond)
	evs := tg.Events(rec.Started)
	rec.Events = evs
	t := tally(evs)
	rec.Ledger = t

	if st := tg.Stopped(); len(st) > 0 {
		rec.violate("left behind: target pid %v in state T %s after the run closed", st, h.cfg.Settle)
	}
	if t.FailedStarts > 0 {
		rec.violate("double revert: %d extra launch(es) of the target that could not bind", t.FailedStarts)
	}
	switch {
	case rec.Kind.restarts():
		if t.Starts != t.Deaths {
			rec.violate("target killed %d time(s) but restarted %d time(s)", t.Deaths, t.Starts)
		}
		if !tg.Serving() {
			rec.violate("left behind: target not serving %s after the run closed", h.cfg.Settle)
		}
	case rec.Kind.kills(): // no restart in the spec
		if t.Starts != 0 {
			rec.violate("target restarted %d time(s) by an experiment with no restart", t.Starts)
		}
	default:
		if t.Deaths != 0 || t.Starts != 0 {
			rec.violate("a pause experiment killed (%d) or started (%d) the target", t.Deaths, t.Starts)
		}
		if t.Stops != t.Continues {
			rec.violate("target stopped %d time(s) and resumed %d time(s)", t.Stops, t.Continues)
		}
		if !tg.Serving() {
			rec.violate("left behind: target not serving %s after the run closed", h.cfg.Settle)
		}
	}
	h.checkVerdict(rec, t)
	if rec.Kind.kills() && !rec.Kind.restarts() || !tg.Serving() {
		// The harness restarts what the experiment left down by design
		// (or by a recorded violation), so the next experiment starts whole.
		for _, pid := range tg.Live() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(200 * time.Millisecond)
		if err := h.startTarget(ctx, tg); err != nil {
			rec.violate("harness could not restart the target: %v", err)
		}
		tg.sampleOnce()
	}
	h.logf("%s: %s %s injections=%d reverts=%d ledger=%+v abort=%q violations=%d",
		rec.ID, rec.Status, rec.Verdict, rec.Injections, rec.Reverts, t, rec.Abort, len(rec.Violations))
	for _, v := range rec.Violations {
		h.logf("  VIOLATION %s: %s", rec.ID, v)
	}
	if len(rec.Violations) > 0 && rec.RunID != "" {
		h.saveHistory(ctx, rec.ID, rec.RunID)
	}
}

// saveHistory writes a run's history beside the logs, for the report of a
// violation.
func (h *harness) saveHistory(ctx context.Context, id, runID string) {
	dir := filepath.Join(h.cfg.Dir, "histories")
	_ = os.MkdirAll(dir, 0o755)
	f, err := os.Create(filepath.Join(dir, id+".txt"))
	if err != nil {
		return
	}
	defer f.Close()
	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := WriteHistory(hctx, h.c, id, runID, f); err != nil {
		fmt.Fprintf(f, "history: %v\n", err)
	}
	h.logf("  history of %s in %s", id, f.Name())
}

// checkVerdict compares the verdict with what the target's behaviour and
// the harness's own actions call for.
func (h *harness) checkVerdict(rec *Record, t Tally) {
	// Closed with a verdict: completed (Passed), or failed carrying a
	// verdict that did not pass.
	verdictClosed := rec.Status == "Completed" || (rec.Status == "Failed" && rec.Verdict != "" && rec.Verdict != experiment.VerdictPassed)
	switch {
	case rec.Terminated:
		if rec.Status != "Terminated" && !verdictClosed {
			rec.violate("terminated, but closed as %s", rec.Status)
		}
		if !verdictClosed {
			return
		}
	case !verdictClosed:
		rec.violate("closed as %s without a verdict", rec.Status)
		return
	}
	if rec.Verdict == "" {
		return // no result read: already a violation
	}
	want := rec.Kind.expectedVerdict()
	switch rec.Abort {
	case "accepted":
		if rec.Verdict != experiment.VerdictAborted {
			rec.violate("verdict %s after an accepted abort, want Aborted (reasons %v)", rec.Verdict, rec.Reasons)
		}
	case "unknown":
		if rec.Verdict != experiment.VerdictAborted && rec.Verdict != want {
			rec.violate("verdict %s, want Aborted or %s (reasons %v)", rec.Verdict, want, rec.Reasons)
		}
	default:
		if rec.Verdict != want && rec.Verdict == experiment.VerdictErrored && blindOnly(rec.Reasons) && h.disturbed(rec.Started, rec.Closed) {
			rec.Blind = true
		} else if rec.Verdict != want {
			rec.violate("verdict %s, want %s (reasons %v)", rec.Verdict, want, rec.Reasons)
		}
	}
	// What the engine counted against what the target saw.
	effect := t.Stops
	if rec.Kind.kills() {
		effect = t.Deaths
	}
	if rec.Injections != effect {
		rec.violate("result counts %d injection(s), the target saw %d", rec.Injections, effect)
	}
}

// finalChecks: every experiment closed, nothing stopped, every target
// serving, the workers' ledger empty.
func (h *harness) finalChecks(ctx context.Context) {
	deadline := time.Now().Add(h.cfg.Settle)
	ledger := &activities.Ledger{Dir: worker.LedgerDir(h.stateDir())}
	for {
		ok := true
		for _, tg := range h.targets {
			if len(tg.Stopped()) > 0 || !tg.Serving() {
				ok = false
			}
		}
		entries, err := ledger.Entries()
		if err != nil || len(entries) > 0 {
			ok = false
		}
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, tg := range h.targets {
		if st := tg.Stopped(); len(st) > 0 {
			h.globalf("left behind: target %d pid %v in state T at the end", tg.Index, st)
		}
		if !tg.Serving() {
			h.globalf("left behind: target %d not serving at the end", tg.Index)
		}
	}
	if entries, err := ledger.Entries(); err != nil {
		h.globalf("worker ledger unreadable: %v", err)
	} else if len(entries) > 0 {
		h.globalf("left behind: the workers' ledger holds %d injection(s) at the end: %+v", len(entries), entries)
	}
	h.mu.Lock()
	ws := append([]*workerProc(nil), h.workers...)
	h.mu.Unlock()
	for _, w := range ws {
		if procState(w.pid()) == "T" {
			h.globalf("left behind: worker-%d frozen", w.id)
		}
	}
	_ = ctx
}

func (h *harness) globalf(format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	h.mu.Lock()
	h.global = append(h.global, v)
	h.mu.Unlock()
	h.logf("VIOLATION %s", v)
}

// blindOnly reports whether every reason of an Errored verdict is the
// engine saying it could not observe.
func blindOnly(reasons []string) bool {
	for _, r := range reasons {
		if !strings.Contains(r, "made no observation") {
			return false
		}
	}
	return len(reasons) > 0
}

// disturbed reports whether the harness's chaos touched [from, to]: an
// outage overlapping it, or a worker killed within it.
func (h *harness) disturbed(from, to time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, t := from.Sub(h.start), to.Sub(h.start)
	if overlap(h.outages, f, t) != "" {
		return true
	}
	for _, k := range h.kills {
		if k >= f && k <= t {
			return true
		}
	}
	return false
}
