package stress

import (
	"context"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Kind is the stress fault kind, registered in package kinds.
var Kind = fault.Kind{
	Block: &Spec{},
	Scope: fault.ScopeHost,
	New:   func(env fault.Env) fault.Fault { return New(env.StateDir) },
}

var (
	_ fault.Fault   = (*Driver)(nil)
	_ fault.Sweeper = (*Driver)(nil)
)

// specOf returns the kind's block of f.
func specOf(f experiment.Fault) (*Spec, error) { return fault.BlockOf[*Spec](f) }

// Targets returns the host, or the processes the selector matches.
func (d *Driver) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	s, err := specOf(f)
	if err != nil {
		return nil, err
	}
	return d.targets(ctx, s)
}

// Inject starts the injection's stressor or finds it running; see the
// package doc.
func (d *Driver) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	s, err := specOf(req.Fault)
	if err != nil {
		return nil, err
	}
	return d.inject(ctx, req, s)
}

// Revert stops the injection's stressor, by the State's pid and start
// time and by its marker, so a lost State is reverted as well.
func (d *Driver) Revert(ctx context.Context, req fault.Request, state fault.State) error {
	return d.revert(ctx, req, state)
}

// Leftovers lists the running stressors of every run (fault.Sweeper).
func (d *Driver) Leftovers(ctx context.Context) ([]fault.Leftover, error) {
	found, err := d.leftovers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]fault.Leftover, 0, len(found))
	for _, l := range found {
		out = append(out, fault.Leftover{
			Run:    l.Info.Run,
			What:   l.what(),
			Remove: func(ctx context.Context) error { return d.removeLeftover(ctx, l) },
		})
	}
	return out, nil
}
