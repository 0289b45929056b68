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

// scopedFault records what it was asked to do, on a host or a cluster.
type scopedFault struct {
	scope   fault.Scope
	injects int
	reverts int
}

func (f *scopedFault) Scope() fault.Scope { return f.scope }

func (f *scopedFault) Targets(context.Context, experiment.Fault) ([]experiment.Target, error) {
	return []experiment.Target{{ID: "pid/42"}}, nil
}

func (f *scopedFault) Inject(context.Context, fault.Request) (fault.State, error) {
	f.injects++
	return fault.State{}, nil
}

func (f *scopedFault) Revert(context.Context, fault.Request, fault.State) error {
	f.reverts++
	return nil
}

func scopedActivities(f *scopedFault, kind experiment.FaultKind, id Identity) *Activities {
	faults := fault.NewRegistry()
	faults.Register(kind, f)
	return &Activities{Faults: faults, Identity: id}
}

func misrouted(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable() && appErr.Type() == errkind.Misrouted
}

// Host X selects the target (and records itself on it); host Y must not
// inject or "revert" it, and host X does both.
func TestHostTargetsActOnlyOnTheirHost(t *testing.T) {
	ctx := context.Background()
	f := &scopedFault{scope: fault.ScopeHost}
	spec := experiment.Fault{Name: "pause", Process: &experiment.ProcessFault{}}
	hostX := scopedActivities(f, experiment.FaultProcess, Identity{Host: "x", BootID: "boot-1"})
	hostY := scopedActivities(f, experiment.FaultProcess, Identity{Host: "y", BootID: "boot-9"})

	targets, err := hostX.SelectTargets(ctx, SelectInput{Fault: spec})
	if err != nil {
		t.Fatal(err)
	}
	if got := targets[0].Attrs; got[fault.AttrHost] != "x" || got[fault.AttrBootID] != "boot-1" {
		t.Fatalf("target attrs %v, want host x of boot-1", got)
	}
	req := fault.Request{Fault: spec, Target: targets[0], Injection: 1}
	if _, err := hostY.Inject(ctx, req); !misrouted(err) {
		t.Fatalf("inject on host y: %v, want Misrouted", err)
	}
	if _, err := hostY.Revert(ctx, RevertInput{Request: req}); !misrouted(err) {
		t.Fatalf("revert on host y: %v, want Misrouted (never a revert declared done where nothing was injected)", err)
	}
	if f.injects != 0 || f.reverts != 0 {
		t.Fatalf("host y acted: %d injects, %d reverts", f.injects, f.reverts)
	}
	if _, err := hostX.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := hostX.Revert(ctx, RevertInput{Request: req}); err != nil {
		t.Fatal(err)
	}
	if f.injects != 1 || f.reverts != 1 {
		t.Fatalf("host x: %d injects, %d reverts, want 1 each", f.injects, f.reverts)
	}
}

// A target of an earlier boot is gone: no inject, and its revert is done
// (nothing a host fault did survives a reboot).
func TestTargetOfAnEarlierBoot(t *testing.T) {
	ctx := context.Background()
	f := &scopedFault{scope: fault.ScopeHost}
	spec := experiment.Fault{Name: "pause", Process: &experiment.ProcessFault{}}
	rebooted := scopedActivities(f, experiment.FaultProcess, Identity{Host: "x", BootID: "boot-2"})
	req := fault.Request{Fault: spec, Target: experiment.Target{ID: "pid/42", Attrs: map[string]string{fault.AttrHost: "x", fault.AttrBootID: "boot-1"}}}
	_, err := rebooted.Inject(ctx, req)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != errkind.UnknownTarget {
		t.Fatalf("inject: %v, want UnknownTarget", err)
	}
	if _, err := rebooted.Revert(ctx, RevertInput{Request: req}); err != nil {
		t.Fatalf("revert: %v, want done", err)
	}
	if f.injects != 0 || f.reverts != 0 {
		t.Fatalf("acted on a target of another boot: %d injects, %d reverts", f.injects, f.reverts)
	}
}

// Cluster targets carry the cluster's name and kube-system UID: a worker of
// another cluster refuses them, even one with the same name.
func TestClusterTargetsActOnlyOnTheirCluster(t *testing.T) {
	ctx := context.Background()
	f := &scopedFault{scope: fault.ScopeCluster}
	spec := experiment.Fault{Name: "scale", Scale: &experiment.ScaleFault{}}
	a := scopedActivities(f, experiment.FaultScale, Identity{Cluster: "a", ClusterUID: "uid-a"})
	targets, err := a.SelectTargets(ctx, SelectInput{Fault: spec})
	if err != nil {
		t.Fatal(err)
	}
	req := fault.Request{Fault: spec, Target: targets[0], Injection: 1}
	for _, other := range []Identity{{Cluster: "b", ClusterUID: "uid-b"}, {Cluster: "a", ClusterUID: "uid-other"}} {
		if _, err := scopedActivities(f, experiment.FaultScale, other).Revert(ctx, RevertInput{Request: req}); !misrouted(err) {
			t.Fatalf("revert on %+v: %v, want Misrouted", other, err)
		}
	}
	if f.reverts != 0 {
		t.Fatalf("another cluster reverted %d times", f.reverts)
	}
}
