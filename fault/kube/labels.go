package kube

import (
	"crypto/sha256"
	"encoding/hex"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/tempest-chaos/tempest/fault"
)

// Labels and annotations Tempest puts on what it creates or changes.
const (
	// LabelRunID marks every object a fault created or changed with the
	// run's ID (see LabelValue).
	LabelRunID = "tempest.dev/run-id"
	// AnnotationWorkflowID records the experiment's workflow ID.
	AnnotationWorkflowID = "tempest.dev/workflow-id"
	// AnnotationOriginalReplicas records a workload's replicas before scale.
	AnnotationOriginalReplicas = "tempest.dev/original-replicas"
	// AnnotationCordoned says Tempest cordoned the node (it was schedulable),
	// so the revert may uncordon it.
	AnnotationCordoned = "tempest.dev/cordoned"
	// LabelPartition marks a pod selected by a partition NetworkPolicy.
	LabelPartition = "tempest.dev/partition"
)

// LabelValue turns a run ID into a label value: itself when it is a valid
// label value, else "h-" and the first 40 hex digits of its SHA-256.
func LabelValue(runID string) string {
	if len(validation.IsValidLabelValue(runID)) == 0 {
		return runID
	}
	sum := sha256.Sum256([]byte(runID))
	return "h-" + hex.EncodeToString(sum[:])[:40]
}

// runMeta is the label and annotation patch marking an object as changed by run.
func runMeta(run fault.Run) (labels, annotations map[string]any) {
	return map[string]any{LabelRunID: LabelValue(run.RunID)},
		map[string]any{AnnotationWorkflowID: run.WorkflowID}
}
