package stress

import (
	"fmt"
	"math"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault/bytesize"
)

// Name is the fault kind of this package, also its block's key in a spec.
const Name experiment.FaultKind = "stress"

// Limits of a Spec.
const (
	// MaxWorkers bounds CPU.Workers.
	MaxWorkers = 1024
	// MaxMemoryPercent is the largest Memory.Percent that can pass the
	// memory ceiling on any host (it keeps at least 10% of MemTotal).
	MaxMemoryPercent = 90
)

// Spec is the stress block of a fault: CPU and memory pressure from
// stress-ng, on the whole host or in the cgroups of selected processes.
// Set CPU, Memory or both.
type Spec struct {
	// CPU runs busy workers.
	CPU *CPU `json:"cpu,omitempty"`
	// Memory holds memory resident.
	Memory *Memory `json:"memory,omitempty"`
	// Selector places the stressor in the cgroups (cpu, cpuacct, cpuset,
	// memory; and the unified cgroup v2 one) of each process it selects,
	// one stressor per process, so only that process's service is
	// squeezed by the limits of its cgroups. Set exactly one of pidFile,
	// name, port. Without it the stressor runs on the host, in the
	// worker's cgroups.
	Selector *experiment.ProcessSelector `json:"selector,omitempty"`
}

// CPU is CPU pressure.
type CPU struct {
	// Workers is the number of busy workers, 1-1024 (default 1).
	Workers int `json:"workers,omitempty"`
	// Load is the percent of one CPU each worker keeps busy, 1-100
	// (default 100).
	Load int `json:"load,omitempty"`
}

// Memory is memory pressure: one worker that allocates, touches and
// holds the memory until the revert. Set Bytes or Percent.
type Memory struct {
	// Bytes held: a number of bytes or a size with a binary ("256Mi",
	// "1Gi") or decimal ("500M") unit.
	Bytes string `json:"bytes,omitempty"`
	// Percent of the host's total memory (MemTotal) held: more than 0, at
	// most 90 (the ceiling keeps at least 10% free).
	Percent float64 `json:"percent,omitempty"`
}

// FaultKind is "stress".
func (*Spec) FaultKind() experiment.FaultKind { return Name }

// ApplyDefaults sets CPU.Workers to 1 and CPU.Load to 100 when unset.
func (s *Spec) ApplyDefaults() {
	if s.CPU != nil {
		if s.CPU.Workers == 0 {
			s.CPU.Workers = 1
		}
		if s.CPU.Load == 0 {
			s.CPU.Load = 100
		}
	}
}

// Validate checks s (after ApplyDefaults) without touching the system;
// path is the block's field path ("spec.faults[0].stress"), and each
// problem names its field. Whether the memory asked for passes the
// ceiling depends on the host: Inject checks it.
func (s *Spec) Validate(path string) []experiment.FieldError {
	var errs []experiment.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, experiment.FieldErrorf(path+field, format, args...))
	}
	if s.CPU == nil && s.Memory == nil {
		bad("", "set cpu, memory or both")
	}
	if c := s.CPU; c != nil {
		if c.Workers < 1 || c.Workers > MaxWorkers {
			bad(".cpu.workers", "%d is not 1-%d", c.Workers, MaxWorkers)
		}
		if c.Load < 1 || c.Load > 100 {
			bad(".cpu.load", "%d is not a percent 1-100", c.Load)
		}
	}
	if m := s.Memory; m != nil {
		switch {
		case m.Bytes != "" && m.Percent != 0:
			bad(".memory.percent", "set bytes or percent, not both")
		case m.Bytes == "" && m.Percent == 0:
			bad(".memory", "set bytes or percent")
		case m.Bytes != "":
			if _, err := parseBytes(m.Bytes); err != nil {
				bad(".memory.bytes", "%v", err)
			}
		case math.IsNaN(m.Percent) || m.Percent <= 0 || m.Percent > 100:
			bad(".memory.percent", "%v is not more than 0 and at most 100", m.Percent)
		case m.Percent > MaxMemoryPercent:
			bad(".memory.percent", "%v is over the memory ceiling: at most %d%% of the host's memory may be held (at least 10%% stays free)", m.Percent, MaxMemoryPercent)
		}
	}
	if sel := s.Selector; sel != nil {
		set := 0
		for _, isSet := range []bool{sel.PIDFile != "", sel.Name != "", sel.Port != 0} {
			if isSet {
				set++
			}
		}
		switch {
		case set != 1:
			bad(".selector", "set exactly one of pidFile, name, port (%d set)", set)
		case sel.Port < 0 || sel.Port > 65535:
			bad(".selector.port", "%d is not in 1-65535", sel.Port)
		case strings.Contains(sel.Name, "/"):
			bad(".selector.name", "%q is a path; give the executable's base name", sel.Name)
		}
	}
	return errs
}

// Summary says what the stress does, for people (target descriptions, so
// the CLI and the Temporal UI show what was injected where):
// "cpu 2 workers at 80%, memory 256Mi".
func (s *Spec) Summary() string {
	var parts []string
	if c := s.CPU; c != nil {
		workers, load := max(c.Workers, 1), c.Load
		if load == 0 {
			load = 100
		}
		parts = append(parts, fmt.Sprintf("cpu %d workers at %d%%", workers, load))
	}
	if m := s.Memory; m != nil {
		if m.Bytes != "" {
			parts = append(parts, "memory "+m.Bytes)
		} else {
			parts = append(parts, fmt.Sprintf("memory %g%% of the host's", m.Percent))
		}
	}
	return strings.Join(parts, ", ")
}

// parseBytes parses a size (package bytesize).
func parseBytes(s string) (int64, error) { return bytesize.Parse(s) }
