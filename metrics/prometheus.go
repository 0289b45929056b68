package metrics

import (
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Label values of the outcome and result labels.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	ResultPass     = "pass"
	ResultFail     = "fail"
)

// OverdueGrace is how long an injection may stay in place past its
// fault's whole duration before tempest_fault_injections_overdue counts
// it: generous, so that a slow revert does not count, while an injection
// left behind by a stuck rollback does long before anyone would notice.
const OverdueGrace = 10 * time.Minute

// Buckets of the histograms, in seconds.
var (
	LoadLatencyBuckets        = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	ExperimentDurationBuckets = []float64{5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200}
)

// Prometheus records into Prometheus collectors; it is itself a
// prometheus.Collector (Registry registers it). The zero value is not
// usable: use NewPrometheus.
type Prometheus struct {
	injections   *prometheus.CounterVec
	reverts      *prometheus.CounterVec
	observations *prometheus.CounterVec
	loadRequests *prometheus.CounterVec
	loadLatency  *prometheus.HistogramVec
	experiments  *prometheus.CounterVec
	expDuration  *prometheus.HistogramVec
	score        *prometheus.GaugeVec
	running      *prometheus.GaugeVec
	activeDesc   *prometheus.Desc
	overdueDesc  *prometheus.Desc
	now          func() time.Time
	mu           sync.Mutex
	active       map[string]activeInjection // by injectionKey
	kinds        map[string]bool            // fault kinds ever seen or declared
	// experimentsSeen are the experiments whose verdict series exist.
	experimentsSeen map[string]bool
}

// activeInjection is an injection this process made and has not reverted.
type activeInjection struct {
	kind  string
	runID string
	// overdue is when it starts counting as overdue.
	overdue time.Time
}

var _ Recorder = (*Prometheus)(nil)
var _ prometheus.Collector = (*Prometheus)(nil)

// NewPrometheus returns a recorder whose series start at zero for the
// given fault kinds (more appear as they are used).
func NewPrometheus(faultKinds ...string) *Prometheus {
	p := &Prometheus{
		injections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tempest_fault_injections_total",
			Help: "Injections that reached their fault implementation, by fault kind and outcome (success: the fault took effect).",
		}, []string{"kind", "outcome"}),
		reverts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tempest_fault_reverts_total",
			Help: "Revert attempts, by fault kind and outcome (failure: this attempt failed; it is retried).",
		}, []string{"kind", "outcome"}),
		observations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tempest_probe_observations_total",
			Help: "Probe observations, by probe name, probe kind and result.",
		}, []string{"probe", "kind", "result"}),
		loadRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tempest_load_requests_total",
			Help: "Completed load requests, by load phase (baseline, chaos, recovery, k6) and result (success: a status in 200-399).",
		}, []string{"phase", "result"}),
		loadLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tempest_load_request_duration_seconds",
			Help:    "Latency of completed load requests, failed ones included, by load phase.",
			Buckets: LoadLatencyBuckets,
		}, []string{"phase"}),
		experiments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tempest_experiments_total",
			Help: "Experiment runs that closed while this worker watched, by experiment and verdict; every worker counts every run, so aggregate over workers with max.",
		}, []string{"experiment", "verdict"}),
		expDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tempest_experiment_duration_seconds",
			Help:    "Duration of closed experiment runs, start to close, by verdict.",
			Buckets: ExperimentDurationBuckets,
		}, []string{"verdict"}),
		score: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tempest_experiment_resilience_score",
			Help: "Resilience score (0 to 100) of the experiment's last closed run that has a result.",
		}, []string{"experiment"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tempest_experiments_running",
			Help: "Experiment runs running now, by experiment, as visibility shows them; every worker reports every run, so aggregate over workers with max.",
		}, []string{"experiment"}),
		activeDesc: prometheus.NewDesc("tempest_faults_active",
			"Injections this worker made and has not reverted, by fault kind (sum over workers).", []string{"kind"}, nil),
		overdueDesc: prometheus.NewDesc("tempest_fault_injections_overdue",
			"Active injections in place for longer than their fault's duration plus a grace, by fault kind.", []string{"kind"}, nil),
		now:    time.Now,
		active: map[string]activeInjection{},
		kinds:  map[string]bool{},

		experimentsSeen: map[string]bool{},
	}
	for _, k := range faultKinds {
		p.declareKind(k)
	}
	for _, r := range []string{OutcomeSuccess, OutcomeFailure} {
		for _, ph := range []string{experiment.LoadPhaseBaseline, experiment.LoadPhaseChaos, experiment.LoadPhaseRecovery} {
			p.loadRequests.WithLabelValues(ph, r)
		}
	}
	for _, v := range Verdicts {
		p.expDuration.WithLabelValues(v)
	}
	for _, ph := range []string{experiment.LoadPhaseBaseline, experiment.LoadPhaseChaos, experiment.LoadPhaseRecovery} {
		p.loadLatency.WithLabelValues(ph)
	}
	return p
}

// Verdicts are the verdicts whose series start at zero (for each
// experiment once it is seen running), so that increase() and rate()
// count a run's first close. Runs that end without a verdict are counted
// under their close status (Terminated, TimedOut, ...) from their first.
var Verdicts = []string{string(experiment.VerdictPassed), string(experiment.VerdictFailed),
	string(experiment.VerdictErrored), string(experiment.VerdictAborted), string(experiment.VerdictDryRun)}

