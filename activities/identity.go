package activities

import (
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Identity is where this worker acts: its host (and that host's boot) for
// host faults, its cluster for Kubernetes faults. SelectTargets records it
// on every target of a scoped kind; Inject and Revert refuse a target
// recorded by another host or cluster, so a fault is never "reverted" on a
// host where it was not injected.
type Identity struct {
	Host   string `json:"host,omitempty"`
	BootID string `json:"bootId,omitempty"`
	// Cluster is the worker's cluster name ("default" when it names
	// none); ClusterUID the UID of its kube-system namespace.
	Cluster    string `json:"cluster,omitempty"`
	ClusterUID string `json:"clusterUid,omitempty"`
}

// stamp records the worker's identity on targets of impl's scope.
func (a *Activities) stamp(impl fault.Fault, targets []experiment.Target) {
	set := func(t *experiment.Target, k, v string) {
		if v == "" {
			return
		}
		if t.Attrs == nil {
			t.Attrs = map[string]string{}
		}
		t.Attrs[k] = v
	}
	for i := range targets {
		switch fault.ScopeOf(impl) {
		case fault.ScopeHost:
			set(&targets[i], fault.AttrHost, a.Identity.Host)
			set(&targets[i], fault.AttrBootID, a.Identity.BootID)
		case fault.ScopeCluster:
			set(&targets[i], fault.AttrCluster, a.Identity.Cluster)
			set(&targets[i], fault.AttrClusterUID, a.Identity.ClusterUID)
		}
	}
}

// checkIdentity refuses a request whose target another host or cluster
// selected (errkind.Misrouted). gone reports a target of an earlier boot of
// this host: whatever was done to it did not survive the reboot. Targets
// recorded without an identity (by workers that did not record one) pass.
func (a *Activities) checkIdentity(impl fault.Fault, req fault.Request) (gone bool, err error) {
	attrs := req.Target.Attrs
	differs := func(key, mine string) bool { return attrs[key] != "" && attrs[key] != mine }
	switch fault.ScopeOf(impl) {
	case fault.ScopeHost:
		if differs(fault.AttrHost, a.Identity.Host) {
			return false, errkind.New(errkind.Misrouted, "target %s lives on host %q, this worker is host %q: it is not acted on here",
				req.Target.ID, attrs[fault.AttrHost], a.Identity.Host)
		}
		if a.Identity.BootID != "" && differs(fault.AttrBootID, a.Identity.BootID) {
			return true, nil
		}
	case fault.ScopeCluster:
		if differs(fault.AttrCluster, a.Identity.Cluster) || (a.Identity.ClusterUID != "" && differs(fault.AttrClusterUID, a.Identity.ClusterUID)) {
			return false, errkind.New(errkind.Misrouted, "target %s belongs to cluster %q (kube-system %s), this worker's is %q (kube-system %s): it is not acted on here",
				req.Target.ID, attrs[fault.AttrCluster], attrs[fault.AttrClusterUID], a.Identity.Cluster, a.Identity.ClusterUID)
		}
	}
	return false, nil
}
