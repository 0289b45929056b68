package stress

import (
	"context"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// request is injection n of fault name of a run on target.
func request(runID, name string, n int, target experiment.Target) fault.Request {
	return fault.Request{
		Run:       fault.Run{WorkflowID: "wf-stress", RunID: runID, Experiment: "stress"},
		Fault:     experiment.Fault{Name: name, Duration: experiment.Duration(time.Minute)},
		Target:    target,
		Injection: n,
	}
}

var hostTarget = experiment.Target{ID: HostTarget}

// stressors lists the live processes carrying marker.
func stressors(t *testing.T, d *Driver, marker string) []stressor {
	t.Helper()
	procs, err := d.proc.scan(context.Background(), marker)
	if err != nil {
		t.Fatal(err)
	}
	return procs
}

// revertOnCleanup reverts req when the test ends, so a failing test
// leaves no stressor behind.
func revertOnCleanup(t *testing.T, d *Driver, req fault.Request) {
	t.Cleanup(func() {
		if err := d.revert(context.Background(), req, nil); err != nil {
			t.Errorf("cleanup revert: %v", err)
		}
	})
}
