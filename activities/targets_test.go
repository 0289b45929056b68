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

func TestSelectionCount(t *testing.T) {
	cases := []struct {
		mode  experiment.SelectionMode
		value int
		n     int
		want  int
	}{
		{experiment.SelectAll, 0, 5, 5},
		{experiment.SelectOne, 0, 5, 1},
		{experiment.SelectCount, 3, 5, 3},
		{experiment.SelectCount, 9, 5, 5},
		{experiment.SelectPercent, 50, 5, 3},
		{experiment.SelectPercent, 1, 5, 1},
		{experiment.SelectPercent, 100, 5, 5},
	}
	for _, c := range cases {
		if got := selectionCount(c.n, c.mode, c.value); got != c.want {
			t.Errorf("%s %d of %d: got %d, want %d", c.mode, c.value, c.n, got, c.want)
		}
	}
}

func nsTargets(ns string, n int) []experiment.Target {
	var ts []experiment.Target
	for i := 0; i < n; i++ {
		ts = append(ts, experiment.Target{ID: string(rune('a' + i)), Attrs: map[string]string{NamespaceAttr: ns}})
	}
	return ts
}

func TestGuardRefusesProtectedNamespaceUnlessAllowed(t *testing.T) {
	g := Guard{ProtectedNamespaces: DefaultProtectedNamespaces}
	f := experiment.Fault{Name: "kill", Mode: experiment.SelectAll}
	err := g.check(f, experiment.Safety{}, nsTargets("kube-system", 1))
	if typ, _ := errkind.TypeOf(err); typ != errkind.Refused {
		t.Fatalf("got %v, want Refused", err)
	}
	if err := g.check(f, experiment.Safety{AllowNamespaces: []string{"kube-system"}}, nsTargets("kube-system", 1)); err != nil {
		t.Fatalf("allowed namespace refused: %v", err)
	}
}

func TestGuardRefusesBlastRadiusOverLimit(t *testing.T) {
	g := Guard{}
	f := experiment.Fault{Name: "kill", Mode: experiment.SelectPercent, Value: 60}
	err := g.check(f, experiment.Safety{MaxBlastRadiusPercent: 50}, nsTargets("apps", 10))
	if typ, _ := errkind.TypeOf(err); typ != errkind.Refused {
		t.Fatalf("got %v, want Refused", err)
	}
	f.Value = 50
	if err := g.check(f, experiment.Safety{MaxBlastRadiusPercent: 50}, nsTargets("apps", 10)); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

// listingFault counts how often its targets were listed.
type listingFault struct{ listed int }

func (l *listingFault) Targets(context.Context, experiment.Fault) ([]experiment.Target, error) {
	l.listed++
	return nil, nil
}
func (l *listingFault) Inject(context.Context, fault.Request) (fault.State, error) { return nil, nil }
func (l *listingFault) Revert(context.Context, fault.Request, fault.State) error   { return nil }

func TestProtectedNamespaceRefusedBeforeListing(t *testing.T) {
	impl := &listingFault{}
	faults := fault.NewRegistry()
	faults.Register(experiment.FaultPodDelete, impl)
	a := &Activities{Faults: faults, Guard: Guard{ProtectedNamespaces: DefaultProtectedNamespaces}}
	f := experiment.Fault{Name: "delete", PodDelete: &experiment.PodDeleteFault{Selector: experiment.KubeSelector{Namespace: "kube-system"}}}
	_, err := a.SelectTargets(context.Background(), SelectInput{Fault: f})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != errkind.Refused || !appErr.NonRetryable() {
		t.Fatalf("got %v, want a non-retryable Refused error", err)
	}
	if impl.listed != 0 {
		t.Fatal("pods of a protected namespace were listed before the refusal")
	}
}
