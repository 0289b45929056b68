package kube

import (
	"encoding/json"
	"fmt"
)

// mergePatch encodes a JSON merge patch; a nil value deletes the key.
func mergePatch(patch map[string]any) ([]byte, error) {
	b, err := json.Marshal(patch)
	if err != nil {
		return nil, fmt.Errorf("encode patch: %w", err)
	}
	return b, nil
}

// metaPatch is a metadata merge patch with labels and annotations.
func metaPatch(labels, annotations map[string]any) map[string]any {
	return map[string]any{"labels": labels, "annotations": annotations}
}

// clearRunMeta is the label and annotation removal every revert applies.
func clearRunMeta(extraAnnotations ...string) map[string]any {
	ann := map[string]any{AnnotationWorkflowID: nil}
	for _, a := range extraAnnotations {
		ann[a] = nil
	}
	return metaPatch(map[string]any{LabelRunID: nil}, ann)
}
