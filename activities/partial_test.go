package activities

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// halfFault cordons, then is refused: it returns its state with the error.
type halfFault struct{ state fault.State }

func (h halfFault) Targets(context.Context, experiment.Fault) ([]experiment.Target, error) {
	return nil, nil
}

func (h halfFault) Inject(context.Context, fault.Request) (fault.State, error) {
	return h.state, errkind.New(errkind.Forbidden, "eviction refused")
}

func (h halfFault) Revert(context.Context, fault.Request, fault.State) error { return nil }

func TestInjectThatChangedSomethingSaysSo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		state   fault.State
		changed bool
	}{
		{"cordoned then refused", fault.State{"cordoned": "true"}, true},
		{"refused before any change", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faults := fault.NewRegistry()
			faults.Register(experiment.FaultNodeDrain, halfFault{state: tc.state})
			a := &Activities{Faults: faults}
			req := fault.Request{Fault: experiment.Fault{Name: "drain", NodeDrain: &experiment.NodeDrainFault{}}, Target: experiment.Target{ID: "node/a"}}
			_, err := a.Inject(context.Background(), req)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != errkind.Forbidden {
				t.Fatalf("error %v, want a non-retryable Forbidden", err)
			}
			var res InjectResult
			if got := appErr.HasDetails() && appErr.Details(&res) == nil && res.Changed; got != tc.changed {
				t.Fatalf("changed %v, want %v (details %+v)", got, tc.changed, res)
			}
			if tc.changed && res.State["cordoned"] != "true" {
				t.Fatalf("state %v, want what the revert needs", res.State)
			}
		})
	}
}
