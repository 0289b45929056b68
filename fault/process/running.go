package process

import (
	"context"
	"errors"

	"github.com/tempest-chaos/tempest/experiment"
)

// runsAgain reports whether what sel selects is back after ti was killed:
// another process of that name runs, the pid file names another live
// process, or (what the port selector matches) the port listens again.
func (p *Process) runsAgain(ctx context.Context, sel experiment.ProcessSelector, ti targetInfo) (bool, error) {
	switch {
	case sel.Port != 0:
		return p.proc.portListens(sel.Port)
	case sel.PIDFile != "":
		pid, err := readPIDFile(sel.PIDFile)
		if err != nil {
			return false, nil // not written (yet)
		}
		st, err := p.proc.alive(pid, 0)
		if err != nil {
			return false, nil
		}
		return pid != ti.PID || st.StartTime != ti.StartTime, nil
	default:
		found, err := p.byName(ctx, sel.Name)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, nil
		}
		for _, f := range found {
			if f.PID != ti.PID || f.StartTime != ti.StartTime {
				return true, nil
			}
		}
		return false, nil
	}
}

// errNotBack says neither the launched Restart nor the target runs.
var errNotBack = errors.New("target does not run again")
