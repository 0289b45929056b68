package experiment

// ProbeKind names a probe implementation.
type ProbeKind string

// Probe kinds. Each corresponds to one kind-specific block of Probe.
const (
	ProbeHTTP       ProbeKind = "http"
	ProbeCmd        ProbeKind = "cmd"
	ProbeMongo      ProbeKind = "mongo"
	ProbePrometheus ProbeKind = "prometheus"
	ProbeTCP        ProbeKind = "tcp"
	ProbeK8s        ProbeKind = "k8s"
)

// ProbeMode says when a probe runs.
type ProbeMode string

// Probe modes.
const (
	// ModeSOT runs once before chaos (start of test); if it fails no fault is injected.
	ModeSOT ProbeMode = "SOT"
	// ModeEOT runs once after every fault is reverted (end of test), retrying
	// up to Retries times, Interval apart, so recovery has time.
	ModeEOT ProbeMode = "EOT"
	// ModeEdge runs as SOT and as EOT; it passes only if both pass.
	ModeEdge ProbeMode = "Edge"
	// ModeContinuous runs every Interval from the start to the end of the chaos window.
	ModeContinuous ProbeMode = "Continuous"
	// ModeOnChaos runs every Interval, only while a fault is active.
	ModeOnChaos ProbeMode = "OnChaos"
)

// Probe is one steady-state check. Exactly one kind-specific block is set.
//
// Every observation is bounded by Timeout; an observation that times out or
// errors is a failed observation, never a pass.
type Probe struct {
	// Name is unique within the experiment.
	Name string `json:"name"`
	// Mode says when the probe runs.
	Mode ProbeMode `json:"mode"`
	// Timeout bounds one observation (default 10s).
	Timeout Duration `json:"timeout,omitempty"`
	// Interval is the time between observations (Continuous, OnChaos) or
	// between attempts (SOT, EOT, Edge); default 1s.
	Interval Duration `json:"interval,omitempty"`
	// Retries is how many more attempts SOT, EOT and Edge probes make after a
	// failed one (default 0).
	Retries int `json:"retries,omitempty"`
	// InitialDelay waits before the first observation (default 0s).
	InitialDelay Duration `json:"initialDelay,omitempty"`
	// StopOnFailure halts the experiment when this probe fails: every fault is
	// reverted at once and the verdict is Failed.
	StopOnFailure bool `json:"stopOnFailure,omitempty"`
	// Weight is this probe's share of the resilience score (default 1).
	Weight int `json:"weight,omitempty"`
	// MinSuccessPercent is the share of passing observations a Continuous or
	// OnChaos probe needs to pass (default 100).
	MinSuccessPercent float64 `json:"minSuccessPercent,omitempty"`
	// Faults restricts an OnChaos probe to the windows of these faults
	// (default: all faults).
	Faults []string `json:"faults,omitempty"`
	// Host runs the probe on the worker of that host (task queue
	// "<task-queue>@host:<host>"): where a cmd probe's command runs, and
	// where an http, tcp, mongo or prometheus probe observes from. Empty:
	// the default host's worker. A k8s probe names its cluster: instead.
	Host string `json:"host,omitempty"`

	HTTP       *HTTPProbe       `json:"http,omitempty"`
	Cmd        *CmdProbe        `json:"cmd,omitempty"`
	Mongo      *MongoProbe      `json:"mongo,omitempty"`
	Prometheus *PrometheusProbe `json:"prometheus,omitempty"`
	TCP        *TCPProbe        `json:"tcp,omitempty"`
	K8s        *K8sProbe        `json:"k8s,omitempty"`
}

func (p *Probe) probeBlocks() []kindBlock[ProbeKind] {
	return []kindBlock[ProbeKind]{
		{ProbeHTTP, p.HTTP != nil, p.HTTP.validate},
		{ProbeCmd, p.Cmd != nil, p.Cmd.validate},
		{ProbeMongo, p.Mongo != nil, p.Mongo.validate},
		{ProbePrometheus, p.Prometheus != nil, p.Prometheus.validate},
		{ProbeTCP, p.TCP != nil, p.TCP.validate},
		{ProbeK8s, p.K8s != nil, p.K8s.validate},
	}
}

// Kind reports the kind of the one block that is set; "" when none or several are.
func (p Probe) Kind() ProbeKind { return soleKind(p.probeBlocks()) }

// RunsAtStart reports whether the probe runs before chaos.
func (p Probe) RunsAtStart() bool { return p.Mode == ModeSOT || p.Mode == ModeEdge }

// RunsAtEnd reports whether the probe runs after every revert.
func (p Probe) RunsAtEnd() bool { return p.Mode == ModeEOT || p.Mode == ModeEdge }

// RunsDuringChaos reports whether the probe loops during the chaos window.
func (p Probe) RunsDuringChaos() bool { return p.Mode == ModeContinuous || p.Mode == ModeOnChaos }
