package activities

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// SelectInput asks which targets a fault hits now.
type SelectInput struct {
	Run    fault.Run         `json:"run"`
	Fault  experiment.Fault  `json:"fault"`
	Safety experiment.Safety `json:"safety"`
}

// SelectTargets resolves a fault's selector, applies the safety guards and
// the selection mode, and returns the targets to hit, sorted by ID.
// Nothing is touched.
func (a *Activities) SelectTargets(ctx context.Context, in SelectInput) ([]experiment.Target, error) {
	impl, err := a.fault(in.Fault)
	if err != nil {
		return nil, classify(err)
	}
	// A protected namespace is refused before anything in it is listed.
	if err := a.Guard.checkNamespace(in.Fault, in.Safety, in.Fault.Namespace()); err != nil {
		return nil, classify(err)
	}
	beats := startPulse(ctx, nil)
	defer beats.Stop()
	matched, err := impl.Targets(ctx, in.Fault)
	if err != nil {
		return nil, classify(fmt.Errorf("fault %q: resolve targets: %w", in.Fault.Name, err))
	}
	if len(matched) == 0 {
		return nil, classify(errkind.New(errkind.NoTargets, "fault %q: selector matches nothing", in.Fault.Name))
	}
	if err := a.Guard.check(in.Fault, in.Safety, matched); err != nil {
		return nil, classify(err)
	}
	chosen := choose(matched, in.Fault.Mode, in.Fault.Value)
	a.stamp(impl, chosen)
	slices.SortFunc(chosen, func(x, y experiment.Target) int { return strings.Compare(x.ID, y.ID) })
	return chosen, nil
}

func (a *Activities) fault(f experiment.Fault) (fault.Fault, error) {
	kind := f.Kind()
	impl, ok := a.Faults.Lookup(kind)
	if !ok {
		return nil, errkind.New(errkind.InvalidSpec, "fault %q: this worker has no fault kind %q (it has %v)", f.Name, kind, a.Faults.Kinds())
	}
	return impl, nil
}

// selectionCount is how many of n matched targets a mode hits.
func selectionCount(n int, mode experiment.SelectionMode, value int) int {
	var k int
	switch mode {
	case experiment.SelectOne:
		k = 1
	case experiment.SelectCount:
		k = value
	case experiment.SelectPercent:
		k = (n*value + 99) / 100
		if k < 1 {
			k = 1
		}
	default:
		k = n
	}
	return min(k, n)
}

// choose picks selectionCount targets at random.
func choose(matched []experiment.Target, mode experiment.SelectionMode, value int) []experiment.Target {
	k := selectionCount(len(matched), mode, value)
	picked := slices.Clone(matched)
	if k < len(picked) {
		rand.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	}
	return picked[:k]
}

// DefaultProtectedNamespaces are refused unless an experiment allows them.
var DefaultProtectedNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// Guard holds the worker's safety rules.
type Guard struct {
	// ProtectedNamespaces are refused unless the experiment's
	// safety.allowNamespaces lists them (the worker adds its own namespace).
	ProtectedNamespaces []string
}

// NamespaceAttr is the target attribute fault kinds set to the target's
// Kubernetes namespace.
const NamespaceAttr = "namespace"

// checkNamespace refuses a protected namespace the experiment does not allow.
func (g Guard) checkNamespace(f experiment.Fault, s experiment.Safety, ns string) error {
	if ns != "" && slices.Contains(g.ProtectedNamespaces, ns) && !slices.Contains(s.AllowNamespaces, ns) {
		return errkind.New(errkind.Refused, "fault %q: namespace %q is protected; list it in spec.safety.allowNamespaces to allow it", f.Name, ns)
	}
	return nil
}

func (g Guard) check(f experiment.Fault, s experiment.Safety, matched []experiment.Target) error {
	for _, t := range matched {
		if err := g.checkNamespace(f, s, t.Attrs[NamespaceAttr]); err != nil {
			return err
		}
	}
	limit := s.MaxBlastRadiusPercent
	if limit <= 0 || limit >= 100 {
		return nil
	}
	hit := selectionCount(len(matched), f.Mode, f.Value)
	if hit*100 > limit*len(matched) {
		return errkind.New(errkind.Refused, "fault %q: would hit %d of %d targets (%d%%), over spec.safety.maxBlastRadiusPercent %d%%",
			f.Name, hit, len(matched), hit*100/len(matched), limit)
	}
	return nil
}
