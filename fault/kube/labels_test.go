package kube_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/tempest-chaos/tempest/fault/kube"
)

func TestLabelValue(t *testing.T) {
	for _, tc := range []struct{ runID, want string }{
		{"0198c2a4-7f1e-7c3b-9d2e-5a6b7c8d9e0f", "0198c2a4-7f1e-7c3b-9d2e-5a6b7c8d9e0f"},
		{"run_1.a", "run_1.a"},
	} {
		if got := kube.LabelValue(tc.runID); got != tc.want {
			t.Errorf("LabelValue(%q) = %q, want %q", tc.runID, got, tc.want)
		}
	}
	for _, runID := range []string{"has spaces", strings.Repeat("x", 64), "ends-with-dash-", "a/b"} {
		got := kube.LabelValue(runID)
		if errs := validation.IsValidLabelValue(got); len(errs) > 0 || !strings.HasPrefix(got, "h-") {
			t.Errorf("LabelValue(%q) = %q: %v", runID, got, errs)
		}
		if kube.LabelValue(runID) != got {
			t.Errorf("LabelValue(%q) not stable", runID)
		}
	}
}
