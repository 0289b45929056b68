package process

import (
	"context"
	"errors"

	"github.com/tempest-chaos/tempest/experiment"
)

// servesAgain reports whether what sel selects is back after ti was
// killed: the port listens again, the pid file names another live
// process, or another process of that name runs.
func (p *Process) servesAgain(ctx context.Context, sel experiment.ProcessSelector, ti targetInfo) (bool, error) {
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

// errNotServing says the target did not come back.
var errNotServing = errors.New("target does not serve again")
