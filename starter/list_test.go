package starter

import (
	"errors"
	"testing"
	"time"
)

func TestListQuery(t *testing.T) {
	since := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		opts ListOptions
		want string
	}{
		{"all", ListOptions{}, `WorkflowType IN ('ExperimentWorkflow', 'CampaignWorkflow')`},
		{"filters", ListOptions{Experiment: "kill", Campaign: "game-day", Verdict: "failed", Status: "Timed-Out", StartedAfter: since},
			`WorkflowType IN ('ExperimentWorkflow', 'CampaignWorkflow') AND TempestExperiment = 'kill' AND TempestCampaign = 'game-day' AND TempestVerdict = 'Failed' AND ExecutionStatus = 'TimedOut' AND StartTime > '2026-12-01T08:00:00Z'`},
		{"quotes stay in the literal", ListOptions{Experiment: `x' OR WorkflowType = 'y\`},
			`WorkflowType IN ('ExperimentWorkflow', 'CampaignWorkflow') AND TempestExperiment = 'x\' OR WorkflowType = \'y\\'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ListQuery(tc.opts)
			if err != nil || got != tc.want {
				t.Fatalf("ListQuery = %q, %v\nwant %q", got, err, tc.want)
			}
		})
	}
	for _, opts := range []ListOptions{{Verdict: "green"}, {Status: "sleeping"}} {
		var fe *ListFilterError
		if _, err := ListQuery(opts); !errors.As(err, &fe) {
			t.Errorf("ListQuery(%+v) err = %v, want a *ListFilterError", opts, err)
		}
	}
}