// declareKind starts a fault kind's series at zero.
func (p *Prometheus) declareKind(kind string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kinds[kind] {
		return
	}
	p.kinds[kind] = true
	for _, o := range []string{OutcomeSuccess, OutcomeFailure} {
		p.injections.WithLabelValues(kind, o)
		p.reverts.WithLabelValues(kind, o)
	}
}

// Describe implements prometheus.Collector.
func (p *Prometheus) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range p.collectors() {
		c.Describe(ch)
	}
	ch <- p.activeDesc
	ch <- p.overdueDesc
}

// Collect implements prometheus.Collector.
func (p *Prometheus) Collect(ch chan<- prometheus.Metric) {
	for _, c := range p.collectors() {
		c.Collect(ch)
	}
	now := p.now()
	p.mu.Lock()
	active, overdue := map[string]int{}, map[string]int{}
	for k := range p.kinds {
		active[k], overdue[k] = 0, 0
	}
	for _, a := range p.active {
		active[a.kind]++
		if now.After(a.overdue) {
			overdue[a.kind]++
		}
	}
	p.mu.Unlock()
	kinds := make([]string, 0, len(active))
	for k := range active {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		ch <- prometheus.MustNewConstMetric(p.activeDesc, prometheus.GaugeValue, float64(active[k]), k)
		ch <- prometheus.MustNewConstMetric(p.overdueDesc, prometheus.GaugeValue, float64(overdue[k]), k)
	}
}

func (p *Prometheus) collectors() []prometheus.Collector {
	return []prometheus.Collector{p.injections, p.reverts, p.observations, p.loadRequests, p.loadLatency,
		p.experiments, p.expDuration, p.score, p.running}
}

func outcome(err error) string {
	if err != nil {
		return OutcomeFailure
	}
	return OutcomeSuccess
}

// injectionKey tells one injection from another (the same for its inject
// and its revert).
func injectionKey(req fault.Request) string {
	return req.Run.RunID + "\x00" + req.Fault.Name + "\x00" + req.Target.ID + "\x00" + strconv.Itoa(req.Injection)
}

// Injected implements Recorder.
func (p *Prometheus) Injected(req fault.Request, err error) {
	kind := string(req.Fault.Kind())
	p.declareKind(kind)
	p.injections.WithLabelValues(kind, outcome(err)).Inc()
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active[injectionKey(req)] = activeInjection{kind: kind, runID: req.Run.RunID,
		overdue: p.now().Add(req.Fault.Duration.D() + OverdueGrace)}
}

// Reverted implements Recorder.
func (p *Prometheus) Reverted(req fault.Request, err error) {
	kind := string(req.Fault.Kind())
	p.declareKind(kind)
	p.reverts.WithLabelValues(kind, outcome(err)).Inc()
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.active, injectionKey(req))
}

// Observed implements Recorder.
func (p *Prometheus) Observed(pr experiment.Probe, obs experiment.Observation) {
	result := ResultFail
	if obs.Passed {
		result = ResultPass
	}
	kind := string(pr.Kind())
	p.observations.WithLabelValues(pr.Name, kind, result).Inc()
	// Both results exist from the first observation on, so that rate()
	// sees a probe's first failure.
	p.observations.WithLabelValues(pr.Name, kind, ResultPass)
	p.observations.WithLabelValues(pr.Name, kind, ResultFail)
}

// LoadRequests implements Recorder.
func (p *Prometheus) LoadRequests(phase string, succeeded, failed int64, latencies []Latency) {
	if succeeded > 0 {
		p.loadRequests.WithLabelValues(phase, OutcomeSuccess).Add(float64(succeeded))
	}
	if failed > 0 {
		p.loadRequests.WithLabelValues(phase, OutcomeFailure).Add(float64(failed))
	}
	if len(latencies) == 0 {
		return
	}
	h := p.loadLatency.WithLabelValues(phase)
	for _, l := range latencies {
		s := l.D.Seconds()
		for range l.N {
			h.Observe(s)
		}
	}
}

// ExperimentsRunning implements Recorder.
func (p *Prometheus) ExperimentsRunning(running map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running.Reset()
	for name, n := range running {
		p.running.WithLabelValues(name).Set(float64(n))
		if !p.experimentsSeen[name] {
			p.experimentsSeen[name] = true
			for _, v := range Verdicts {
				p.experiments.WithLabelValues(name, v)
			}
		}
	}
}

// ExperimentClosed implements Recorder. It also forgets the run's active
// injections: its rollback has run by then, on whichever worker; what it
// left is the watchdog's (and a failed revert is counted already).
func (p *Prometheus) ExperimentClosed(run ClosedRun) {
	p.experiments.WithLabelValues(run.Experiment, run.Verdict).Inc()
	p.expDuration.WithLabelValues(run.Verdict).Observe(run.Duration.Seconds())
	if run.HasScore {
		p.score.WithLabelValues(run.Experiment).Set(run.Score)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, a := range p.active {
		if a.runID == run.RunID {
			delete(p.active, k)
		}
	}
}
