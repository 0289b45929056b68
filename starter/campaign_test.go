package starter

import (
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/workflows"
)

func TestCampaignInputAndOptions(t *testing.T) {
	inline := &experiment.Experiment{Metadata: experiment.Metadata{Name: "e"}, Spec: experiment.Spec{Probes: []experiment.Probe{
		{Name: "p", Mode: experiment.ModeSOT, Cmd: &experiment.CmdProbe{Command: []string{"true"}}}}}}
	camp := experiment.Campaign{Kind: experiment.KindCampaign, Metadata: experiment.Metadata{Name: "c"},
		Spec: experiment.CampaignSpec{Steps: []experiment.CampaignStep{{Inline: inline}}}}
	in, err := CampaignInput(camp)
	if err != nil {
		t.Fatal(err)
	}
	if in.Campaign.Spec.MaxDuration != experiment.DefaultCampaignMaxDuration || in.Carry != nil {
		t.Errorf("input = %+v", in)
	}
	o := CampaignStartOptions(camp, Options{})
	if !strings.HasPrefix(o.ID, "tempest-campaign-c-") || o.TaskQueue != workflows.DefaultTaskQueue ||
		o.WorkflowExecutionTimeout != 25*time.Hour || o.TypedSearchAttributes.Size() != 1 {
		t.Errorf("options = %+v", o)
	}

	unresolved := camp
	unresolved.Spec.Steps = []experiment.CampaignStep{{Experiment: "a.yaml"}}
	if _, err := CampaignInput(unresolved); err == nil || !strings.Contains(err.Error(), "experiment.LoadCampaign") {
		t.Errorf("unresolved campaign = %v", err)
	}
	bad := camp
	bad.Spec.Steps = []experiment.CampaignStep{{Inline: inline, Approval: &experiment.Approval{}}}
	if _, err := CampaignInput(bad); err == nil || err.Error() != "spec.steps[0].approval.timeout: must be > 0: how long to wait for an answer" {
		t.Errorf("invalid campaign = %v", err)
	}
}
