package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// ListOptions turns a selector into list options: label and field selectors
// (checked here, so a typo is InvalidSpec, not an API error), plus the node
// name as a field selector when nodeField is set.
func ListOptions(sel experiment.KubeSelector, nodeField string) (metav1.ListOptions, error) {
	var opts metav1.ListOptions
	if sel.LabelSelector != "" {
		if _, err := labels.Parse(sel.LabelSelector); err != nil {
			return opts, errkind.New(errkind.InvalidSpec, "selector.labelSelector %q: %w", sel.LabelSelector, err)
		}
		opts.LabelSelector = sel.LabelSelector
	}
	fieldParts := []string{}
	if sel.FieldSelector != "" {
		if _, err := fields.ParseSelector(sel.FieldSelector); err != nil {
			return opts, errkind.New(errkind.InvalidSpec, "selector.fieldSelector %q: %w", sel.FieldSelector, err)
		}
		fieldParts = append(fieldParts, sel.FieldSelector)
	}
	if nodeField != "" && sel.NodeName != "" {
		fieldParts = append(fieldParts, nodeField+"="+sel.NodeName)
	}
	opts.FieldSelector = strings.Join(fieldParts, ",")
	return opts, nil
}

// nameMatches reports whether name passes the selector's Names (all pass when empty).
func nameMatches(sel experiment.KubeSelector, name string) bool {
	return len(sel.Names) == 0 || slices.Contains(sel.Names, name)
}

// SelectPods returns the pods the selector matches now, skipping terminating
// ones, sorted by name.
func SelectPods(ctx context.Context, client kubernetes.Interface, sel experiment.KubeSelector) ([]corev1.Pod, error) {
	opts, err := ListOptions(sel, "spec.nodeName")
	if err != nil {
		return nil, err
	}
	list, err := client.CoreV1().Pods(sel.Namespace).List(ctx, opts)
	if err != nil {
		return nil, APIError(err, "list", "pods", sel.Namespace)
	}
	owners, err := ownerSet(ctx, client, sel)
	if err != nil {
		return nil, err
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil || !nameMatches(sel, p.Name) {
			continue
		}
		if owners != nil && !ownedByAny(p.OwnerReferences, owners) {
			continue
		}
		pods = append(pods, p)
	}
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return pods, nil
}

// owner is a kind and name an owner reference can point at.
type owner struct{ kind, name string }

// ownerSet is the set of direct pod owners the selector's owner stands for:
// nil when the selector names no owner; a Deployment stands for its
// ReplicaSets.
func ownerSet(ctx context.Context, client kubernetes.Interface, sel experiment.KubeSelector) ([]owner, error) {
	if sel.OwnerKind == "" {
		return nil, nil
	}
	if sel.OwnerKind != "Deployment" {
		return []owner{{sel.OwnerKind, sel.OwnerName}}, nil
	}
	rsList, err := client.AppsV1().ReplicaSets(sel.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, APIError(err, "list", "replicasets", sel.Namespace)
	}
	owners := []owner{}
	for _, rs := range rsList.Items {
		if ownedByAny(rs.OwnerReferences, []owner{{"Deployment", sel.OwnerName}}) {
			owners = append(owners, owner{"ReplicaSet", rs.Name})
		}
	}
	return owners, nil
}

func ownedByAny(refs []metav1.OwnerReference, owners []owner) bool {
	for _, r := range refs {
		if slices.Contains(owners, owner{r.Kind, r.Name}) {
			return true
		}
	}
	return false
}

// podTarget describes a pod as a target.
func podTarget(p corev1.Pod) experiment.Target {
	return experiment.Target{
		ID:          "pod/" + p.Namespace + "/" + p.Name,
		Description: fmt.Sprintf("pod %s/%s on node %q", p.Namespace, p.Name, p.Spec.NodeName),
		Attrs: map[string]string{
			"namespace": p.Namespace,
			"name":      p.Name,
			"uid":       string(p.UID),
			"node":      p.Spec.NodeName,
		},
	}
}

// podTargets resolves a pod selector into targets.
func podTargets(ctx context.Context, client kubernetes.Interface, sel experiment.KubeSelector) ([]experiment.Target, error) {
	pods, err := SelectPods(ctx, client, sel)
	if err != nil {
		return nil, err
	}
	targets := make([]experiment.Target, 0, len(pods))
	for _, p := range pods {
		targets = append(targets, podTarget(p))
	}
	return targets, nil
}

// SelectNodes returns the nodes the selector matches now, sorted by name.
func SelectNodes(ctx context.Context, client kubernetes.Interface, sel experiment.KubeSelector) ([]corev1.Node, error) {
	opts, err := ListOptions(sel, "metadata.name")
	if err != nil {
		return nil, err
	}
	list, err := client.CoreV1().Nodes().List(ctx, opts)
	if err != nil {
		return nil, APIError(err, "list", "nodes", "")
	}
	var nodes []corev1.Node
	for _, n := range list.Items {
		if nameMatches(sel, n.Name) {
			nodes = append(nodes, n)
		}
	}
	slices.SortFunc(nodes, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	return nodes, nil
}

// nodeTargets resolves a node selector into targets.
func nodeTargets(ctx context.Context, client kubernetes.Interface, sel experiment.KubeSelector) ([]experiment.Target, error) {
	nodes, err := SelectNodes(ctx, client, sel)
	if err != nil {
		return nil, err
	}
	targets := make([]experiment.Target, 0, len(nodes))
	for _, n := range nodes {
		targets = append(targets, experiment.Target{
			ID:          "node/" + n.Name,
			Description: "node " + n.Name,
			Attrs:       map[string]string{"name": n.Name},
		})
	}
	return targets, nil
}

// targetName returns the target's name attribute or an InvalidSpec error.
func targetName(t experiment.Target) (string, error) {
	name := t.Attrs["name"]
	if name == "" {
		return "", errkind.New(errkind.InvalidSpec, "target %q has no name attribute", t.ID)
	}
	return name, nil
}
