package process

import (
	"context"

	"github.com/tempest-chaos/tempest/experiment"
)

// Select returns the live processes sel matches, as targets whose Attrs
// carry AttrPID and AttrStartTime (see the package doc), ordered by pid;
// the worker's own process is never among them. It is the selection of
// the process fault, for other host kinds that act on a selected
// process (the stress fault places its stressor in that process's
// cgroups). A selector matching nothing is errkind.NoTargets.
func (p *Process) Select(ctx context.Context, sel experiment.ProcessSelector) ([]experiment.Target, error) {
	found, err := p.resolve(ctx, sel)
	if err != nil {
		return nil, err
	}
	targets := make([]experiment.Target, len(found))
	for i, ti := range found {
		targets[i] = ti.target()
	}
	return targets, nil
}
