package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

var _ fault.Fault = (*Process)(nil)

// Defaults of New.
const (
	DefaultKillWait      = 10 * time.Second
	DefaultStopWait      = 5 * time.Second
	DefaultRestartSettle = 500 * time.Millisecond
)

// Keys of the fault.State Inject returns.
const (
	StateAction    = "action"
	StateSignal    = "signal"
	StatePID       = "pid"
	StateStartTime = "startTime"
	// StateOutcome is "killed", "alreadyGone" or "paused".
	StateOutcome = "outcome"
)

// Process is the "process" fault kind on the worker's own host. Set its
// fields before first use; it is then safe for concurrent use.
type Process struct {
	// KillWait bounds the wait for a killed process to exit.
	KillWait time.Duration
	// StopWait bounds the wait for a paused process to stop, and for a
	// resumed one to run.
	StopWait time.Duration
	// RestartSettle is how long a launched Restart must keep running to
	// count as launched; one that exits with an error before fails the
	// Revert. It is cut to the fault's RestartTimeout.
	RestartSettle time.Duration
	// StateDir holds the restart markers and restart logs; it must survive
	// a worker crash (not a per-process temporary directory).
	StateDir string

	proc procFS
	self int
}

// New returns the process fault with the defaults: KillWait 10s, StopWait
// 5s, RestartSettle 500ms, StateDir $TMPDIR/tempest-process-<uid>.
func New() *Process {
	return &Process{
		KillWait:      DefaultKillWait,
		StopWait:      DefaultStopWait,
		RestartSettle: DefaultRestartSettle,
		StateDir:      filepath.Join(os.TempDir(), "tempest-process-"+strconv.Itoa(os.Getuid())),
		proc:          procFS{root: "/proc"},
		self:          os.Getpid(),
	}
}

// Targets returns the live processes the selector of f matches.
func (p *Process) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	s, err := parseSpec(f)
	if err != nil {
		return nil, err
	}
	found, err := p.resolve(ctx, s.spec.Selector)
	if err != nil {
		return nil, err
	}
	targets := make([]experiment.Target, len(found))
	for i, ti := range found {
		targets[i] = ti.target()
	}
	return targets, nil
}

// Inject kills or pauses req.Target; see the package doc.
func (p *Process) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	s, err := parseSpec(req.Fault)
	if err != nil {
		return nil, err
	}
	ti, err := parseTarget(req.Target)
	if err != nil {
		return nil, err
	}
	state := fault.State{
		StateAction:    string(s.action),
		StateSignal:    s.signal.String(),
		StatePID:       strconv.Itoa(ti.PID),
		StateStartTime: strconv.FormatUint(ti.StartTime, 10),
	}
	if s.action == experiment.ProcessPause {
		if err := p.pause(ctx, ti); err != nil {
			return nil, err
		}
		state[StateOutcome] = "paused"
		return state, nil
	}
	killed, err := p.kill(ctx, ti, s.signal)
	if err != nil {
		return nil, err
	}
	state[StateOutcome] = "alreadyGone"
	if killed {
		state[StateOutcome] = "killed"
	}
	return state, nil
}

// Revert resumes a paused target, or runs Restart once for a killed one
// and returns once it runs (not once the target serves); a kill without
// Restart has nothing to revert. It relies on req only, so
// a nil state (an Inject whose result was lost) is reverted as well.
func (p *Process) Revert(ctx context.Context, req fault.Request, _ fault.State) error {
	s, err := parseSpec(req.Fault)
	if err != nil {
		return err
	}
	ti, err := parseTarget(req.Target)
	if err != nil {
		return err
	}
	switch {
	case s.action == experiment.ProcessPause:
		return p.resume(ctx, ti)
	case len(s.restart) == 0:
		return nil
	default:
		return p.restart(ctx, req, s, ti)
	}
}

// forbidden classifies a permission error as errkind.Forbidden.
func forbidden(err error) error {
	if err != nil && errors.Is(err, os.ErrPermission) {
		return errkind.Wrap(errkind.Forbidden, err)
	}
	return err
}

var _ fault.Scoper = (*Process)(nil)

// Scope implements fault.Scoper: processes live on the worker's host.
func (*Process) Scope() fault.Scope { return fault.ScopeHost }
