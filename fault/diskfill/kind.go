package diskfill

import (
	"context"
	"fmt"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Kind is the diskFill fault kind, registered in package kinds.
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

// Targets returns the one target of f: its directory.
func (d *Driver) Targets(_ context.Context, f experiment.Fault) ([]experiment.Target, error) {
	s, err := specOf(f)
	if err != nil {
		return nil, err
	}
	return d.targets(s)
}

// Inject fills the filesystem; see the package doc.
func (d *Driver) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	s, err := specOf(req.Fault)
	if err != nil {
		return nil, err
	}
	return d.inject(ctx, req, s)
}

// Revert deletes the injection's fill file. It relies on req only, so a
// lost State is reverted as well.
func (d *Driver) Revert(_ context.Context, req fault.Request, _ fault.State) error {
	s, err := specOf(req.Fault)
	if err != nil {
		return err
	}
	return d.revert(req, s)
}

// Leftovers lists the fill files no revert removed (fault.Sweeper).
func (d *Driver) Leftovers(ctx context.Context) ([]fault.Leftover, error) {
	found, err := d.leftovers(ctx)
	out := make([]fault.Leftover, 0, len(found))
	for _, l := range found {
		out = append(out, fault.Leftover{
			Run:  l.Marker.Run,
			What: l.what(),
			Remove: func(context.Context) error {
				if err := d.remove(l.File, l.id); err != nil {
					return fmt.Errorf("%s: %w", l.what(), err)
				}
				return nil
			},
		})
	}
	return out, err
}
