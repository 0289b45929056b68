package experiment

import (
	"strconv"
	"time"
)

// Defaults documented on the spec types.
const (
	DefaultProbeTimeout          = Duration(10 * time.Second)
	DefaultProbeInterval         = Duration(time.Second)
	DefaultProbeWeight           = 1
	DefaultMinSuccessPercent     = 100.0
	DefaultRollbackAttempt       = Duration(time.Minute)
	DefaultRollbackDeadline      = Duration(10 * time.Minute)
	DefaultMaxDuration           = Duration(time.Hour)
	DefaultMaxBlastRadiusPercent = 100
	DefaultMaxHistoryEvents      = 40_000
	DefaultRestartTimeout        = Duration(30 * time.Second)
	DefaultDrainTimeout          = Duration(2 * time.Minute)
	DefaultLoadMaxInFlight       = 1000
	DefaultLoadTimeout           = Duration(10 * time.Second)
	DefaultSignal                = "SIGKILL"
)

// ApplyDefaults fills every unset field that has a documented default. It
// is pure, deterministic and idempotent (workflows call it), and runs before
// Validate. Values that are wrong rather than unset (negative durations,
// unknown enums) are left for Validate to report.
func ApplyDefaults(e *Experiment) {
	if e.APIVersion == "" {
		e.APIVersion = APIVersion
	}
	s := &e.Spec
	for i := range s.Faults {
		s.Faults[i].applyDefaults()
	}
	for i := range s.Probes {
		s.Probes[i].applyDefaults()
	}
	if s.Load != nil {
		s.Load.applyDefaults()
	}
	setIfZero(&s.Rollback.AttemptTimeout, DefaultRollbackAttempt)
	setIfZero(&s.Rollback.Deadline, DefaultRollbackDeadline)
	setIfZero(&s.Safety.MaxDuration, DefaultMaxDuration)
	setIfZero(&s.Safety.MaxBlastRadiusPercent, DefaultMaxBlastRadiusPercent)
	setIfZero(&s.Safety.MaxHistoryEvents, DefaultMaxHistoryEvents)
}

func (f *Fault) applyDefaults() {
	setIfZero(&f.Mode, SelectAll)
	setIfZero(&f.Sequence, SequenceParallel)
	if p := f.Process; p != nil {
		setIfZero(&p.Action, ProcessKill)
		if p.Action == ProcessKill {
			setIfZero(&p.Signal, DefaultSignal)
		}
		setIfZero(&p.RestartTimeout, DefaultRestartTimeout)
	}
	if d := f.NodeDrain; d != nil {
		setIfZero(&d.Timeout, DefaultDrainTimeout)
	}
	if n := f.NetworkPartition; n != nil {
		setIfZero(&n.Direction, DirectionBoth)
	}
	if d, ok := f.Block.(BlockDefaulter); ok {
		d.ApplyDefaults()
	}
}

func (p *Probe) applyDefaults() {
	setIfZero(&p.Timeout, DefaultProbeTimeout)
	setIfZero(&p.Interval, DefaultProbeInterval)
	setIfZero(&p.Weight, DefaultProbeWeight)
	setIfZero(&p.MinSuccessPercent, DefaultMinSuccessPercent)
	if h := p.HTTP; h != nil {
		setIfZero(&h.Method, "GET")
		if len(h.ExpectStatus) == 0 {
			h.ExpectStatus = []int{200}
		}
		h.Expect.applyDefaults()
	}
	if c := p.Cmd; c != nil {
		c.Output.applyDefaults()
	}
	if m := p.Mongo; m != nil {
		setIfZero(&m.Operation, MongoCount)
		m.Expect.applyDefaults()
	}
	if pr := p.Prometheus; pr != nil {
		setIfZero(&pr.OnEmpty, EmptyFail)
		pr.Expect.applyDefaults()
	}
}

// applyDefaults infers Type from the written value(s): int when every value
// is an integer, float when every value is a number, else string.
func (c *Comparison) applyDefaults() {
	if c == nil || c.Type != "" {
		return
	}
	if c.Op == OpMatches || c.Op == OpContains {
		c.Type = ValueString
		return
	}
	values := c.Values
	if c.Value != "" || len(values) == 0 {
		values = append([]Scalar{c.Value}, values...)
	}
	c.Type = ValueInt
	for _, v := range values {
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			continue
		}
		if _, err := strconv.ParseFloat(string(v), 64); err == nil {
			c.Type = ValueFloat
			continue
		}
		c.Type = ValueString
		return
	}
}

func (l *Load) applyDefaults() {
	setIfZero(&l.MaxInFlight, DefaultLoadMaxInFlight)
	setIfZero(&l.Timeout, DefaultLoadTimeout)
	if l.KeepAlive == nil {
		keepAlive := true
		l.KeepAlive = &keepAlive
	}
	if l.Duration == 0 && len(l.Stages) > 0 {
		l.Duration = l.stagesSum()
	}
	for i := range l.Targets {
		setIfZero(&l.Targets[i].Method, "GET")
		setIfZero(&l.Targets[i].Weight, 1)
	}
}

func setIfZero[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}
