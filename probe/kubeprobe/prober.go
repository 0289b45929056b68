package kubeprobe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe"
)

// Prober is the k8s probe kind.
type Prober struct{ client kubernetes.Interface }

var _ probe.Prober = (*Prober)(nil)

// New returns a k8s prober reading through client.
func New(client kubernetes.Interface) *Prober { return &Prober{client: client} }

// Observe makes one observation of p's condition.
func (pr *Prober) Observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error) {
	start := time.Now()
	obs := experiment.Observation{At: start}
	if p.K8s == nil {
		return obs, errkind.New(errkind.InvalidSpec, "probe %q has no k8s block", p.Name)
	}
	spec := *p.K8s
	lister, ok := listers[spec.Resource]
	if !ok {
		return obs, errkind.New(errkind.InvalidSpec, "probe %q: k8s.resource %q is not one of %v", p.Name, spec.Resource, resourceNames())
	}
	if spec.Condition == experiment.K8sReady && !lister.readiness {
		return obs, errkind.New(errkind.InvalidSpec, "probe %q: condition ready is not defined for %s", p.Name, spec.Resource)
	}
	opts, err := listOptions(spec.Selector, lister.nodeField)
	if err != nil {
		return obs, fmt.Errorf("probe %q: %w", p.Name, err)
	}
	var objs []object
	if spec.Resource == "Pod" {
		objs, err = podObjects(ctx, pr.client, spec.Selector)
	} else {
		objs, err = lister.list(ctx, pr.client, spec.Selector.Namespace, opts)
	}
	obs.Took = time.Since(start)
	if err != nil {
		var kinded *errkind.Error
		if errors.As(err, &kinded) {
			return obs, fmt.Errorf("probe %q: %w", p.Name, err)
		}
		obs.Detail = fmt.Sprintf("list %s: %v", spec.Resource, err)
		return obs, nil
	}
	objs = matching(objs, spec.Selector)
	judge(&obs, spec, objs)
	return obs, nil
}

// matching keeps the objects the selector's names and owner admit.
func matching(objs []object, sel experiment.KubeSelector) []object {
	return slices.DeleteFunc(objs, func(o object) bool {
		if len(sel.Names) > 0 && !slices.Contains(sel.Names, o.name) {
			return true
		}
		return sel.OwnerKind != "" && !slices.Contains(o.owners, sel.OwnerKind+"/"+sel.OwnerName)
	})
}

// judge sets Passed, Value and Detail from the matching objects.
func judge(obs *experiment.Observation, spec experiment.K8sProbe, objs []object) {
	names := make([]string, 0, len(objs))
	for _, o := range objs {
		names = append(names, o.name)
	}
	switch spec.Condition {
	case experiment.K8sPresent:
		obs.Value = fmt.Sprintf("%d %s present", len(objs), spec.Resource)
		missing := []string{}
		for _, n := range spec.Selector.Names {
			if !slices.Contains(names, n) {
				missing = append(missing, n)
			}
		}
		obs.Passed = len(objs) > 0 && len(missing) == 0
		switch {
		case len(missing) > 0:
			obs.Detail = fmt.Sprintf("missing %v", missing)
		case len(objs) == 0:
			obs.Detail = "no " + spec.Resource + " matches the selector"
		}
	case experiment.K8sAbsent:
		obs.Value = fmt.Sprintf("%d %s present", len(objs), spec.Resource)
		obs.Passed = len(objs) == 0
		if !obs.Passed {
			obs.Detail = fmt.Sprintf("still present: %v", names)
		}
	default:
		judgeReady(obs, spec, objs)
	}
}

func judgeReady(obs *experiment.Observation, spec experiment.K8sProbe, objs []object) {
	ready := 0
	var notReady []string
	for _, o := range objs {
		if o.ready {
			ready++
		} else {
			notReady = append(notReady, o.name+" ("+o.readyDetail+")")
		}
	}
	obs.Value = fmt.Sprintf("%d/%d %s ready", ready, len(objs), spec.Resource)
	switch {
	case spec.MinReady > 0:
		obs.Passed = ready >= spec.MinReady
		if !obs.Passed {
			obs.Detail = fmt.Sprintf("%d ready, want at least %d", ready, spec.MinReady)
		}
	case len(objs) == 0:
		obs.Detail = "no " + spec.Resource + " matches the selector"
	default:
		obs.Passed = len(notReady) == 0
		if !obs.Passed {
			obs.Detail = fmt.Sprintf("not ready: %v", notReady)
		}
	}
}
