package experiment

// FaultKind names a fault implementation.
type FaultKind string

// Fault kinds. Each corresponds to one kind-specific block of Fault.
const (
	FaultProcess          FaultKind = "process"
	FaultPodDelete        FaultKind = "podDelete"
	FaultScale            FaultKind = "scale"
	FaultNodeCordon       FaultKind = "nodeCordon"
	FaultNodeDrain        FaultKind = "nodeDrain"
	FaultNetworkPartition FaultKind = "networkPartition"
)

// SelectionMode says how many of the matching targets a fault hits.
type SelectionMode string

// Selection modes.
const (
	// SelectOne hits one matching target, chosen at random.
	SelectOne SelectionMode = "one"
	// SelectCount hits Value targets, chosen at random.
	SelectCount SelectionMode = "count"
	// SelectPercent hits Value percent of the targets (rounded up, at least one).
	SelectPercent SelectionMode = "percent"
	// SelectAll hits every matching target.
	SelectAll SelectionMode = "all"
)

// Sequence says whether a fault's targets are hit one after another or at once.
type Sequence string

// Sequences.
const (
	SequenceParallel Sequence = "parallel"
	SequenceSerial   Sequence = "serial"
)

// Fault is one fault of the chaos window. Exactly one kind-specific block is set.
//
// Timeline, relative to the start of the chaos window: the first injection
// happens at StartAfter; with Interval set, a new injection starts every
// Interval until Duration has passed; each injection stays in place for Hold
// (default: Interval when repeating, else Duration) and is then reverted.
type Fault struct {
	// Name is unique within the experiment.
	Name string `json:"name"`
	// StartAfter is the offset of the first injection from the start of the
	// chaos window (default 0s).
	StartAfter Duration `json:"startAfter,omitempty"`
	// Duration is how long the fault is active in total; must be > 0.
	Duration Duration `json:"duration"`
	// Interval repeats the injection every Interval during Duration (optional).
	Interval Duration `json:"interval,omitempty"`
	// Hold is how long each injection stays before its revert (optional).
	Hold Duration `json:"hold,omitempty"`
	// Mode says how many matching targets to hit (default "all").
	Mode SelectionMode `json:"mode,omitempty"`
	// Value is the count for mode "count" or the percent for mode "percent".
	Value int `json:"value,omitempty"`
	// Sequence hits targets in parallel (default) or one after another.
	Sequence Sequence `json:"sequence,omitempty"`
	// Cluster routes this fault's activities to the workers of that
	// Kubernetes cluster (task queue "<task-queue>@<cluster>"). Empty: the
	// experiment's own task queue.
	Cluster string `json:"cluster,omitempty"`
	// Host routes a host fault (process) to the worker of that host
	// (task queue "<task-queue>@host:<host>", polled by `tempest worker
	// --host <host>`), which selects its targets there. Empty: the
	// default host's worker (one polling the experiment's task queue).
	// Either way each target records the host that owns it, and its
	// inject and revert run only on that host.
	Host string `json:"host,omitempty"`

	Process          *ProcessFault          `json:"process,omitempty"`
	PodDelete        *PodDeleteFault        `json:"podDelete,omitempty"`
	Scale            *ScaleFault            `json:"scale,omitempty"`
	NodeCordon       *NodeFault             `json:"nodeCordon,omitempty"`
	NodeDrain        *NodeDrainFault        `json:"nodeDrain,omitempty"`
	NetworkPartition *NetworkPartitionFault `json:"networkPartition,omitempty"`

	// Block is the block of a kind that lives in its own package
	// (FaultBlock); in a spec it is written under its kind's key.
	Block FaultBlock `json:"-"`
}

// faultBlocks lists every kind-specific block of f with its kind, in a
// fixed order: the built-in kinds, then the registered ones.
func (f *Fault) faultBlocks() []kindBlock[FaultKind] {
	return append(f.builtinBlocks(), f.blockEntries()...)
}

// builtinBlocks are the blocks of the kinds declared in this package.
func (f *Fault) builtinBlocks() []kindBlock[FaultKind] {
	return []kindBlock[FaultKind]{
		{FaultProcess, f.Process != nil, f.Process.validate},
		{FaultPodDelete, f.PodDelete != nil, f.PodDelete.validate},
		{FaultScale, f.Scale != nil, f.Scale.validate},
		{FaultNodeCordon, f.NodeCordon != nil, f.NodeCordon.validate},
		{FaultNodeDrain, f.NodeDrain != nil, f.NodeDrain.validate},
		{FaultNetworkPartition, f.NetworkPartition != nil, f.NetworkPartition.validate},
	}
}

// Kind reports the kind of the one block that is set; "" when none is set
// or more than one is (Validate reports that).
func (f Fault) Kind() FaultKind { return soleKind(f.faultBlocks()) }

// HoldFor is how long each injection stays in place before its revert.
func (f Fault) HoldFor() Duration {
	switch {
	case f.Hold > 0:
		return f.Hold
	case f.Interval > 0:
		return f.Interval
	default:
		return f.Duration
	}
}

// Injections is how many times the fault is injected: once, or once per
// Interval within Duration.
func (f Fault) Injections() int {
	if f.Interval <= 0 || f.Duration <= 0 {
		return 1
	}
	n := int(f.Duration / f.Interval)
	if f.Duration%f.Interval != 0 {
		n++
	}
	return n
}

// End is the offset from the chaos window start at which the fault's last
// revert is due.
func (f Fault) End() Duration {
	last := f.StartAfter + Duration(f.Injections()-1)*f.Interval
	return last + f.HoldFor()
}

// kindBlock is one kind-specific block of a fault or probe: its kind (also
// its JSON field name), whether it is set, and its validation, which is
// called only when it is set.
type kindBlock[K ~string] struct {
	kind     K
	set      bool
	validate func(path string) []FieldError
}

func soleKind[K ~string](blocks []kindBlock[K]) K {
	var found K
	for _, b := range blocks {
		if !b.set {
			continue
		}
		if found != "" {
			return ""
		}
		found = b.kind
	}
	return found
}
